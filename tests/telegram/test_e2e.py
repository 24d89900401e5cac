"""End to end through Telegram on the real wiring and database, with the fake Ayrshare."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from adapters.db.cipher import generate_key_spec
from adapters.telegram.limiter import TelegramRateLimiter
from bot.bootstrap import Services, bootstrap
from bot.media import media_routes
from bot.settings import Settings
from bot.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramService
from bot.web import create_app
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, transcript
from tests.telegram.driver import ANA, JPEG, TelegramDriver, VirtualTime

PUBLIC_URL = "https://postroom.example"


@dataclass
class System:
    fake: FakeTelegramAPI
    ayrshare: FakeAyrshare
    services: Services
    service: TelegramService
    web: Starlette
    tg: TelegramDriver

    def web_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.web), base_url=PUBLIC_URL)


@pytest.fixture
async def system(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[System]:
    ayrshare = FakeAyrshare()
    key_file = tmp_path / "ayrshare.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n")
    values: dict[str, Any] = {
        "database_url": db_url,
        "var_dir": tmp_path / "var",
        "secret_keys": generate_key_spec("t1"),
        "ayrshare_api_key": ayrshare.api_key,
        "ayrshare_base_url": BASE_URL,
        "ayrshare_domain": "postroom.example",
        "ayrshare_private_key_file": key_file,
        "ayrshare_x_api_key": "x-key",
        "ayrshare_x_api_secret": "x-secret",
        "default_tier": "pro",
        "telegram_token": TOKEN,
        "public_url": PUBLIC_URL,
    }
    settings = Settings.model_validate(values)
    time = VirtualTime()
    fake = FakeTelegramAPI(clock=time.clock)
    services = bootstrap(
        settings,
        http=ayrshare.http_client(),
        clock=clock,
        telegram_transport=fake.transport(),
        telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
    )
    service = TelegramService(settings, services, wake=services.pipeline.run_until_idle)
    web = create_app(_healthy, [*media_routes(services.media_host), *service.routes])
    await service.start()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url=PUBLIC_URL)

    async def through_webhook(update: dict[str, Any]) -> None:
        # As Telegram does: POST the update with the secret given to setWebhook.
        secret = fake.webhook["secret_token"]
        answer = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: secret})
        assert answer.status_code == 200
        await service.application.update_queue.join()

    tg = TelegramDriver(fake, service.application, service.chat, deliver=through_webhook)
    try:
        yield System(fake, ayrshare, services, service, web, tg)
    finally:
        await client.aclose()
        await service.stop()
        await services.aclose()


async def _healthy() -> bool:
    return True


async def test_connect_post_photo_publish_fail_retry(system: System) -> None:
    fake, ayrshare, tg = system.fake, system.ayrshare, system.tg
    assert fake.webhook["url"] == PUBLIC_URL + WEBHOOK_PATH
    assert [c["command"] for c in fake.commands][:3] == ["post", "posts", "schedule"]

    await tg.say("/start")
    assert "You're on Pro" in tg.last().text

    await tg.say("/connect")
    connect = tg.last()
    urls = [b["url"] for b in connect.buttons() if "url" in b]
    assert len(urls) == 6 and all(u.startswith("https://profile.ayrshare.com?") for u in urls)

    # Ana opens the links and links four networks at Ayrshare, then comes back via the
    # deep link of the connect page.
    (profile_key,) = ayrshare.profiles
    for platform in ("instagram", "facebook", "tiktok", "linkedin"):
        ayrshare.link(profile_key, platform, f"Ana on {platform}")
    await tg.say("/start connected")
    status = tg.last().text
    assert (
        "Instagram  ✅ connected · Ana on instagram" in status
        and "YouTube  not connected" in status
    )

    await tg.send_photo("Launch day! Our new app is live 🚀")
    composer = tg.last()
    assert composer.text.startswith("✍️ New post — 33 characters, 1 media")
    assert "☑ LinkedIn" in composer.labels()
    await tg.tap("LinkedIn", message=composer)  # three networks: Instagram, Facebook, TikTok
    assert [label for label in composer.labels() if label.startswith("☑")] == [
        "☑ Instagram",
        "☑ Facebook",
        "☑ TikTok",
    ]

    sends_before_publishing = len(fake.calls_to("sendMessage"))
    ayrshare.fail_platform("tiktok", 182, "Video or image does not meet TikTok requirements.")
    await tg.tap("Publish now", message=composer)
    progress = fake.messages[(ANA.id, composer.message_id)]
    assert "2 of 3 published" in progress.text
    assert "TikTok  ❌ The media doesn't meet TikTok's requirements" in progress.text
    assert progress.labels() == ["🔁 Retry TikTok"]

    del ayrshare.platform_errors["tiktok"]
    await tg.tap("Retry TikTok", message=progress)
    assert "3 of 3 published" in progress.text
    assert progress.labels() == []

    # One progress message, edited in place. Besides it, core may send one notice of the
    # final failure (a new message notifies; an edit does not), with its own Retry button.
    extra = [c.params["text"] for c in fake.calls_to("sendMessage")[sends_before_publishing:]]
    assert len(extra) <= 1
    assert all(text.startswith("❌ Post #1 was not published to TikTok") for text in extra)
    edited = {c.params["message_id"] for c in fake.calls_to("editMessageText")}
    assert edited == {composer.message_id}
    assert all(count == 1 for count in fake.queries.values())

    # Ayrshare got one request for the three networks, then one for TikTok alone, both with
    # the photo as a URL on the bot's own web app.
    posts = ayrshare.requests_to("POST", "/post")
    assert [sorted(r.json["platforms"]) for r in posts] == [
        ["facebook", "instagram", "tiktok"],
        ["tiktok"],
    ]
    (media_url,) = posts[0].json["mediaUrls"]
    assert re.fullmatch(re.escape(PUBLIC_URL) + r"/media/[A-Za-z0-9_-]{22}\.jpg", media_url)
    async with system.web_client() as client:
        fetched = await client.get(media_url)
    assert fetched.status_code == 200 and fetched.content == JPEG
    assert fetched.headers["content-type"] == "image/jpeg"

    print("\n" + transcript(fake.log))


async def test_webhook_refuses_wrong_or_missing_secret(system: System) -> None:
    update = system.tg.message_update("start")
    async with system.web_client() as client:
        missing = await client.post(WEBHOOK_PATH, json=update)
        wrong = await client.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: "nope"})
        right_secret = system.fake.webhook["secret_token"]
        garbage = await client.post(
            WEBHOOK_PATH, content=b"not json", headers={SECRET_HEADER: right_secret}
        )
    assert (missing.status_code, wrong.status_code, garbage.status_code) == (403, 403, 400)
    await system.service.application.update_queue.join()
    assert system.fake.calls_to("sendMessage") == []


async def test_webhook_update_sent_twice_is_handled_once(system: System) -> None:
    update = system.tg.message_update("start")
    secret = {SECRET_HEADER: system.fake.webhook["secret_token"]}
    async with system.web_client() as client:
        first = await client.post(WEBHOOK_PATH, json=update, headers=secret)
        again = await client.post(WEBHOOK_PATH, json=update, headers=secret)
    assert first.status_code == again.status_code == 200
    await system.service.application.update_queue.join()
    assert len(system.fake.calls_to("sendMessage")) == 1


async def test_media_route_answers_404_for_unknown_or_malformed_names(system: System) -> None:
    await system.tg.send_photo("A photo")
    async with system.web_client() as client:
        missing = await client.get("/media/AAAAAAAAAAAAAAAAAAAAAA.jpg")
        traversal = await client.get("/media/..%2Fsecret.key")
        short = await client.get("/media/abc.jpg")
    assert missing.status_code == traversal.status_code == short.status_code == 404


async def test_updates_from_many_chats_are_handled_concurrently(system: System) -> None:
    users = [ANA, *(type(ANA)(3_000_000 + i, f"User{i}", f"user{i}") for i in range(5))]
    await asyncio.gather(*(system.tg.say("/start", user=u) for u in users))
    chats = {int(c.params["chat_id"]) for c in system.fake.calls_to("sendMessage")}
    assert chats == {u.id for u in users}


async def test_updates_arriving_while_stopping_are_left_for_telegram_to_resend(
    system: System,
) -> None:
    await system.service.stop()
    update = system.tg.message_update("start")
    secret = {SECRET_HEADER: system.fake.webhook["secret_token"]}
    async with system.web_client() as client:
        answer = await client.post(WEBHOOK_PATH, json=update, headers=secret)
    assert answer.status_code == 503
    assert system.fake.calls_to("sendMessage") == []
