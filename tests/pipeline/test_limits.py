"""Concurrency caps: requests in flight, each profile's request budget, and Instagram's rolling
24 h publishing quota, refused at schedule time and held to at send time."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta

import httpx
import pytest

from core.actions import Action
from core.model import Network, Post, Profile, Route, Target
from core.ports import Outcome, PublishRequest, UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from core.states import PostState, TargetState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import VIDEO, Crashing, World, ayrshare, chat_of

S = TargetState
IG, FB = Network.INSTAGRAM, Network.FACEBOOK


class Gated(Crashing):
    """Holds every publish at a gate and counts how many wait there at once."""

    def __init__(self, inner: Crashing) -> None:
        super().__init__(inner.inner)
        self.gate = asyncio.Event()
        self.waiting = 0
        self.most = 0

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        self.waiting += 1
        self.most = max(self.most, self.waiting)
        try:
            await self.gate.wait()
            return await self.inner.publish(request)
        finally:
            self.waiting -= 1


def make_world(
    uow: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
    http: httpx.AsyncClient,
    **config: object,
) -> World:
    publisher = ayrshare(fake, http)
    return World(
        uow,
        clock,
        {Route.AYRSHARE: publisher},
        fake=fake,
        config=PipelineConfig(**config),  # type: ignore[arg-type]
    )


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> World:
    return make_world(uow_factory, clock, fake, http)


async def published_on_instagram(world: World, profile: Profile, *times: datetime) -> None:
    """Earlier Instagram posts of this account, published at these times."""
    async with world.uow() as uow:
        for i, at in enumerate(times):
            target = Target(IG, Route.AYRSHARE, S.PUBLISHED, published_at=at, sent_at=at)
            post = Post(0, profile.id, f"earlier {i}", (VIDEO,), at, chat_of("ana"))
            post.targets[IG] = target
            await uow.posts.add(post)
        await uow.commit()


# --- requests in flight and per profile ----------------------------------------------------


async def test_no_more_requests_in_flight_than_the_cap(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    gated = Gated(Crashing(ayrshare(fake, http)))
    world = World(
        uow_factory,
        clock,
        {Route.AYRSHARE: gated},
        fake=fake,
        config=PipelineConfig(concurrency=2),
    )
    posts = []
    for user in ("ana", "bo", "cy", "di", "ed"):
        posts.append(await world.post(await world.profile(user, [FB]), FB, user=user))

    await world.pipeline.step()
    for _ in range(20):
        await asyncio.sleep(0)

    assert gated.waiting == 2
    states = [(await world.states(p.id))[FB] for p in posts]
    assert states.count(S.PUBLISHING) == 2
    assert states.count(S.SCHEDULED) == 3  # not even claimed while no request is free
    gated.gate.set()
    await world.pipeline.drain()

    assert [(await world.states(p.id))[FB] for p in posts] == [S.PUBLISHED] * 5
    assert gated.most == 2
    assert world.posts_sent() == 5


async def test_each_profile_keeps_to_its_request_budget(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    world = make_world(uow_factory, clock, fake, http, profile_requests=2)
    ana = await world.profile("ana", [FB])
    bo = await world.profile("bo", [FB])
    first = [await world.post(ana, FB, text=f"ana {i}") for i in range(3)]
    other = await world.post(bo, FB, text="bo 0", user="bo")
    start = clock.now()

    await world.pipeline.tick()

    states = [(await world.get(p.id)).targets[FB] for p in first]
    assert [t.state for t in states] == [S.PUBLISHED, S.PUBLISHED, S.SCHEDULED]
    assert states[2].due_at == start + timedelta(minutes=5)  # when the window frees a request
    assert states[2].attempts == 0  # waiting is not a failed attempt
    assert await world.states(other.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 3

    clock.advance(timedelta(minutes=5))
    await world.pipeline.tick()
    assert await world.states(first[2].id) == {FB: S.PUBLISHED}
    assert world.notices() == []


# --- Instagram's 24 h quota --------------------------------------------------------------------


async def test_instagram_quota_is_refused_at_schedule_time(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG, FB])
    await published_on_instagram(world, ana, *[clock.now() - timedelta(hours=1)] * 50)
    composer = await world.say("ana", f"/post Fresh bread media: {VIDEO}")
    assert composer is not None

    refused = await world.say("ana", "/schedule in 2h")

    assert refused is not None
    assert "Instagram allows 50 posts per 24 hours per account" in refused.text
    assert "already has 50 published or scheduled" in refused.text
    async with world.uow() as uow:
        draft = await uow.posts.latest_draft(ana.id)
    assert draft is not None and draft.state is PostState.DRAFT

    accepted = await world.say("ana", "/schedule in 24h")
    assert accepted is not None and accepted.text.startswith("🕒 Scheduled for")


async def test_instagram_quota_counts_posts_scheduled_after_the_new_one(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG])
    await published_on_instagram(world, ana, *[clock.now() - timedelta(hours=1)] * 49)
    later = await world.post(ana, IG, due=clock.now() + timedelta(hours=3), text="later")
    assert later.state is PostState.SCHEDULED
    await world.say("ana", f"/post Earlier one media: {VIDEO}")

    refused = await world.say("ana", "/schedule in 2h")

    # 49 + this one fit at 2 h, but the post already scheduled at 3 h would be the 51st.
    assert refused is not None and "already has 50 published or scheduled" in refused.text


async def test_publish_now_over_the_instagram_quota_is_refused(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG])
    await published_on_instagram(world, ana, *[clock.now() - timedelta(hours=2)] * 50)
    await world.say("ana", f"/post Now please media: {VIDEO}")
    async with world.uow() as uow:
        draft = await uow.posts.latest_draft(ana.id)
    assert draft is not None

    reply = await world.tap("ana", f"{Action.PUBLISH}:{draft.id}")

    assert reply.toast is not None and "Instagram allows 50 posts per 24 hours" in reply.toast
    assert (await world.get(draft.id)).state is PostState.DRAFT
    assert world.posts_sent() == 0


async def test_instagram_over_quota_at_send_time_fails_alone_with_when_it_frees(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG, FB])
    first = clock.now() - timedelta(hours=20)
    await published_on_instagram(
        world, ana, *[first + timedelta(minutes=i) for i in range(50)]
    )  # e.g. by a second worker a moment ago, or scheduled before the quota was known
    post = await world.post(ana, IG, FB)

    await world.pipeline.tick()

    stored = await world.get(post.id)
    assert await world.states(post.id) == {IG: S.FAILED, FB: S.PUBLISHED}
    assert stored.targets[IG].error == (
        "Not sent: Instagram allows 50 posts per 24 hours per account and this account has "
        "used them. Tap Retry after Tue 24 Nov 2026, 14:00 (UTC)."
    )
    [sent] = fake.requests_to("POST", "/post")
    assert sent.json["platforms"] == ["facebook"]
    [notice] = world.notices()
    assert [b.body for row in notice.buttons for b in row] == [
        f"{Action.RETRY}:{post.id}:instagram"
    ]
