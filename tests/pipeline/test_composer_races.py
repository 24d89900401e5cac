"""Two taps on one composer at the same moment (🚀 Publish now or a schedule time against a
network toggle or Discard), on the real database against the fake Ayrshare: whichever goes
first, the other sees it, and what the bot said is what happened.

Run `n` sends the second tap `n // 2` turns of the event loop after the first, and `n % 2`
picks which of the two starts first, so the runs land on both sides of every step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
import pytest

from core.actions import Action
from core.model import MessageRef, Network, Route
from core.ports import UnitOfWorkFactory
from core.replies import Reply, unseal
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import VIDEO, World, ayrshare, chat_of

FB, LI = Network.FACEBOOK, Network.LINKEDIN
RUNS = range(12)
BEING_PUBLISHED = "Post #{} is already being published."


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: ayrshare(fake, http)}, fake=fake)


async def _composer(world: World) -> tuple[int, MessageRef]:
    await world.profile("ana", [FB, LI])
    composer = await world.say("ana", f"/post Race day media: {VIDEO}")
    assert composer is not None
    ref = await world.messenger.send(chat_of("ana"), composer)
    action, _ = unseal(composer.buttons[-1][0].callback_data)
    return int(action.partition(":")[2]), ref


async def _both(
    run: int, first: Callable[[], Awaitable[Reply]], second: Callable[[], Awaitable[Reply]]
) -> tuple[Reply, Reply]:
    """`first` and `second` at once, in the order and spacing of `run`; answers in call order."""
    turns, swapped = run // 2, run % 2 == 1

    async def later(tap: Callable[[], Awaitable[Reply]]) -> Reply:
        for _ in range(turns):
            await asyncio.sleep(0)
        return await tap()

    async with asyncio.timeout(30):
        if swapped:
            b, a = await asyncio.gather(second(), later(first))
        else:
            a, b = await asyncio.gather(first(), later(second))
    return a, b


def _networks(reply: Reply) -> set[str]:
    return {f.label for f in reply.fields}


@pytest.mark.parametrize("run", RUNS)
async def test_publish_now_racing_a_network_toggle(world: World, run: int) -> None:
    post_id, ref = await _composer(world)
    published, toggled = await _both(
        run,
        lambda: world.tap("ana", Action.PUBLISH.data(post_id), ref),
        lambda: world.tap("ana", Action.TOGGLE.data(post_id, LI.value), ref),
    )
    assert published.toast == "Publishing…"  # a toggle leaves a draft that can go out
    post = await world.get(post_id)
    if toggled.toast == "LinkedIn removed":  # it went first: published without LinkedIn
        assert set(post.targets) == {FB}
    else:  # it came second and saw the post going out
        assert toggled.toast == BEING_PUBLISHED.format(post_id)
        assert set(post.targets) == {FB, LI}
    # What "Publishing…" shows is what goes out, and the post is not left half a draft.
    assert _networks(published) == {n.label for n in post.targets}
    await world.pipeline.run_until_idle()
    post = await world.get(post_id)
    assert post.state.value == "published" and _networks(published) == {
        n.label for n in post.targets
    }


@pytest.mark.parametrize("run", RUNS)
async def test_publish_now_racing_discard(world: World, run: int) -> None:
    post_id, ref = await _composer(world)
    published, discarded = await _both(
        run,
        lambda: world.tap("ana", Action.PUBLISH.data(post_id), ref),
        lambda: world.tap("ana", Action.DISCARD.data(post_id), ref),
    )
    answers = (published.toast, discarded.toast)
    async with world.uow() as uow:
        post = await uow.posts.get(post_id)
    if post is None:  # Discard went first
        assert answers == (f"There is no post #{post_id} (it may have been deleted).", "Discarded")
        await world.pipeline.run_until_idle()
        assert world.posts_sent() == 0
    else:
        assert answers == ("Publishing…", BEING_PUBLISHED.format(post_id))
        await world.pipeline.run_until_idle()
        assert (await world.get(post_id)).state.value == "published"


@pytest.mark.parametrize("run", RUNS)
async def test_scheduling_racing_discard(world: World, clock: FixedClock, run: int) -> None:
    post_id, ref = await _composer(world)
    minute = int((clock.now() + timedelta(hours=1)).timestamp() // 60)
    scheduled, discarded = await _both(
        run,
        lambda: world.tap("ana", Action.SCHEDULE_AT.data(post_id, minute), ref),
        lambda: world.tap("ana", Action.DISCARD.data(post_id), ref),
    )
    async with world.uow() as uow:
        post = await uow.posts.get(post_id)
    if post is None:
        assert scheduled.toast == f"There is no post #{post_id} (it may have been deleted)."
        assert discarded.toast == "Discarded"
    else:
        assert scheduled.text.startswith("🕒 Scheduled") and post.scheduled_at is not None
        assert discarded.toast is not None and discarded.toast.startswith(
            f"Post #{post_id} is already scheduled."
        )
