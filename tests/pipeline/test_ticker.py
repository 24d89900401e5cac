"""The ticker wakes when the next scheduled post falls due instead of waiting for its tick."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from adapters.sandbox import SandboxPublisher
from bot.ticker import Ticker
from core.model import Network, Route
from core.states import TargetState
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.pipeline.support import World

FB = Network.FACEBOOK
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


async def test_a_post_due_before_the_next_tick_goes_out_when_due() -> None:
    clock = FixedClock(START)
    sandbox = SandboxPublisher(Route.AYRSHARE, clock=clock)
    world = World(InMemoryUnitOfWorkFactory(), clock, {Route.AYRSHARE: sandbox})
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB, due=clock.now() + timedelta(milliseconds=200))
    ticker = Ticker(world.pipeline, interval=3600)  # the interval tick never comes here
    ticker.wake()  # one pass: nothing is due yet, and it learns when something will be
    for _ in range(5):
        await asyncio.sleep(0)
    clock.advance(timedelta(milliseconds=200))

    for _ in range(100):  # up to 2 s of real time; the wake-up is due after 0.2 s
        if (await world.states(post.id))[FB] is TargetState.PUBLISHED:
            break
        await asyncio.sleep(0.02)
    await ticker.stop()

    assert await world.states(post.id) == {FB: TargetState.PUBLISHED}
    assert len(sandbox.posts()) == 1
