"""The runtime's Telegram service: polling and webhook modes, secrets, start and stop."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.telegram.limiter import TelegramRateLimiter
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from bot.telegram import TelegramService, webhook_secret
from core.model import ChatPlatform
from tests.fakes.clock import FixedClock
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.telegram.driver import ANA, TelegramDriver, VirtualTime

MakeServices = Callable[..., Services]


@pytest.fixture
async def make_services(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[MakeServices]:
    built: list[Services] = []

    def make(fake: FakeTelegramAPI, **overrides: Any) -> Services:
        values: dict[str, Any] = {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": generate_key_spec("t1"),
            "telegram_token": TOKEN,
        }
        time = VirtualTime()
        fake.clock = time.clock  # the fake counts messages per second on the limiter's clock
        services = bootstrap(
            Settings.model_validate(values | overrides),
            clock=clock,
            telegram_transport=fake.transport(),
            telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
        )
        built.append(services)
        return services

    yield make
    for services in built:
        await services.aclose()


def _service(services: Services, **kwargs: Any) -> TelegramService:
    return TelegramService(
        services.settings, services, wake=services.pipeline.run_until_idle, **kwargs
    )


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out waiting for the bot")


async def test_polling_mode_takes_updates_from_get_updates(make_services: MakeServices) -> None:
    fake = FakeTelegramAPI()
    services = make_services(fake)
    service = _service(services, poll_timeout=5)
    assert service.routes == []  # no webhook route without a public URL
    assert services.messengers[ChatPlatform.TELEGRAM] is service.messenger
    await service.start()
    try:
        assert fake.calls_to("deleteWebhook")
        (menu,) = fake.calls_to("setMyCommands")
        names = [c["command"] for c in menu.params["commands"]]
        # Core's commands and those plugged in by other modules, help last.
        assert names[:3] == ["post", "posts", "schedule"] and names[-1] == "help"
        assert set(names) == {name for name, _ in services.postroom.menu()}
        driver = TelegramDriver(fake, service.application, service.chat)
        fake.queue_update(driver.message_update("start"))
        await _until(lambda: bool(fake.calls_to("sendMessage")))
        assert "You're on Pro (sandbox)." in driver.last(ANA.id).text
    finally:
        await service.stop()
    assert not service.application.running


def test_webhook_mode_needs_https_and_the_web_app(make_services: MakeServices) -> None:
    fake = FakeTelegramAPI()
    with pytest.raises(ValueError, match="https://"):
        _service(make_services(fake, public_url="http://bot.example"))
    with pytest.raises(ValueError, match="POSTROOM_HTTP_PORT"):
        _service(make_services(fake, public_url="https://bot.example", http_port=0))
    service = _service(make_services(fake, public_url="https://bot.example/"))
    assert service.webhook_url == "https://bot.example/telegram/webhook"
    assert [getattr(r, "path", "") for r in service.routes] == ["/telegram/webhook"]


def test_the_webhook_secret_is_derived_from_the_token_or_configured() -> None:
    one = webhook_secret(Settings(telegram_token=SecretStr("1:aaa")))
    assert one == webhook_secret(Settings(telegram_token=SecretStr("1:aaa")))
    assert one != webhook_secret(Settings(telegram_token=SecretStr("1:bbb")))
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", one)
    configured = Settings(
        telegram_token=SecretStr("1:aaa"), telegram_webhook_secret=SecretStr("my_Secret-1")
    )
    assert webhook_secret(configured) == "my_Secret-1"
    bad = Settings(telegram_token=SecretStr("1:aaa"), telegram_webhook_secret=SecretStr("a b"))
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        webhook_secret(bad)


async def test_a_refused_token_stops_the_start_with_a_clear_message(
    make_services: MakeServices,
) -> None:
    fake = FakeTelegramAPI(token="999:other")  # Telegram knows another token: 401
    service = _service(make_services(fake))
    with pytest.raises(ValueError, match="Telegram refused POSTROOM_TELEGRAM_TOKEN"):
        await service.start()
