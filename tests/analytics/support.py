"""Helpers for analytics tests: profiles and published posts in any store, scripted sources."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.analytics import AnalyticsServices
from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.analytics.sync import AnalyticsSync, SyncConfig
from core.analytics_ports import AnalyticsSource, ChartRenderer
from core.chat.entry import Postroom
from core.digests.compose import DigestComposer
from core.digests.delivery import DigestConfig, DigestRunner
from core.errors import TransientError
from core.handlers import Actor
from core.metrics import AccountMetric, AnalyticsItem, Metric, PostMetrics
from core.model import (
    ChatKind,
    ChatPlatform,
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    Network,
    Post,
    Profile,
    Route,
    Target,
    Tier,
)
from core.policy import Policy
from core.ports import Messenger, UnitOfWorkFactory
from core.replies import Reply, mark
from core.states import TargetState
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

# A Tuesday; Monday 30 Nov 2026 is the next weekly digest day.
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\nfake"


async def make_profile(
    uow: UnitOfWorkFactory,
    user: str = "ana",
    *,
    tier: Tier = Tier.PRO,
    timezone: str = "UTC",
    connected: Sequence[Network] = (Network.TIKTOK, Network.INSTAGRAM),
    broken: Sequence[Network] = (),
    name: str = "Ana's bakery",
    platform: ChatPlatform = ChatPlatform.CONSOLE,
) -> Profile:
    async with uow() as u:
        profile = await u.profiles.create(
            Identity(platform, user), tier=tier, timezone=timezone, display_name=name, now=START
        )
        for network in connected:
            profile.connections[network] = Connection(
                network, ConnectionStatus.CONNECTED, f"{network.value} account", START
            )
        for network in broken:
            profile.connections[network] = Connection(network, ConnectionStatus.BROKEN, "", START)
        await u.profiles.save(profile)
        await u.commit()
    return profile


async def publish(
    uow: UnitOfWorkFactory,
    profile: Profile,
    networks: Sequence[Network],
    *,
    at: datetime,
    text: str = "Fresh sourdough is out of the oven!",
    route: Route = Route.AYRSHARE,
    provider_post_id: str | None = "ayr-1",
    failed: Mapping[Network, str] | None = None,
    links: Mapping[Network, tuple[str, str]] | None = None,
) -> Post:
    """A post whose targets went out at `at` (or failed then, for networks in `failed`);
    `links` gives a network's (url, external id) as Ayrshare reported them."""
    post = Post(0, profile.id, text, (), at, ChatRef(ChatPlatform.CONSOLE, "ana"))
    for network in networks:
        target = Target(network, route, TargetState.PUBLISHED, due_at=at, sent_at=at)
        target.published_at = at
        target.provider_post_id = provider_post_id
        target.external_id = f"{network.value}-{int(at.timestamp())}"
        target.url = f"https://{network.value}.example.com/p/{int(at.timestamp())}"
        if links and network in links:
            target.url, target.external_id = links[network]
        post.targets[network] = target
    for network, reason in (failed or {}).items():
        post.targets[network] = Target(
            network, route, TargetState.FAILED, due_at=at, sent_at=at, error=reason
        )
    async with uow() as u:
        stored = await u.posts.add(post)
        await u.commit()
    return stored


Answer = Callable[[AnalyticsItem], PostMetrics | Exception | None]


