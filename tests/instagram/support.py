"""A Free bot built by bootstrap over the fake Instagram Graph API: publish, sweep, /stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx

from adapters.instagram.publisher import InstagramGraphPublisher
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.analytics.sync import SweepReport
from core.handlers import Actor
from core.model import (
    AccountKey,
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
    Secret,
    Target,
    Tier,
)
from core.ports import UnitOfWorkFactory
from core.replies import Reply
from core.states import TargetState
from tests.analytics.support import FakeCharts
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_publish import BASE_URL, IG_USER, TOKEN, FakeInstagramPublish
from tests.fakes.messenger import RecordingMessenger

IG = Network.INSTAGRAM
IMAGE = "https://cdn.example.com/media/cat.jpg"
REEL = "https://cdn.example.com/media/launch.mp4"


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class FreeBot:
    """bootstrap's graph for a Free profile whose Instagram token is stored."""

    services: Services
    clock: FixedClock
    fake: FakeInstagramPublish
    profile: Profile

    async def publish(self, *media: str, text: str = "Fresh sourdough is out") -> Post:
        """A post due now, sent by the pipeline to the fake."""
        now = self.clock.now()
        post = Post(
            0,
            self.profile.id,
            text,
            media or (IMAGE,),
            now - timedelta(minutes=5),
            ChatRef(ChatPlatform.CONSOLE, "ana"),
            scheduled_at=now,
            targets={IG: Target(IG, Route.INSTAGRAM_GRAPH, TargetState.SCHEDULED, due_at=now)},
        )
        async with self.services.uow() as uow:
            post = await uow.posts.add(post)
            await uow.commit()
        await self.services.pipeline.tick()
        async with self.services.uow() as uow:
            stored = await uow.posts.get(post.id)
        assert stored is not None and stored.targets[IG].state is TargetState.PUBLISHED
        return stored

    async def sweep(self) -> SweepReport:
        assert self.services.analytics is not None
        return await self.services.analytics.sync.sweep()

    async def say(self, text: str) -> Reply:
        actor = Actor(
            Identity(ChatPlatform.CONSOLE, "ana"),
            ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE),
            "ana",
        )
        reply = await self.services.postroom.handle_text(actor, text)
        assert reply is not None
        return reply


async def free_bot(
    uow: UnitOfWorkFactory, clock: FixedClock, fake: FakeInstagramPublish, http: httpx.AsyncClient
) -> FreeBot:
    """Outside the sandbox (an Ayrshare key is set, unused by Free), Instagram's API at the
    fake; the analytics sources are the ones bootstrap wires."""
    settings = Settings(
        ayrshare_api_key="sk-unused-by-free",
        instagram_api_url=BASE_URL,
        default_tier=Tier.FREE,
        worker_id="w1",
    )
    publisher = InstagramGraphPublisher(
        http, base_url=BASE_URL, clock=clock, app_configured=True, sleep=_no_sleep
    )
    services = bootstrap(
        settings,
        clock=clock,
        uow=uow,
        http=http,
        publishers={Route.INSTAGRAM_GRAPH: publisher},
        charts=FakeCharts(),
        messengers={ChatPlatform.CONSOLE: RecordingMessenger()},
    )
    async with uow() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.CONSOLE, "ana"),
            tier=Tier.FREE,
            timezone="UTC",
            display_name="Ana",
            now=clock.now(),
        )
        profile.accounts[Route.INSTAGRAM_GRAPH] = AccountKey(IG_USER, Secret(TOKEN))
        profile.connections[IG] = Connection(
            IG, ConnectionStatus.CONNECTED, "ana.bakes", clock.now()
        )
        await u.profiles.save(profile)
        await u.commit()
    return FreeBot(services, clock, fake, profile)
