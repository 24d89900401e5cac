"""Two worker processes on one PostgreSQL database publish the same backlog while one of them
is killed (SIGKILL) at random moments and restarted: every target is published exactly once,
and every post's progress message ends up showing it, whichever process was killed mid-edit."""

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
    killed: dict[str, datetime] = {}  # worker: when it was killed

    def kill() -> subprocess.Popen[bytes]:
        nonlocal kills
        killed[f"victim-{kills}"] = datetime.now(UTC)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        kills += 1
        return start(db_url, provider, f"victim-{kills}")

    try:
        for _ in range(3000):  # up to 30 s for the victim to publish its first post
            if copies_by(provider, "victim-0"):
                break
            await asyncio.sleep(0.01)
        victim = kill()
        deadline = time.monotonic() + 50
        while time.monotonic() < deadline:
            if kills < KILLS:
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                victim = kill()
            elif (await states(uow_factory, profiles))[TargetState.PUBLISHED] == total:
                break
            else:
                await asyncio.sleep(0.1)
        # The chat catches up within seconds (the killed ones' leases are 1.5 s): up to 20 s.
        for _ in range(200):
            if not (await progress(uow_factory, provider))[0]:
                break
            await asyncio.sleep(0.1)
    finally:
        for process in (survivor, victim):
            process.kill()
            process.wait()

    assert kills == KILLS
    final = await states(uow_factory, profiles)
    assert final == {TargetState.PUBLISHED: total}, final
    stale, orphans = await progress(uow_factory, provider)
    assert stale == []
    # A message sent in the instant before its process was killed, before the process could
    # store which message it was, is one nobody can know of (Telegram has no idempotent send);
    # its post got another. Nothing else may be left behind.
    assert [
        (worker, at)
        for worker, at in orphans
        if not (worker in killed and timedelta() <= killed[worker] - at < timedelta(seconds=0.5))
    ] == []
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


async def progress(
    uow: SqlUnitOfWorkFactory, provider: Path
) -> tuple[list[str], list[tuple[str, datetime]]]:
    """Posts whose progress message does not show them published, and the other messages in
    the chat that do not either (the worker that sent each, and when)."""
    with sqlite3.connect(provider) as db:
        messages = {m: (t, w, a) for m, t, w, a in db.execute("SELECT * FROM messages")}
    stale: list[str] = []
    async with uow() as u:
        for post_id in range(1, POSTS + 1):
            post = await u.posts.get(post_id)
            assert post is not None
            if post.progress is None:
                stale.append(f"post {post_id}: no progress message")
                continue
            text, _, _ = messages.pop(int(post.progress.message_id), ("", "", ""))
            n = len(post.targets)
            if f"— {n} of {n} published" not in text:
                stale.append(f"post {post_id}: {text!r}")
    orphans = [
        (worker, datetime.fromisoformat(at))
        for text, worker, at in messages.values()
        if "published" not in text.splitlines()[0]
    ]
    return stale, orphans


def copies_by(provider: Path, worker: str) -> list[tuple[int, str]]:
    with sqlite3.connect(provider) as db:
        return list(db.execute("SELECT post_id, network FROM copies WHERE worker = ?", (worker,)))
