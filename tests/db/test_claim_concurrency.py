"""PostgreSQL row locking: concurrent workers never claim a target twice; profile locks wait."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, ChatRef, Identity, Network, Post, Route, Target, Tier
from core.states import TargetState

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NETWORKS = (Network.INSTAGRAM, Network.FACEBOOK, Network.TIKTOK, Network.LINKEDIN, Network.X)
POSTS = 40  # x 5 networks = 200 targets
WORKERS = 4


@pytest.fixture(autouse=True)
def _postgres_only(db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip("row locks (FOR UPDATE SKIP LOCKED) need PostgreSQL")


async def _seed(factory: SqlUnitOfWorkFactory) -> int:
    async with factory() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.TELEGRAM, "1001"),
            tier=Tier.PRO,
            timezone="UTC",
            display_name="",
            now=NOW,
        )
        for i in range(POSTS):
            due = NOW - timedelta(seconds=i % 7)
            targets = {
                n: Target(n, Route.AYRSHARE, TargetState.SCHEDULED, due_at=due) for n in NETWORKS
            }
            post = Post(0, profile.id, f"post {i}", (), NOW, ChatRef(ChatPlatform.TELEGRAM, "1"))
            post.targets = targets
            await u.posts.add(post)
        await u.commit()
    return profile.id


async def test_concurrent_workers_claim_each_target_exactly_once(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    profile_id = await _seed(uow_factory)
    start = asyncio.Barrier(WORKERS)
    # Every claim call gets its own lease owner, so each call's share can be told apart.
    shares: dict[str, set[tuple[int, Network]]] = {}

    async def worker(number: int) -> None:
        await start.wait()
        for call in range(100):
            lease_owner = f"w{number}-{call}"
            async with uow_factory() as u:
                posts = await u.posts.claim_due(
                    NOW, worker=lease_owner, lease_until=NOW + timedelta(minutes=5), limit=15
                )
                # Hold the transaction (and the row locks) open so the others must skip.
                await asyncio.sleep(0.01)
                await u.commit()
            if not posts:
                return
            shares[lease_owner] = {
                (p.id, t.network)
                for p in posts
                for t in p.targets.values()
                if t.locked_by == lease_owner and t.state is TargetState.QUEUED
            }
            assert 0 < len(shares[lease_owner]) <= 15

    await asyncio.gather(*(worker(n) for n in range(WORKERS)))

    claimed = [target for share in shares.values() for target in share]
    assert len(claimed) == POSTS * len(NETWORKS)
    assert len(set(claimed)) == len(claimed)
    # More than one worker took part, so the claims really overlapped.
    assert len({owner.split("-")[0] for owner in shares}) > 1

    owner_of = {target: owner for owner, share in shares.items() for target in share}
    async with uow_factory() as u:
        page, total = await u.posts.list_for_profile(profile_id, offset=0, limit=POSTS)
    assert total == POSTS
    for post in page:
        for t in post.targets.values():
            assert t.state is TargetState.QUEUED
            assert t.locked_by == owner_of[(post.id, t.network)]


async def test_profile_lock_waits_for_the_holder(uow_factory: SqlUnitOfWorkFactory) -> None:
    async with uow_factory() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.TELEGRAM, "2002"),
            tier=Tier.FREE,
            timezone="UTC",
            display_name="",
            now=NOW,
        )
        profile_id = profile.id
        await u.commit()

    order: list[str] = []
    holder_has_lock = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with uow_factory() as u:
            locked = await u.profiles.lock(profile_id)
            assert locked is not None
            holder_has_lock.set()
            await release.wait()
            locked.display_name = "set by the holder"
            await u.profiles.save(locked)
            order.append("holder commits")
            await u.commit()

    async def waiter() -> None:
        await holder_has_lock.wait()
        async with uow_factory() as u:
            locked = await u.profiles.lock(profile_id)
            order.append("waiter locked")
            assert locked is not None
            # The lock was granted after the holder committed: its change is visible.
            assert locked.display_name == "set by the holder"

    waiting = asyncio.create_task(waiter())
    holding = asyncio.create_task(holder())
    await holder_has_lock.wait()
    await asyncio.sleep(0.2)  # the waiter is blocked on the row lock meanwhile
    assert not waiting.done()
    release.set()
    await asyncio.gather(holding, waiting)
    assert order == ["holder commits", "waiter locked"]
