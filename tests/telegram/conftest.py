"""Fixtures: the Telegram front end over the write-side fake (or SQL) and sandbox, with the fake
Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.sandbox import FailMode, SandboxPublisher
from adapters.telegram.application import TelegramApplication
from adapters.telegram.chat import TelegramChat
from adapters.telegram.limiter import TelegramRateLimiter
from adapters.telegram.messenger import TelegramMessenger, chat_ref
from bot.bootstrap import Services, bootstrap
from bot.media import SandboxMediaHost
from bot.settings import Settings
from bot.telegram import TelegramService
from core.chat.entry import Postroom
from core.handlers import Actor
from core.model import ChatPlatform, Identity, Network, Route, Tier
from core.policy import Policy
from core.ports import MediaHost, Publisher, UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from core.publishing.pipeline import Pipeline
from core.replies import mark
from tests.analytics.support import FakeCharts
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.telegram.driver import ANA, TelegramDriver, Timers, User, VirtualTime

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@dataclass
class World:
    """One bot: core over a store + sandbox, the PTB Application, the fake Bot API."""

    fake: FakeTelegramAPI
    app: TelegramApplication
    chat: TelegramChat
    messenger: TelegramMessenger
    postroom: Postroom
    pipeline: Pipeline
    uow: UnitOfWorkFactory
    clock: FixedClock
    time: VirtualTime
    album_time: Timers
    publishers: Mapping[Route, Publisher]
    tg: TelegramDriver
    services: Services

    async def sealed(self, body: str, user: User = ANA) -> str:
        """Button data `body` (`Action.PUBLISH.data(1)`) as the bot would seal it for `user`
        now, to tap data no message shows (an old copy of a message, a hand-made query)."""
        who = Actor(Identity(ChatPlatform.TELEGRAM, str(user.id)), chat_ref(user.id))
        profile = await self.postroom.profile_for(who)
        return f"{body}~{mark(profile.id, self.clock.now())}"


MakeWorld = Callable[..., Awaitable[World]]


@pytest.fixture
async def make_world() -> AsyncIterator[MakeWorld]:
    started: list[World] = []

    async def make(
        *,
        fail: Mapping[Network, FailMode] | None = None,
        tier: Tier = Tier.PRO,
        media: MediaHost | None = None,
        fake: FakeTelegramAPI | None = None,
        uow: UnitOfWorkFactory | None = None,
        stars_price: int | None = None,
        terms_url: str | None = None,
        settings: Mapping[str, Any] | None = None,  # more settings (Stripe's)
    ) -> World:
        clock = FixedClock(START)
        # The fast write-side fake unless a test needs the read side (links, digests): SQL.
        uow = uow or InMemoryUnitOfWorkFactory()
        publishers: dict[Route, Publisher] = {
            route: SandboxPublisher(route, fail=fail or {}, clock=clock) for route in Route
        }
        time = VirtualTime()
        fake = fake or FakeTelegramAPI()
        fake.clock = time.clock  # the fake counts messages per second on the limiter's clock
        fake.stars.wall_clock = lambda: clock.now().timestamp()  # subscription periods
        values = {
            "default_tier": tier,
            "telegram_token": SecretStr(TOKEN),
            "pro_stars_price": stars_price,
            "terms_url": terms_url,
        } | dict(settings or {})
        services = bootstrap(
            Settings.model_validate(values),
            clock=clock,
            uow=uow,
            publishers=publishers,
            media_host=media or SandboxMediaHost(),
            charts=FakeCharts(),
            policy=Policy.default(),
            pipeline_config=PipelineConfig(),
            telegram_transport=fake.transport(),
            telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
        )
        postroom, pipeline = services.postroom, services.pipeline
        timers = Timers()
        service = TelegramService(
            services.settings, services, wake=pipeline.run_until_idle, album_wait=timers.sleep
        )
        app, chat, messenger = service.application, service.chat, service.messenger
        await app.initialize()
        await chat.setup()
        world = World(
            fake,
            app,
            chat,
            messenger,
            postroom,
            pipeline,
            uow,
            clock,
            time,
            timers,
            publishers,
            TelegramDriver(fake, app, chat),
            services,
        )
        started.append(world)
        return world

    yield make
    for world in started:
        await world.app.shutdown()


@pytest.fixture
async def world(make_world: MakeWorld) -> World:
    return await make_world()
