"""Engines: SQLite connection pragmas, parent directory creation, the health ping."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine, ping


async def test_sqlite_pragmas_hold_on_every_connection(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "deeper" / "postroom.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    try:
        assert path.parent.is_dir()
        # Two connections at once: the second is a new DBAPI connection, set up the same way.
        async with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                mode = await connection.scalar(text("PRAGMA journal_mode"))
                keys = await connection.scalar(text("PRAGMA foreign_keys"))
                busy = await connection.scalar(text("PRAGMA busy_timeout"))
                assert (mode, keys, busy) == ("wal", 1, 5000)
    finally:
        await engine.dispose()


async def test_sqlite_enforces_foreign_keys_and_cascades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fk.db'}")
    try:
        async with engine.begin() as c:
            await c.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
            await c.execute(
                text(
                    "CREATE TABLE child (id INTEGER PRIMARY KEY, "
                    "parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE)"
                )
            )
            await c.execute(text("INSERT INTO parent (id) VALUES (1)"))
            await c.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 1)"))
            await c.execute(text("DELETE FROM parent WHERE id = 1"))
            assert await c.scalar(text("SELECT count(*) FROM child")) == 0
        with pytest.raises(IntegrityError):
            async with engine.begin() as c:
                await c.execute(text("INSERT INTO child (id, parent_id) VALUES (2, 99)"))
    finally:
        await engine.dispose()


async def test_post_targets_cascade_in_the_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as c:
        await c.execute(
            text(
                "INSERT INTO profiles (id, tier, timezone, display_name, created_at) "
                "VALUES (1, 'free', 'UTC', '', '2026-11-24 10:00:00')"
            )
        )
        await c.execute(
            text(
                "INSERT INTO posts (id, profile_id, text, media, created_at, origin_platform, "
                "origin_chat, origin_workspace) "
                "VALUES (1, 1, 'hi', '[]', '2026-11-24 10:00:00', 'console', 'c', '')"
            )
        )
        await c.execute(
            text(
                "INSERT INTO targets (post_id, network, route, state, attempts, round) "
                "VALUES (1, 'x', 'ayrshare', 'draft', 0, 0)"
            )
        )
        await c.execute(text("DELETE FROM profiles WHERE id = 1"))
        assert await c.scalar(text("SELECT count(*) FROM posts")) == 0
        assert await c.scalar(text("SELECT count(*) FROM targets")) == 0


async def test_ping(engine: AsyncEngine) -> None:
    assert await ping(engine) is True


async def test_ping_reports_an_unreachable_database() -> None:
    # Port 1 on localhost refuses at once; nothing listens there.
    engine = make_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        assert await ping(engine) is False
    finally:
        await engine.dispose()


async def test_sqlite_writers_take_turns_instead_of_failing(tmp_path: Path) -> None:
    """A transaction that read and then writes while another connection commits: SQLite's
    deferred transactions fail that at once ("database is locked", whatever busy_timeout
    says); the engine's one writer slot makes the second writer wait its turn instead."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    try:
        async with engine.begin() as c:
            await c.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
            await c.execute(text("INSERT INTO counter (id, n) VALUES (1, 0)"))

        async def bump_elsewhere() -> None:
            async with engine.begin() as other:
                await other.execute(text("UPDATE counter SET n = n + 1 WHERE id = 1"))

        async with engine.connect() as first:
            await first.begin()
            await first.begin_nested()  # a SAVEPOINT, as the repositories' upserts open
            assert await first.scalar(text("SELECT n FROM counter")) == 0
            other = asyncio.create_task(bump_elsewhere())
            await asyncio.wait({other}, timeout=0.5)  # it commits now, or waits its turn
            await first.execute(text("UPDATE counter SET n = n + 10 WHERE id = 1"))
            await first.commit()
        await other
        async with engine.connect() as c:
            assert await c.scalar(text("SELECT n FROM counter")) == 11
    finally:
        await engine.dispose()
