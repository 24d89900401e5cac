"""A Free user on Telegram publishes a photo to Instagram through the Instagram Graph route on
the real wiring: the photo goes through the same MediaHost as Ayrshare's route (the bot's own
/media/<token> under POSTROOM_PUBLIC_URL), which Instagram's container is given to fetch."""

from __future__ import annotations

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
from bot.media import FileMediaHost, media_routes
from bot.settings import Settings
from bot.telegram import TelegramService
from bot.web import create_app
from core.model import (
    AccountKey,
    ChatPlatform,
    Connection,
    ConnectionStatus,
    Identity,
    Network,
    Route,
    Secret,
)
from tests.fakes import ayrshare_api
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_publish import BASE_URL, IG_USER, TOKEN, FakeInstagramPublish
from tests.fakes.telegram_api import TOKEN as TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.driver import ANA, TelegramDriver, VirtualTime

PUBLIC_URL = "https://postroom.example"
HOSTED = re.compile(re.escape(PUBLIC_URL) + r"/media/[A-Za-z0-9_-]{22}\.jpg")
PHOTO = b"\xff\xd8 a photo for instagram \xff\xd9"


@dataclass
class System:
    ig: FakeInstagramPublish
    services: Services
    web: Starlette
    tg: TelegramDriver


@pytest.fixture
async def system(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[System]:
    ig = FakeInstagramPublish(clock)
    ig.polls_before_finished = 0  # FINISHED at the first look: the real poll sleeps unused
    ayrshare = FakeAyrshare()  # configured, never called for a Free profile
    values: dict[str, Any] = {
        "database_url": db_url,
        "var_dir": tmp_path / "var",
        "secret_keys": generate_key_spec("t1"),
        "ayrshare_api_key": ayrshare.api_key,
        "ayrshare_base_url": ayrshare_api.BASE_URL,
        "instagram_api_url": BASE_URL,
        "instagram_app_id": "1234567890",
        "instagram_app_secret": "app-secret",
        "default_tier": "free",
        "telegram_token": TELEGRAM_TOKEN,
        "public_url": PUBLIC_URL,
    }
    settings = Settings.model_validate(values)
    http = httpx.AsyncClient(
        mounts={BASE_URL: ig.transport(), ayrshare_api.BASE_URL: ayrshare.transport()}
    )
    time = VirtualTime()
    fake = FakeTelegramAPI(clock=time.clock)
    services = bootstrap(
        settings,
        http=http,
        clock=clock,
        telegram_transport=fake.transport(),
        telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
    )
    service = TelegramService(settings, services, wake=services.pipeline.run_until_idle)
    web = create_app(_healthy, [*media_routes(services.media_host), *service.routes])
    await service.start()
    tg = TelegramDriver(fake, service.application, service.chat)
    try:
        yield System(ig, services, web, tg)
    finally:
        await service.stop()
        await services.aclose()


async def _healthy() -> bool:
    return True


async def connect_instagram(services: Services) -> None:
    """What the connect flow stores: the token (encrypted) and the account's connection."""
    async with services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(ANA.id)))
        assert profile is not None
        profile.accounts[Route.INSTAGRAM_GRAPH] = AccountKey(IG_USER, Secret(TOKEN))
        profile.connections[Network.INSTAGRAM] = Connection(
            Network.INSTAGRAM, ConnectionStatus.CONNECTED, "ana.bakes", services.clock.now()
        )
        await uow.profiles.save(profile)
        await uow.commit()


async def test_a_telegram_photo_reaches_instagram_through_the_bots_media_route(
    system: System,
) -> None:
    tg, ig = system.tg, system.ig
    assert isinstance(system.services.media_host, FileMediaHost)
    await tg.say("/start")
    assert "You're on Free" in tg.last().text
    await connect_instagram(system.services)

    await tg.send_photo("Fresh sourdough", data=PHOTO)
    composer = tg.last()
    assert composer.text.startswith("✍️ New post")
    await tg.tap("Publish now", message=composer)

    [container] = ig.calls("POST", "/media")
    url = container["image_url"]
    assert HOSTED.fullmatch(url), url  # ours, under the public URL: never Ayrshare's storage
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.web), base_url=PUBLIC_URL
    ) as meta:
        fetched = await meta.get(url)  # as Meta's crawler fetches it
    assert fetched.status_code == 200 and fetched.content == PHOTO
    assert fetched.headers["content-type"] == "image/jpeg"
    [media] = ig.media
    assert media.caption == "Fresh sourdough"
    progress = tg.last()
    assert "1 of 1 published" in progress.text and "Instagram  ✅" in progress.text
