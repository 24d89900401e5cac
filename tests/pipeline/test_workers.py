"""Two worker processes on one PostgreSQL database publish the same backlog while one of them
is killed (SIGKILL) at random moments and restarted: every target is published exactly once."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, ChatRef, Identity, Network, Post, Route, Target, Tier
from core.states import TargetState

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker_proc.py")
NETWORK_SETS = [
    (Network.FACEBOOK,),
    (Network.FACEBOOK, Network.LINKEDIN),
    (Network.INSTAGRAM, Network.TIKTOK, Network.YOUTUBE),
]
POSTS = 90
KILLS = 5


@pytest.fixture(autouse=True)
def _postgres_only(db_backend: str) -> None:
    if db_backend != "postgresql":
        pytest.skip(
            "several worker processes need PostgreSQL (row locks, SKIP LOCKED); "
            "the SQLite path runs one process only"
        )


async def seed(uow: SqlUnitOfWorkFactory) -> tuple[list[int], int]:
    """A backlog falling due over the next five seconds: the profiles, the number of targets."""
    now = datetime.now(UTC)
    targets = 0
    async with uow() as u:
        profiles = [
            await u.profiles.create(
                Identity(ChatPlatform.TELEGRAM, f"user-{i}"),
                tier=Tier.PRO,
                timezone="UTC",
                display_name="",
                now=now,
            )
            for i in range(5)
        ]
        for i in range(POSTS):
            due = now + timedelta(milliseconds=5000 * i / POSTS)
            networks = NETWORK_SETS[i % len(NETWORK_SETS)]
            post = Post(
                0,
                profiles[i % len(profiles)].id,
                f"post {i}",
                (),
                now,
                ChatRef(ChatPlatform.TELEGRAM, "chat"),
                scheduled_at=due,
                targets={
                    n: Target(n, Route.AYRSHARE, TargetState.SCHEDULED, due_at=due)
                    for n in networks
                },
            )
            await u.posts.add(post)
            targets += len(networks)
        await u.commit()
    return [p.id for p in profiles], targets


def start(url: str, provider: Path, worker: str, *hang: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(provider), worker, *hang],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == b"ready"
    return process


async def states(uow: SqlUnitOfWorkFactory, profiles: list[int]) -> Counter[TargetState]:
    found: Counter[TargetState] = Counter()
    async with uow() as u:
        for profile_id in profiles:
            posts, _ = await u.posts.list_for_profile(profile_id, offset=0, limit=POSTS)
            found.update(t.state for p in posts for t in p.targets.values())
    return found


async def test_two_workers_publish_each_target_once_while_one_keeps_dying(
    uow_factory: SqlUnitOfWorkFactory, engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    provider = tmp_path / "provider.sqlite"
    sqlite3.connect(provider).close()
    profiles, total = await seed(uow_factory)
    rng = random.Random()
    survivor = start(db_url, provider, "survivor")
    # The first victim dies for sure after a post went out and before it recorded that.
    victim = start(db_url, provider, "victim-0", "hang")
    kills = 0
    try:
        for _ in range(3000):  # up to 30 s for the victim to publish its first post
            if copies_by(provider, "victim-0"):
                break
            await asyncio.sleep(0.01)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        victim = start(db_url, provider, f"victim-{kills}")
        deadline = time.monotonic() + 50
        while time.monotonic() < deadline:
            if kills < KILLS:
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
                victim = start(db_url, provider, f"victim-{kills}")
            elif (await states(uow_factory, profiles))[TargetState.PUBLISHED] == total:
                break
            else:
                await asyncio.sleep(0.1)
    finally:
        for process in (survivor, victim):
            process.kill()
            process.wait()

    assert kills == KILLS
    final = await states(uow_factory, profiles)
    assert final == {TargetState.PUBLISHED: total}, final
    with sqlite3.connect(provider) as db:
        copies = Counter(
            (post_id, network)
            for post_id, network in db.execute("SELECT post_id, network FROM copies")
        )
        workers = {w for (w,) in db.execute("SELECT DISTINCT worker FROM copies")}
    assert len(copies) == total
    assert set(copies.values()) == {1}, [k for k, n in copies.items() if n > 1]
    assert "survivor" in workers and any(w.startswith("victim") for w in workers)
    # What the hung victim published was found by a lookup, never sent again.
    hung = copies_by(provider, "victim-0")
    assert hung
    async with uow_factory() as u:
        for post_id, network in hung:
            post = await u.posts.get(post_id)
            assert post is not None
            target = post.targets[Network(network)]
            assert (target.state, target.attempts) == (TargetState.PUBLISHED, 1)


def copies_by(provider: Path, worker: str) -> list[tuple[int, str]]:
    with sqlite3.connect(provider) as db:
        return list(db.execute("SELECT post_id, network FROM copies WHERE worker = ?", (worker,)))
