"""SQLite's one writer slot: which statements take it, cancellation, and a task re-entering it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine
from adapters.db.writer import WriterReentered

# One statement counting to 50 million: some 10 s of work, well over busy_timeout (5 s).
LONG_UPDATE = (
    "UPDATE counter SET n = (WITH RECURSIVE c(x) AS "
    "(SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT count(*) FROM c)"
)
PROFILE = (
    "INSERT INTO profiles (id, tier, timezone, display_name, created_at) "
    "SELECT n, 'free', 'UTC', '', '2026-11-24 10:00:00' FROM v"
)


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'writer.db'}")
    async with engine.begin() as c:
        await c.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        await c.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))
    yield engine
    await engine.dispose()


@pytest.mark.timeout(30)
async def test_a_writer_cancelled_mid_statement_does_not_lock_out_the_next(
    sqlite: AsyncEngine,
) -> None:
    """A task cancelled while its write runs in aiosqlite's thread (the console at shutdown,
    a timeout): the next writer must not get the slot while SQLite still holds the write
    lock, or it waits busy_timeout (5 s) and fails with "database is locked"."""

    async def long_update() -> None:
        async with sqlite.begin() as c:
            await c.execute(text(LONG_UPDATE))

    async def next_write() -> None:
        async with sqlite.begin() as c:
            await c.execute(text("INSERT INTO counter (id, n) VALUES (2, 0)"))

    first = asyncio.create_task(long_update())
    await asyncio.sleep(0.3)  # it is inside its statement now
    started = time.monotonic()
    first.cancel()
    second = asyncio.create_task(next_write())
    with pytest.raises(asyncio.CancelledError):
        await first
    await second  # raised "database is locked" after busy_timeout
    assert time.monotonic() - started < 4  # the cancelled statement was stopped, not waited out
    async with sqlite.connect() as c:
        rows = (await c.execute(text("SELECT id, n FROM counter ORDER BY id"))).all()
    assert [tuple(r) for r in rows] == [(1, 0), (2, 0)]  # the cancelled update rolled back


@pytest.mark.timeout(30)
async def test_a_task_writing_through_a_second_connection_is_told_at_once(
    sqlite: AsyncEngine,
) -> None:
    """It would wait for the slot it holds itself: WRITER_WAIT (30 s), then WriterBusy."""
    async with sqlite.begin() as first:
        await first.execute(text("UPDATE counter SET n = 1"))
        started = time.monotonic()
        with pytest.raises(WriterReentered, match="already holds the SQLite writer"):
            async with asyncio.timeout(5), sqlite.begin() as second:
                await second.execute(text("UPDATE counter SET n = 2"))
        assert time.monotonic() - started < 1
    async with sqlite.begin() as c:  # the slot was handed back with the first connection
        await c.execute(text("UPDATE counter SET n = n + 10"))
        assert await c.scalar(text("SELECT n FROM counter")) == 11


@pytest.mark.parametrize(
    "statement",
    [
        f"WITH v(n) AS (VALUES (1)) {PROFILE}",
        f"WITH RECURSIVE v(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM v WHERE n < 2) {PROFILE}",
        f"-- a note first\nWITH v(n) AS (SELECT 1) {PROFILE}",
        f"/* a note first */ WITH v(n) AS (SELECT 1) {PROFILE}",
    ],
    ids=["with-insert", "with-recursive-insert", "line-comment", "block-comment"],
)
async def test_writes_the_slot_cannot_see_at_a_glance_still_roll_back(
    engine: AsyncEngine, statement: str
) -> None:
    """A write opening with WITH or a comment runs inside the transaction (on SQLite it used
    to run in autocommit: no writer slot, no BEGIN, and rollback kept the rows)."""
    async with engine.connect() as c:
        await c.begin()
        await c.execute(text(statement))
        assert await c.scalar(text("SELECT count(*) FROM profiles")) >= 1
        await c.rollback()
    async with engine.connect() as c:
        assert await c.scalar(text("SELECT count(*) FROM profiles")) == 0


async def test_a_with_select_still_reads_beside_the_writer(sqlite: AsyncEngine) -> None:
    """Reads never wait for the writer, also when they open with WITH or a comment."""
    async with sqlite.begin() as writer:
        await writer.execute(text("UPDATE counter SET n = 5"))
        async with asyncio.timeout(5), sqlite.connect() as reader:
            read = "/* a, b */ WITH c(m) AS (SELECT n FROM counter) SELECT m FROM c"
            assert await reader.scalar(text(read)) == 0  # the writer has not committed
