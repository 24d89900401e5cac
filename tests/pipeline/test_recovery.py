"""Downtime and crashes: missed posts are held for the author, lost workers' targets are
recovered and settled by lookup, a stopping worker hands back what it holds."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.ticker import Ticker
from core.actions import Action
from core.model import Network, Route
from core.ports import UnitOfWorkFactory
from core.states import PostState, TargetState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import Crashing, World, ayrshare, chat_of

S = TargetState
FB, LI = Network.FACEBOOK, Network.LINKEDIN
LEASE = timedelta(minutes=5)


@pytest.fixture
def crashing(fake: FakeAyrshare, http: httpx.AsyncClient) -> Crashing:
    return Crashing(ayrshare(fake, http))


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, crashing: Crashing
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: crashing}, fake=fake)


# --- missed while down -----------------------------------------------------------------------


async def test_post_due_longer_ago_than_the_grace_is_held_for_the_author(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI], tz="Europe/Berlin")
    post = await world.post(ana, FB, LI, due=clock.now())
    clock.advance(timedelta(minutes=15, seconds=1))  # the bot was down meanwhile

    await world.pipeline.tick()

    stored = await world.get(post.id)
    assert stored.state is PostState.DRAFT
    assert all(t.due_at is None and t.locked_by is None for t in stored.targets.values())
    assert stored.scheduled_at is None
    assert world.posts_sent() == 0
    [(chat, notice, _)] = world.messenger.sent
    assert chat == chat_of("ana")
    assert notice.text.startswith(
        f"⏰ Post #{post.id} was due Tue 24 Nov 2026, 11:00 (Europe/Berlin)"
    )
    assert "To: Facebook, LinkedIn" in notice.text
    assert [(b.label, b.body) for row in notice.buttons for b in row] == [
        ("🚀 Publish now", f"{Action.PUBLISH}:{post.id}"),
        ("✍️ Edit", f"{Action.EDIT}:{post.id}"),
        ("🗑 Delete", f"{Action.DELETE}:{post.id}"),
    ]

    # "Publish now" on the notice publishes it, and that message becomes its progress.
    message = world.messenger.sent[0][2]
    reply = await world.tap("ana", f"{Action.PUBLISH}:{post.id}", message)
    assert reply.toast == "Publishing…"
    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.PUBLISHED}
    assert world.posts_sent() == 1
    assert (await world.get(post.id)).progress == message


async def test_delete_on_a_held_post_asks_first(world: World, clock: FixedClock) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    clock.advance(timedelta(hours=3))
    await world.pipeline.tick()
    notice = world.messenger.sent[0][2]

    question = await world.tap("ana", f"{Action.DELETE}:{post.id}", notice)
    assert question.text.startswith(f"Delete post #{post.id}")
    async with world.uow() as uow:
        assert await uow.posts.get(post.id) is not None  # nothing lost before the answer
    reply = await world.tap("ana", f"{Action.DELETE_CONFIRMED}:{post.id}", notice)

    assert reply.toast == "Deleted"
    async with world.uow() as uow:
        assert await uow.posts.get(post.id) is None
    assert world.posts_sent() == 0


async def test_post_late_by_less_than_the_grace_is_published(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    clock.advance(timedelta(minutes=14, seconds=59))

    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.notices() == []


async def test_grace_comes_from_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSTROOM_MISSED_GRACE", "PT5M")
    monkeypatch.setenv("POSTROOM_VAR_DIR", str(tmp_path))
    services = bootstrap(Settings())
    try:
        assert services.pipeline.config.missed_grace == timedelta(minutes=5)
    finally:
        await services.aclose()


async def test_retry_the_author_asked_for_that_fell_due_while_down_is_not_sent_late(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    fake.fail_platform("linkedin", 132)
    await world.pipeline.tick()
    del fake.platform_errors["linkedin"]
    await world.tap("ana", f"{Action.RETRY}:{post.id}:linkedin")
    clock.advance(timedelta(minutes=20))  # the bot stopped right after the tap

    await world.pipeline.tick()

    target = (await world.get(post.id)).targets[LI]
    assert target.state is S.FAILED
    assert target.error == (
        "Not sent: it was due at Tue 24 Nov 2026, 10:00 (UTC) and the bot was not running "
        "then. Tap Retry to send it now."
    )
    assert world.posts_sent() == 1
    notices = world.notices()
    assert len(notices) == 2 and notices[-1].fields[0].value == target.error


async def test_automatic_retry_due_while_down_is_still_sent_with_its_key(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.fail_next("/post", status=503, body=b"busy")
    await world.pipeline.tick()
    clock.advance(timedelta(hours=1))

    await world.pipeline.tick()

    # A request already under way is finished: its key makes the re-send safe.
    assert await world.states(post.id) == {FB: S.PUBLISHED}
    first, second = fake.requests_to("POST", "/post")
    assert first.json["idempotencyKey"] == second.json["idempotencyKey"]


# --- crashes ---------------------------------------------------------------------------------


async def test_worker_lost_after_sending_is_settled_by_lookup_never_resent(
    world: World, crashing: Crashing, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    crashing.arm("after")

    await world.pipeline.tick()  # the worker dies after Ayrshare took the post

    stored = await world.get(post.id)
    assert {t.state for t in stored.targets.values()} == {S.PUBLISHING}
    assert {t.locked_by for t in stored.targets.values()} == {"worker-1"}
    other = world.worker("worker-2")
    await other.tick()  # the lease still holds: nothing is touched
    assert await world.states(post.id) == {FB: S.PUBLISHING, LI: S.PUBLISHING}

    clock.advance(LEASE + timedelta(seconds=1))
    await other.run_until_idle()

    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.PUBLISHED}
    assert world.posts_sent() == 1
    assert set(world.published_copies(ana).values()) == {1}
    assert world.notices() == []


async def test_worker_lost_before_sending_is_looked_up_then_sent_once(
    world: World, crashing: Crashing, clock: FixedClock, fake: FakeAyrshare
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    crashing.arm("before")

    await world.pipeline.tick()
    assert world.posts_sent() == 0
    clock.advance(LEASE + timedelta(seconds=1))
    restarted = world.worker("worker-1b")
    await restarted.run_until_idle()

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert fake.requests_to("GET", "/history")  # looked up before it was sent again
    assert world.posts_sent() == 1


async def test_claimed_targets_of_a_lost_worker_go_back_with_their_due_time(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    due = clock.now()
    async with world.uow() as uow:  # a worker claimed it and died before deciding anything
        await uow.posts.claim_due(due, worker="gone", lease_until=due + LEASE, limit=10)
        await uow.commit()

    clock.advance(LEASE + timedelta(seconds=1))
    assert await world.pipeline.recover() == 1

    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.due_at, target.locked_by) == (S.SCHEDULED, due, None)
    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED}


async def test_release_hands_back_what_this_worker_holds(
    world: World, crashing: Crashing, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    claimed = await world.post(ana, FB, text="claimed, not sent")
    due = clock.now()
    async with world.uow() as uow:  # a pass claimed it when the stop signal came
        await uow.posts.claim_due(due, worker="worker-1", lease_until=due + LEASE, limit=1)
        await uow.commit()
    sending = await world.post(ana, FB, text="its job died mid-request")
    crashing.arm("after")
    await world.pipeline.tick()
    theirs = await world.post(ana, FB, text="another worker's")
    async with world.uow() as uow:
        await uow.posts.claim_due(due, worker="worker-2", lease_until=due + LEASE, limit=1)
        await uow.commit()

    clock.advance(timedelta(seconds=3))
    await world.pipeline.release()

    first = (await world.get(claimed.id)).targets[FB]
    assert (first.state, first.due_at, first.locked_by) == (S.SCHEDULED, due, None)
    second = (await world.get(sending.id)).targets[FB]
    assert (second.state, second.due_at, second.locked_by) == (S.UNCONFIRMED, clock.now(), None)
    assert (await world.get(theirs.id)).targets[FB].locked_by == "worker-2"
    async with world.uow() as uow:
        assert await uow.posts.held_by("worker-1", limit=10) == []


async def test_stop_lets_the_request_in_flight_finish_then_claims_nothing(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    answer = fake.stall_next("/post")
    ticker = Ticker(world.pipeline)
    ticker.wake()
    for _ in range(500):  # the database answers from its own thread (aiosqlite)
        if fake.requests_to("POST", "/post"):
            break
        await asyncio.sleep(0.01)
    assert len(fake.requests_to("POST", "/post")) == 1  # sent, its answer held back

    stopping = asyncio.ensure_future(ticker.stop())
    for _ in range(20):
        await asyncio.sleep(0)
    assert not stopping.done()  # waits for the answer
    answer.set()
    await stopping

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    later = await world.post(ana, FB, text="due after the stop")
    await world.pipeline.step()
    assert await world.states(later.id) == {FB: S.SCHEDULED}
    assert world.posts_sent() == 1


# --- the author acting while a worker claims -------------------------------------------------


async def test_cancel_waits_for_a_claim_in_progress_then_refuses(
    world: World, clock: FixedClock
) -> None:
    # PostgreSQL: the post's row lock. SQLite: its one write lock, which the cancel takes
    # before reading, so it cannot act on what it read before the claim committed.
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    now = clock.now()
    async with world.uow() as claiming:
        [claimed] = await claiming.posts.claim_due(
            now, worker="w", lease_until=now + LEASE, limit=10
        )
        cancel = asyncio.ensure_future(world.say("ana", f"/cancel {post.id}"))
        await asyncio.sleep(0.2)
        assert not cancel.done()  # it waits for the claim to commit
        claimed.targets[FB].state = S.PUBLISHING
        await claiming.posts.save(claimed)
        await claiming.commit()

    reply = await cancel
    assert reply is not None
    assert reply.text.startswith(f"Post #{post.id} is being published, so it can't be cancelled")
    assert await world.states(post.id) == {FB: S.PUBLISHING}  # not overwritten with "draft"


async def test_a_post_the_author_is_changing_is_skipped_not_waited_for(
    world: World, clock: FixedClock, db_backend: str
) -> None:
    if db_backend != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one writer at a time")
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    async with world.uow() as author:
        assert await author.posts.lock(post.id) is not None

        assert await asyncio.wait_for(world.pipeline.dispatch(), timeout=5) == 0

    assert await world.states(post.id) == {FB: S.SCHEDULED}
    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED}