@dataclass
class ScriptedSource:
    """An AnalyticsSource answering from a function of the item; tracks calls and concurrency."""

    route: Route
    answer: Answer
    followers: Mapping[Network, int] = field(default_factory=dict)
    calls: list[list[int]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    gate: asyncio.Event | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def until_in_flight(self, count: int) -> None:
        """Wait (on events, not time) until `count` requests are in flight at once."""
        while self.in_flight < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout=30)

    async def post_metrics(
        self, profile: Profile, items: Sequence[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        self.calls.append([i.id for i in items])
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self.changed.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
            else:
                await asyncio.sleep(0)
            found: dict[int, PostMetrics] = {}
            for item in items:
                got = self.answer(item)
                if isinstance(got, Exception):
                    raise got
                if got is not None:
                    found[item.id] = got
            return found
        finally:
            self.in_flight -= 1

    async def account_metrics(
        self, profile: Profile, networks: Sequence[Network]
    ) -> Mapping[Network, Mapping[AccountMetric, int]]:
        return {
            n: {AccountMetric.FOLLOWERS: self.followers[n]}
            for n in networks
            if n in self.followers
        }


def metrics(**values: int) -> PostMetrics:
    return PostMetrics({Metric(k): v for k, v in values.items()})


class FakeCharts:
    """A ChartRenderer that records what it was asked to draw."""

    def __init__(self) -> None:
        self.drawn: list[object] = []

    async def render(self, chart: object) -> bytes | None:
        self.drawn.append(chart)
        return PNG


class Sleeps:
    """An injected sleep: records waits, never blocks."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Env:
    uow: UnitOfWorkFactory
    clock: FixedClock
    policy: Policy
    sync: AnalyticsSync
    composer: DigestComposer
    messenger: RecordingMessenger
    sleeps: Sleeps

    def runner(
        self,
        worker: str = "w1",
        messenger: Messenger | None = None,
        **config: object,
    ) -> DigestRunner:
        return DigestRunner(
            self.uow,
            {ChatPlatform.CONSOLE: messenger or self.messenger},
            self.composer,
            self.clock,
            DigestConfig(worker=worker, **config),  # type: ignore[arg-type]
        )


def make_env(
    uow: UnitOfWorkFactory,
    sources: Mapping[Route, AnalyticsSource],
    *,
    charts: ChartRenderer | None = None,
    config: SyncConfig | None = None,
    start: datetime = START,
) -> Env:
    import random

    clock = FixedClock(start)
    policy = Policy.default()
    sleeps = Sleeps()
    sync = AnalyticsSync(
        uow, sources, policy, clock, config or SyncConfig(), sleep=sleeps, rng=random.Random(7)
    )
    composer = DigestComposer(uow, policy, clock, charts)
    return Env(uow, clock, policy, sync, composer, RecordingMessenger(), sleeps)


def transient(reason: str = "Ayrshare had a server error (HTTP 503).") -> TransientError:
    return TransientError(reason)


@dataclass
class Chat:
    """Postroom with the analytics commands, driven like a chat adapter."""

    app: Postroom
    services: AnalyticsServices
    clock: FixedClock

    async def say(self, text: str, user: str = "ana", chat: str | None = None) -> Reply:
        kind = ChatKind.PRIVATE if chat is None else ChatKind.SHARED
        actor = Actor(
            Identity(ChatPlatform.CONSOLE, user),
            ChatRef(ChatPlatform.CONSOLE, chat or user, kind=kind),
            user,
        )
        reply = await self.app.handle_text(actor, text)
        assert reply is not None, f"no reply to {text!r}"
        return reply

    async def tap(self, data: str, user: str = "ana") -> Reply:
        """A tap on `data`, sealed as a button the bot showed `user`."""
        chat = ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE)
        actor = Actor(Identity(ChatPlatform.CONSOLE, user), chat)
        profile = await self.app.profile_for(actor)
        data = f"{data}~{mark(profile.id, self.clock.now())}"
        return await self.app.handle_tap(actor, data, None)


def make_chat(env: Env, sources: Mapping[Route, AnalyticsSource]) -> Chat:
    services = bootstrap(
        Settings(default_tier=Tier.PRO, worker_id="w1"),
        clock=env.clock,
        uow=env.uow,
        publishers={},
        sources=sources,
        charts=FakeCharts(),
        policy=env.policy,
        sandbox=False,
        messengers={ChatPlatform.CONSOLE: env.messenger},
    )
    assert services.analytics is not None
    return Chat(services.postroom, services.analytics, env.clock)


def fields(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}
