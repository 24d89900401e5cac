"""A bot with the media kit over the test database: chat commands, taps, the web app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
from starlette.applications import Starlette

from adapters.db.uow import SqlUnitOfWorkFactory
from bot.bootstrap import Services, bootstrap
from bot.kit_web import kit_routes
from bot.settings import Settings
from core.analytics.sync import AnalyticsSync
from core.handlers import Actor
from core.metrics import AccountMetric, PostMetrics
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network, Profile, Route, Tier
from core.policy import Policy
from core.replies import Button, Reply
from tests.analytics.support import (
    Chat,
    FakeCharts,
    ScriptedSource,
    make_profile,
    metrics,
    publish,
)
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

PUBLIC = "https://bot.example"


@dataclass
class KitWorld:
    services: Services
    clock: FixedClock
    uow: SqlUnitOfWorkFactory
    http: httpx.AsyncClient

    @property
    def chat(self) -> Chat:
        assert self.services.analytics is not None
        return Chat(self.services.postroom, self.services.analytics, self.clock)

    async def say(self, text: str, user: str = "ana", chat: str | None = None) -> Reply:
        return await self.chat.say(text, user, chat)

    async def tap(self, button: Button, user: str = "ana") -> Reply:
        """A tap by `user` on a button the bot showed (its seal kept as shown)."""
        actor = Actor(
            Identity(ChatPlatform.CONSOLE, user),
            ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE),
        )
        return await self.services.postroom.handle_tap(actor, button.callback_data, None)

    async def tap_data(self, body: str, user: str = "ana") -> Reply:
        """A tap on hand-made data `body`, sealed for `user` now (a forged or old button)."""
        return await self.chat.tap(body, user)

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.http.get(path, headers=headers)


def button(reply: Reply, label: str) -> Button:
    for row in reply.buttons:
        for b in row:
            if b.label == label or b.label.endswith(label):
                return b
    shown = [b.label for row in reply.buttons for b in row]
    raise AssertionError(f"no button {label!r} in {shown}")


def make_world(uow: SqlUnitOfWorkFactory, clock: FixedClock, **settings: object) -> KitWorld:
    values: dict[str, object] = {"default_tier": Tier.PRO, "public_url": PUBLIC, "http_port": 0}
    services = bootstrap(
        Settings.model_validate(values | settings),
        clock=clock,
        uow=uow,
        publishers={},
        sources={},
        charts=FakeCharts(),
        policy=Policy.default(),
        sandbox=False,
        messengers={ChatPlatform.CONSOLE: RecordingMessenger()},
    )
    app = Starlette(routes=kit_routes(services.mediakit))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit.test")
    return KitWorld(services, clock, uow, http)


async def with_numbers(world: KitWorld, user: str = "ana") -> Profile:
    """A Pro profile with two networks, three measured posts and two weeks of followers."""
    clock = world.clock
    profile = await make_profile(
        world.uow, user, connected=(Network.INSTAGRAM, Network.TIKTOK), name="Ana's bakery"
    )
    answers = {
        Network.INSTAGRAM: metrics(views=1200, likes=80, comments=10, shares=5, saves=5),
        Network.TIKTOK: metrics(views=5400, likes=300, comments=40, shares=20),
    }
    for n, network in enumerate((Network.INSTAGRAM, Network.TIKTOK)):
        await publish(
            world.uow,
            profile,
            [network],
            at=clock.now() - timedelta(days=3 + n),
            text=f"Sourdough batch {n + 1} <b>hot</b>",
            provider_post_id=f"ayr-{n}",
        )
    await publish(
        world.uow,
        profile,
        [Network.INSTAGRAM],
        at=clock.now() - timedelta(days=5),
        text="Croissant morning",
        provider_post_id="ayr-9",
    )

    def answer(item: object) -> PostMetrics | None:
        network = getattr(item, "network", None)
        return answers.get(network) if isinstance(network, Network) else None

    followers = {Network.INSTAGRAM: 4200, Network.TIKTOK: 12800}
    source = ScriptedSource(Route.AYRSHARE, answer, followers=followers)
    sync = AnalyticsSync(world.uow, {Route.AYRSHARE: source}, Policy.default(), clock)
    await sync.sweep()
    async with world.uow() as u:
        for back in range(1, 15):
            day = (clock.now() - timedelta(days=back)).date()
            for network, count in followers.items():
                await u.analytics.record_account(
                    profile.id,
                    network,
                    day,
                    {AccountMetric.FOLLOWERS: count - back * 40},
                    taken_at=clock.now() - timedelta(days=back),
                )
        await u.commit()
    return profile
