"""Two bots on the real wiring and database, driven through Telegram against the fakes: a Pro
one over the fake Ayrshare, a Free one over the fake Instagram Graph API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.instagram.login import SCOPES
from adapters.telegram.limiter import TelegramRateLimiter
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from bot.telegram import TelegramService
from core.engage.sweep import PassReport
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
from tests.fakes.telegram_api import FakeMessage, FakeTelegramAPI
from tests.telegram.driver import ANA, TelegramDriver, User, VirtualTime

PUBLIC_URL = "https://postroom.example"


@dataclass
class Bot:
    fake: FakeTelegramAPI
    ayrshare: FakeAyrshare
    ig: FakeInstagramPublish
    services: Services
    tg: TelegramDriver
    clock: FixedClock

    async def run_pass(self) -> PassReport:
        assert self.services.engage is not None
        return await self.services.engage.sweep.run()

    def toasts(self) -> list[str]:
        return [str(c.params.get("text", "")) for c in self.fake.calls_to("answerCallbackQuery")]

    async def sealed(self, body: str, user: User = ANA) -> str:
        from core.replies import mark

        async with self.services.uow() as uow:
            profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(user.id)))
        assert profile is not None
        return f"{body}~{mark(profile.id, self.clock.now())}"

    def comment_message(self, chat_id: int = ANA.id) -> FakeMessage:
        return self.tg.showing("Reply 1", chat_id)


async def _bot(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, tier: str, **ayr: Any
) -> AsyncIterator[Bot]:
    ayrshare = FakeAyrshare(now=clock.now(), **ayr)
    ig = FakeInstagramPublish(clock)
    ig.polls_before_finished = 0
    key_file = tmp_path / "ayrshare.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n")
    values: dict[str, Any] = {
        "database_url": db_url,
        "var_dir": tmp_path / "var",
        "secret_keys": generate_key_spec("t1"),
        "ayrshare_api_key": ayrshare.api_key,
        "ayrshare_base_url": ayrshare_api.BASE_URL,
        "ayrshare_domain": "postroom.example",
        "ayrshare_private_key_file": key_file,
        "instagram_api_url": BASE_URL,
        "instagram_app_id": "1234567890",
        "instagram_app_secret": "app-secret",
        "default_tier": tier,
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
    await service.start()
    tg = TelegramDriver(fake, service.application, service.chat)
    try:
        yield Bot(fake, ayrshare, ig, services, tg, clock)
    finally:
        await service.stop()
        await services.aclose()


@pytest.fixture
async def pro(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[Bot]:
    async for bot in _bot(engine, db_url, tmp_path, clock, "pro"):
        yield bot


@pytest.fixture
async def pro_flat(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[Bot]:
    async for bot in _bot(engine, db_url, tmp_path, clock, "pro", comments_shape="flat"):
        yield bot


@pytest.fixture
async def free(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> AsyncIterator[Bot]:
    async for bot in _bot(engine, db_url, tmp_path, clock, "free"):
        yield bot


async def publish_pro(bot: Bot, text: str = "Launch day!", user: User = ANA) -> str:
    """Ana links Instagram and Facebook at Ayrshare and publishes a photo to both; returns
    Ayrshare's post id."""
    await bot.tg.say("/connect", user=user)
    key = list(bot.ayrshare.profiles)[-1]
    for platform in ("instagram", "facebook"):
        bot.ayrshare.link(key, platform, f"{user.first_name} on {platform}")
    await bot.tg.say("/status", user=user)
    await bot.tg.send_photo(text, user=user)
    await bot.tg.tap("Publish now", user=user, message=bot.tg.last(user.id))
    assert "2 of 2 published" in bot.tg.last(user.id).text
    return str(bot.ayrshare.posts_for(key)[-1]["id"])


async def connect_instagram(bot: Bot, scopes: tuple[str, ...] = SCOPES) -> None:
    """What the Instagram connect flow stores: the token with the permissions granted."""
    await bot.tg.say("/start")
    async with bot.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(ANA.id)))
        assert profile is not None
        profile.accounts[Route.INSTAGRAM_GRAPH] = AccountKey(IG_USER, Secret(TOKEN), scopes=scopes)
        profile.connections[Network.INSTAGRAM] = Connection(
            Network.INSTAGRAM, ConnectionStatus.CONNECTED, "ana.bakes", bot.clock.now()
        )
        await uow.profiles.save(profile)
        await uow.commit()


async def publish_free(bot: Bot, text: str = "Fresh sourdough") -> str:
    """A photo published to Instagram through the Graph API; returns the media id."""
    await bot.tg.send_photo(text)
    await bot.tg.tap("Publish now", message=bot.tg.last())
    assert "1 of 1 published" in bot.tg.last().text
    return bot.ig.media[-1].id
