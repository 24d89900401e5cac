"""A post awaiting approval is never claimed or sent, however long past its time, on the
in-memory store and on SQL; once approved (scheduled) the same post goes out."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.model import Network, Route
from core.ports import UnitOfWorkFactory
from core.states import PostState, TargetState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.pipeline.support import World, ayrshare

AWAITING = TargetState.AWAITING_APPROVAL


@pytest.fixture(params=["memory", "sql"])
def store(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    found = request.getfixturevalue("uow_factory")
    assert callable(found)
    return found  # type: ignore[no-any-return]


async def test_the_pipeline_never_claims_a_target_awaiting_approval(
    store: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    world = World(store, clock, {Route.AYRSHARE: ayrshare(fake, http)}, fake=fake)
    ana = await world.profile("ana", [Network.FACEBOOK, Network.LINKEDIN])
    post = await world.post(ana, Network.FACEBOOK, Network.LINKEDIN, due=clock.now())
    async with store() as uow:
        waiting = await uow.posts.lock(post.id)
        assert waiting is not None
        for target in waiting.targets.values():
            target.state = AWAITING  # as a submission leaves it, due at its time
        await uow.posts.save(waiting)
        await uow.commit()

    for _ in range(3):  # due now, then an hour late: still nobody's to send
        await world.pipeline.run_until_idle()
        assert await world.pipeline.until_next_due() is None
        clock.advance(timedelta(minutes=30))

    assert world.posts_sent() == 0
    assert set((await world.states(post.id)).values()) == {AWAITING}
    assert (await world.get(post.id)).state is PostState.AWAITING_APPROVAL
    assert world.messenger.sent == []  # no progress, no "held" notice: nothing was claimed

    async with store() as uow:  # approved: scheduled, due now
        approved = await uow.posts.lock(post.id)
        assert approved is not None
        for target in approved.targets.values():
            target.move_to(TargetState.SCHEDULED, clock.now())
        await uow.posts.save(approved)
        await uow.commit()
    await world.pipeline.run_until_idle()
    assert set((await world.states(post.id)).values()) == {TargetState.PUBLISHED}
    assert world.posts_sent() == 1
