"""Repository contract for durable chat state: the progress outbox and the updates seen, alike
in memory and in SQL; and the heartbeat's lease renewal on targets."""

from __future__ import annotations

from datetime import timedelta

from core.chat_ports import ProgressMark
from core.model import MessageRef, Network
from core.ports import UnitOfWorkFactory
from core.states import TargetState
from tests.db.test_repositories import (
    CHAT,
    NOW,
    add,
    draft,
    get_post,
    make_profile,
    target,
)

LEASE = NOW + timedelta(seconds=15)
LATER = NOW + timedelta(seconds=16)


async def two_posts(uow: UnitOfWorkFactory) -> tuple[int, int]:
    profile = await make_profile(uow)
    first = await add(uow, draft(profile.id, target(Network.FACEBOOK)))
    second = await add(uow, draft(profile.id, target(Network.FACEBOOK)))
    return first.id, second.id


async def test_marks_count_versions_and_go_to_the_first_worker(uow: UnitOfWorkFactory) -> None:
    a, b = await two_posts(uow)
    async with uow() as u:
        assert await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE) == {a: 1}
        await u.commit()
    async with uow() as u:
        # w2 bumps the version but w1's lease holds; the new mark on b is w2's.
        assert await u.progress.mark([a, b], worker="w2", now=NOW, lease_until=LEASE) == {b: 1}
        await u.commit()
    async with uow() as u:
        assert await u.progress.held(a, worker="w1") == ProgressMark(a, 2)
        assert await u.progress.held(a, worker="w2") is None
        # w1's own mark again: it keeps it.
        assert await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE) == {a: 3}
        await u.commit()
    async with uow() as u:
        # w1's lease ran out: w2 takes the mark with its next change.
        assert await u.progress.mark([a], worker="w2", now=LATER, lease_until=LATER) == {a: 4}


async def test_done_clears_only_the_version_shown_by_its_holder(uow: UnitOfWorkFactory) -> None:
    a, _ = await two_posts(uow)
    async with uow() as u:
        await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE)
        await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE)
        await u.commit()
    message = MessageRef(CHAT, "77")
    async with uow() as u:
        assert not await u.progress.done(a, 1, worker="w1", shown=message)  # v2 came since
        assert not await u.progress.done(a, 2, worker="w2")  # not w2's
        await u.commit()
    stored = await get_post(uow, a)
    assert stored is not None and stored.progress == message  # the message sent is kept
    async with uow() as u:
        assert await u.progress.done(a, 2, worker="w1", shown=MessageRef(CHAT, "78"))
        await u.commit()
    stored = await get_post(uow, a)
    assert stored is not None and stored.progress == message  # never replaced
    async with uow() as u:
        assert await u.progress.held(a, worker="w1") is None
        assert await u.progress.claim(LATER, worker="w2", lease_until=LATER, limit=10) == []


async def test_claim_takes_free_and_run_out_marks(uow: UnitOfWorkFactory) -> None:
    a, b = await two_posts(uow)
    async with uow() as u:
        await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE)
        await u.progress.mark([b], worker="w1", now=NOW, lease_until=LEASE)
        await u.commit()
    async with uow() as u:
        assert await u.progress.claim(NOW, worker="w2", lease_until=LEASE, limit=10) == []
        await u.progress.retry(b, worker="w1", due_at=NOW + timedelta(seconds=5))
        await u.commit()
    async with uow() as u:  # b is free but not due yet; a is w1's
        assert await u.progress.claim(NOW, worker="w2", lease_until=LEASE, limit=10) == []
    async with uow() as u:
        later = NOW + timedelta(seconds=5)
        assert await u.progress.claim(later, worker="w2", lease_until=LATER, limit=10) == [
            ProgressMark(b, 1, attempts=1)
        ]
        await u.commit()
    async with uow() as u:  # w1 died: its lease on a runs out
        assert await u.progress.claim(LATER, worker="w3", lease_until=LATER, limit=1) == [
            ProgressMark(a, 1)
        ]
        await u.commit()
    async with uow() as u:
        assert await u.progress.held(a, worker="w3") == ProgressMark(a, 1)
        assert await u.progress.held(b, worker="w2") == ProgressMark(b, 1, attempts=1)


