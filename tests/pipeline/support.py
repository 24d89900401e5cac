"""Builds a pipeline over the real database and the fake Ayrshare API, with a recording chat."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from adapters.ayrshare import AyrshareClient, AyrsharePublisher
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.chat.entry import Postroom
from core.handlers import Actor
from core.model import (
    AccountKey,
    ChatKind,
    ChatPlatform,
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Secret,
    Target,
    Tier,
)
from core.policy import Policy
from core.ports import ConnectLink, Outcome, Publisher, PublishRequest, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.publishing.config import PipelineConfig
from core.publishing.pipeline import Pipeline
from core.replies import Reply, mark
from core.states import TargetState
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

API_KEY = "sk-test-pipeline-0001"
VIDEO = "https://cdn.example.com/media/launch.mp4"
PLATFORMS = {n: ("twitter" if n is Network.X else n.value) for n in Network}


def chat_of(user: str) -> ChatRef:
    """The user's private chat with the bot."""
    return ChatRef(ChatPlatform.TELEGRAM, f"chat-{user}", kind=ChatKind.PRIVATE)


@dataclass
class World:
    """Everything a publishing test drives and inspects."""

    uow: UnitOfWorkFactory
    clock: FixedClock
    publishers: dict[Route, Publisher]
    messenger: RecordingMessenger = field(default_factory=RecordingMessenger)
    fake: FakeAyrshare | None = None
    config: PipelineConfig = field(default_factory=PipelineConfig)
    pipeline: Pipeline = field(init=False)
    app: Postroom = field(init=False)
    accounts: Accounts = field(init=False)

    def __post_init__(self) -> None:
        services = self._bootstrap(self.config)
        self.accounts = services.accounts
        self.app = services.postroom
        self.pipeline = services.pipeline

    def worker(self, name: str, **changes: object) -> Pipeline:
        """Another pipeline on the same database: a second worker, or this one restarted."""
        config = PipelineConfig(**{**_fields(self.config), "worker": name, **changes})
        return self._bootstrap(config).pipeline

    def _bootstrap(self, config: PipelineConfig) -> Services:
        return bootstrap(
            Settings(default_tier=Tier.PRO),
            clock=self.clock,
            uow=self.uow,
            publishers=self.publishers,
            policy=Policy.default(),
            pipeline_config=config,
            rng=random.Random(7),
            sandbox=False,
            messengers={ChatPlatform.TELEGRAM: self.messenger},
        )

    # --- setting up ---------------------------------------------------------------------

    async def profile(
        self, user: str = "ana", networks: Iterable[Network] = tuple(Network), tz: str = "UTC"
    ) -> Profile:
        """A Pro profile with these networks connected (and linked at the fake Ayrshare)."""
        chosen = tuple(networks)
        async with self.uow() as uow:
            profile = await uow.profiles.create(
                Identity(ChatPlatform.TELEGRAM, user),
                tier=Tier.PRO,
                timezone=tz,
                display_name=user.title(),
                now=self.clock.now(),
            )
            if self.fake is not None:
                key = self.fake.add_profile(f"postroom-{profile.id}")
                for n in chosen:
                    self.fake.link(key, PLATFORMS[n], f"{user} on {n.label}")
                ref = self.fake.profiles[key].ref_id
                profile.accounts[Route.AYRSHARE] = AccountKey(ref, Secret(key))
            for n in chosen:
                profile.connections[n] = Connection(
                    n, ConnectionStatus.CONNECTED, f"{user} on {n.label}", self.clock.now()
                )
            await uow.profiles.save(profile)
            await uow.commit()
        return profile

    async def post(
        self,
        profile: Profile,
        *networks: Network,
        due: datetime | None = None,
        text: str = "Launch day! Our new app is live",
        user: str = "ana",
    ) -> Post:
        """A post scheduled for `due` (default: now), as /schedule leaves it."""
        when = due or self.clock.now()
        post = Post(
            0,
            profile.id,
            text,
            (VIDEO,),
            self.clock.now() - timedelta(hours=1),
            chat_of(user),
            scheduled_at=when,
            targets={
                n: Target(n, Route.AYRSHARE, TargetState.SCHEDULED, due_at=when) for n in networks
            },
        )
        async with self.uow() as uow:
            post = await uow.posts.add(post)
            await uow.commit()
        return post

    # --- looking ------------------------------------------------------------------------

    async def get(self, post_id: int) -> Post:
        async with self.uow() as uow:
            post = await uow.posts.get(post_id)
        assert post is not None
        return post

    async def states(self, post_id: int) -> dict[Network, TargetState]:
        post = await self.get(post_id)
        return {n: t.state for n, t in post.targets.items()}

    def notices(self) -> list[Reply]:
        """Messages sent to notify the author (failures, held posts), not progress messages."""
        return [reply for _, reply, _ in self.messenger.sent if reply.text[:1] in ("❌", "⏰")]

    def progress_of(self, post: Post) -> Reply:
        assert post.progress is not None
        shown = self.messenger.last(post.progress)
        assert shown is not None
        return shown

    def posts_sent(self) -> int:
        """POST /post requests that reached the fake Ayrshare."""
        assert self.fake is not None
        return len(self.fake.requests_to("POST", "/post"))

    def published_copies(self, profile: Profile) -> Counter[tuple[str, str]]:
        """How many copies of each (text, platform) the fake Ayrshare published for a profile."""
        assert self.fake is not None
        key = profile.accounts[Route.AYRSHARE].key.value
        return Counter(
            (record["post"], entry["platform"])
            for record in self.fake.posts_for(key)
            for entry in record["postIds"]
            if entry.get("status", "success") == "success"
        )

    async def tap(self, user: str, data: str, message: MessageRef | None = None) -> Reply:
        """A tap on `data`; bare data (`Action.PUBLISH.data(3)`) is sealed as a button the bot
        showed `user`."""
        actor = Actor(Identity(ChatPlatform.TELEGRAM, user), chat_of(user), user)
        if "~" not in data:
            profile = await self.app.profile_for(actor)
            data = f"{data}~{mark(profile.id, self.clock.now())}"
        return await self.app.handle_tap(actor, data, message)

    async def say(self, user: str, text: str) -> Reply | None:
        actor = Actor(Identity(ChatPlatform.TELEGRAM, user), chat_of(user), user)
        return await self.app.handle_text(actor, text)


