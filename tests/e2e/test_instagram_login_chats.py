"""Instagram Login from the real chat front ends: Telegram's and Slack's /connect show the
login as a URL button, and the callback's answer reaches that chat through its messenger."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from adapters.db.engine import ping
from bot.slack import SlackService
from bot.telegram import TelegramService
from bot.web import create_app
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import free_bot
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.slack.driver import ANA as SLACK_ANA
from tests.slack.driver import SIGNING_SECRET, SlackDriver
from tests.telegram.driver import ANA, TelegramDriver


async def test_a_telegram_user_connects_instagram_and_hears_it_in_telegram(
    make_services: BuildServices, clock: FixedClock
) -> None:
    api = FakeTelegramAPI()
    async with free_bot(
        make_services, clock, telegram=api.transport(), telegram_token=SecretStr(TOKEN)
    ) as bot:
        services = bot.services
        service = TelegramService(services.settings, services)
        await service.application.initialize()
        await service.chat.setup()
        try:
            tg = TelegramDriver(api, service.application, service.chat)
            await tg.say("/connect")
            shown = tg.last()
            (button,) = [b for b in shown.buttons() if b["text"] == "Instagram ↗"]
            assert "callback_data" not in button
            assert str(button["url"]).startswith("https://instagram.test/oauth/authorize?")

            page = await bot.back(await bot.authorize(str(button["url"])))
            assert page.status_code == 200
            told = tg.last()
            assert told.chat_id == ANA.id
            assert told.text == "Instagram connected ✅ @postroom.test. Compose with /post."
            assert bot.told() == []  # the console heard nothing: the state named Telegram
        finally:
            await service.application.shutdown()


async def test_a_slack_user_connects_instagram_from_a_dm_and_hears_it_there(
    make_services: BuildServices, clock: FixedClock
) -> None:
    api = FakeSlackAPI()
    await api.start()
    slack_settings = {
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": api.api_url,
        "slack_bot_token": BOT_TOKEN,
    }
    try:
        async with free_bot(make_services, clock, **slack_settings) as bot:
            services = bot.services
            service = SlackService(services.settings, services)
            await service.start()
            web = create_app(lambda: ping(services.engine), service.routes)
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=web), base_url="https://bot"
            ) as client:
                slack = SlackDriver(client, api, service.stop)
                await slack.command("connect", channel=SLACK_ANA.dm)
                links = api.last(SLACK_ANA.dm)
                (button,) = [
                    e
                    for b in links.blocks
                    if b["type"] == "actions"
                    for e in b["elements"]
                    if e["text"]["text"] == "Instagram ↗"
                ]
                assert "value" not in button  # a link: opening it never comes back as a tap
                page = await bot.back(await bot.authorize(button["url"]))
                assert page.status_code == 200
                told = api.last(SLACK_ANA.dm)
                assert "Instagram connected ✅ @postroom.test" in told.text
            await service.stop()
    finally:
        await api.stop()