async def test_renew_release_and_drop(uow: UnitOfWorkFactory) -> None:
    a, b = await two_posts(uow)
    async with uow() as u:
        await u.progress.mark([a, b], worker="w1", now=NOW, lease_until=LEASE)
        await u.commit()
    async with uow() as u:
        await u.progress.renew([a], worker="w1", lease_until=LATER + timedelta(seconds=15))
        await u.progress.renew([b], worker="w2", lease_until=LATER + timedelta(seconds=15))
        await u.commit()
    async with uow() as u:  # only a's lease was renewed (b is not w2's)
        assert await u.progress.claim(LATER, worker="w2", lease_until=LATER, limit=10) == [
            ProgressMark(b, 1)
        ]
        await u.commit()
    async with uow() as u:
        assert await u.progress.release("w1") == 1
        await u.progress.drop(b, worker="w1")  # not w1's any more: kept
        await u.commit()
    async with uow() as u:
        assert await u.progress.claim(NOW, worker="w3", lease_until=LEASE, limit=10) == [
            ProgressMark(a, 1)
        ]
        await u.progress.drop(a, worker="w3")
        await u.commit()
    async with uow() as u:
        assert await u.progress.held(a, worker="w3") is None
        assert await u.progress.held(b, worker="w2") == ProgressMark(b, 1)


async def test_marks_go_with_their_post(uow: UnitOfWorkFactory) -> None:
    a, _ = await two_posts(uow)
    async with uow() as u:
        await u.progress.mark([a], worker="w1", now=NOW, lease_until=LEASE)
        await u.commit()
    async with uow() as u:
        await u.posts.delete(a)
        await u.commit()
    async with uow() as u:
        assert await u.progress.claim(LATER, worker="w2", lease_until=LATER, limit=10) == []


async def test_an_update_is_seen_once_per_source_until_pruned(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        assert await u.seen_updates.first_seen("telegram:1", 9, now=NOW)
        assert not await u.seen_updates.first_seen("telegram:1", 9, now=NOW)
        await u.commit()
    async with uow() as u:
        assert not await u.seen_updates.first_seen("telegram:1", 9, now=LATER)
        assert await u.seen_updates.first_seen("telegram:2", 9, now=LATER)
        assert await u.seen_updates.first_seen("telegram:1", 2**40, now=LATER)  # 64-bit ids
        await u.commit()
    async with uow() as u:
        assert await u.seen_updates.prune(NOW + timedelta(seconds=1)) == 1
        await u.commit()
    async with uow() as u:
        assert await u.seen_updates.first_seen("telegram:1", 9, now=LATER)
        assert not await u.seen_updates.first_seen("telegram:2", 9, now=LATER)


async def test_an_update_not_committed_is_not_seen(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        assert await u.seen_updates.first_seen("telegram:1", 9, now=NOW)  # rolled back
    async with uow() as u:
        assert await u.seen_updates.first_seen("telegram:1", 9, now=NOW)


async def test_renew_leases_extends_only_this_workers_targets(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(Network.FACEBOOK, TargetState.SCHEDULED, NOW)))
    other = await add(uow, draft(profile.id, target(Network.FACEBOOK, TargetState.SCHEDULED, NOW)))
    async with uow() as u:
        assert len(await u.posts.claim_due(NOW, worker="w1", lease_until=LEASE, limit=1)) == 1
        assert len(await u.posts.claim_due(NOW, worker="w2", lease_until=LEASE, limit=1)) == 1
        await u.commit()
    renewed = LATER + timedelta(seconds=15)
    async with uow() as u:
        await u.posts.renew_leases([post.id, other.id], worker="w1", lease_until=renewed)
        await u.commit()
    mine, theirs = await get_post(uow, post.id), await get_post(uow, other.id)
    assert mine is not None and theirs is not None
    assert mine.targets[Network.FACEBOOK].locked_until == renewed
    assert theirs.targets[Network.FACEBOOK].locked_until == LEASE
    async with uow() as u:
        assert [p.id for p in await u.posts.expired_leases(LATER, limit=10)] == [other.id]