def _fields(config: PipelineConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def ayrshare(fake: FakeAyrshare, http: httpx.AsyncClient, *, timeout: float = 5.0) -> Publisher:
    client = AyrshareClient(http, base_url=BASE_URL, api_key=API_KEY, timeout=timeout)
    return AyrsharePublisher(client, jwt_domain=None, private_key_pem=None)


def fake_ayrshare(clock: FixedClock) -> FakeAyrshare:
    return FakeAyrshare(api_key=API_KEY, now=clock.now())


class Crash(BaseException):
    """The worker process dies here. Not an Exception: nothing in the pipeline catches it."""


class Crashing:
    """Wraps a publisher; when armed, its next publish kills the worker before or after the
    request leaves (so the pipeline never records the outcome)."""

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner
        self.route = inner.route
        self.armed: str | None = None

    def arm(self, when: str) -> None:
        assert when in ("before", "after")
        self.armed = when

    def unavailable(self, network: Network) -> str | None:
        return self.inner.unavailable(network)

    async def create_account(self, profile: Profile) -> AccountKey | None:
        return await self.inner.create_account(profile)

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        return await self.inner.connect_link(profile, network)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        return await self.inner.connected(profile)

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        when, self.armed = self.armed, None
        if when == "before":
            raise Crash
        outcomes = await self.inner.publish(request)
        if when == "after":
            raise Crash
        return outcomes

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        return await self.inner.lookup(request, since)

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        await self.inner.delete(profile, post, networks)
