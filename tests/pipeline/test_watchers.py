"""Watchers of posts (a front end's page of them, like Slack's App Home) hear of each outcome
the pipeline reaches and each change made from a chat, not of every step; one that fails
stops nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx

from core.model import Network, Post, Route
from core.ports import UnitOfWorkFactory
from core.states import PostState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import World, ayrshare


def world_of(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: ayrshare(fake, http)}, fake=fake)


async def test_watchers_hear_outcomes_and_chat_changes(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    world = world_of(uow_factory, clock, fake, http)
    heard: list[tuple[int, PostState]] = []

    async def watcher(post: Post) -> None:
        heard.append((post.id, post.state))

    world.app.watch(watcher)
    ana = await world.profile("ana", [Network.FACEBOOK, Network.X])
    fake.fail_platform("twitter", 110, "Simulated refusal.")
    sent = await world.post(ana, Network.FACEBOOK, Network.X)
    later = await world.post(ana, Network.FACEBOOK, due=clock.now() + timedelta(hours=1))
    await world.pipeline.run_until_idle()
    # Once, at the outcome: not at "queued" or "publishing", nor for the one still waiting.
    assert heard == [(sent.id, PostState.PARTIAL)]

    reply = await world.say("ana", f"/cancel {later.id}")
    assert reply is not None and reply.text.startswith("Cancelled")
    assert heard[-1] == (later.id, PostState.DRAFT)
    refused = await world.say("ana", f"/cancel {later.id}")  # again: nothing changed
    assert refused is not None and "only scheduled posts" in refused.text
    assert len(heard) == 2


async def test_a_failing_watcher_stops_nothing(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    world = world_of(uow_factory, clock, fake, http)

    async def broken(post: Post) -> None:
        raise RuntimeError("the front end is down")

    world.app.watch(broken)
    ana = await world.profile("ana", [Network.FACEBOOK])
    post = await world.post(ana, Network.FACEBOOK)
    await world.pipeline.run_until_idle()
    assert await world.states(post.id) == {Network.FACEBOOK: "published"}
    stored = await world.get(post.id)
    assert "1 of 1 published" in world.progress_of(stored).text
