"""Migrators at the same time (two first runs, `run` beside `console`, several `db upgrade`):
one migrates, the others find the schema current; and a failed start says what failed."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine
from adapters.db.migrate import current_revision, downgrade, head_revision, upgrade
from bot.cli import main

MIGRATORS = 3


async def _spawn(env: dict[str, str], *argv: str) -> asyncio.subprocess.Process:
    """`postroom <argv>` as a real process, with only these POSTROOM_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")} | env
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *argv,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _spawn_upgrade(url: str) -> asyncio.subprocess.Process:
    return await _spawn({"POSTROOM_DATABASE_URL": url}, "db", "upgrade")


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # it exited, or closed a descriptor while we looked
        return False


async def _outcomes(children: list[asyncio.subprocess.Process]) -> list[tuple[int, str]]:
    done = await asyncio.gather(*(asyncio.wait_for(c.communicate(), 60) for c in children))
    return [(c.returncode or 0, err.decode()) for c, (_, err) in zip(children, done, strict=True)]


@pytest.mark.timeout(120)
async def test_concurrent_upgrades_of_a_fresh_sqlite_file_all_succeed(
    tmp_path: Path, db_backend: str
) -> None:
    """Alembic reads the revision and then migrates. The test holds SQLite's write lock until
    every migrator has opened the file, so each has read "no schema" before any can write,
    if nothing keeps them apart (they all migrated, and all but one failed with `table
    alembic_version already exists`; 3 in 24 did without the held lock)."""
    if db_backend != "sqlite":
        pytest.skip("a SQLite file; PostgreSQL has its own test below")
    if not sys.platform.startswith("linux"):
        pytest.skip("watches the migrators' open files through /proc")
    path = (tmp_path / "fresh.db").resolve()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("BEGIN IMMEDIATE")
        url = f"sqlite+aiosqlite:///{path}"
        children = [await _spawn_upgrade(url) for _ in range(MIGRATORS)]
        deadline = time.monotonic() + 30
        while not all(_has_open(c.pid, path) for c in children):
            assert time.monotonic() < deadline, "the migrators never opened the database"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # each is at its first write (or waiting its turn)
        holder.execute("ROLLBACK")
        outcomes = await _outcomes(children)
    finally:
        holder.close()
    assert [code for code, _ in outcomes] == [0] * MIGRATORS, outcomes
    engine = make_engine(url)
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def _lock_waiters(engine: AsyncEngine) -> int:
    async with engine.connect() as c:
        query = text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return int(await c.scalar(query) or 0)


@pytest.mark.timeout(120)
async def test_concurrent_upgrades_of_an_empty_postgresql_database_all_succeed(
    engine: AsyncEngine, db_url: str, db_backend: str
) -> None:
    """The test locks the version table until every migrator waits for a lock, so that, if
    nothing keeps them apart, they all read "no revision" at once when it lets go."""
    if db_backend != "postgresql":
        pytest.skip("PostgreSQL only")
    await downgrade(engine, "base")  # every table dropped; alembic_version stays, empty
    try:
        async with engine.connect() as holder:
            await holder.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            children = [await _spawn_upgrade(db_url) for _ in range(MIGRATORS)]
            deadline = time.monotonic() + 30
            while await _lock_waiters(engine) < MIGRATORS:
                assert time.monotonic() < deadline, "the migrators never queued for a lock"
                await asyncio.sleep(0.05)
            await holder.rollback()
        outcomes = await _outcomes(children)
        assert [code for code, _ in outcomes] == [0] * MIGRATORS, outcomes
        assert await current_revision(engine) == head_revision()
    finally:
        await upgrade(engine)  # the session's schema, whatever happened


async def test_a_failed_first_run_names_the_error_not_sqlalchemy_s_link(
    tmp_path: Path,
    db_backend: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The migration runs in a child; its stderr ends with SQLAlchemy's "(Background on this
    error at: https://sqlalche.me/...)", which was all the operator was told."""
    if db_backend != "sqlite":
        pytest.skip("only SQLite migrates itself at start")
    path = tmp_path / "taken.db"
    with sqlite3.connect(path) as db:  # not Postroom's: a table of the same name is in the way
        db.execute("CREATE TABLE profiles (id INTEGER PRIMARY KEY, note TEXT)")
        db.execute("INSERT INTO profiles (note) VALUES ('a private note')")
    for name in [k for k in os.environ if k.startswith("POSTROOM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("POSTROOM_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("POSTROOM_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POSTROOM_HTTP_PORT", "0")
    assert await asyncio.to_thread(main, ["run", "--no-console"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "postroom: could not bring the SQLite database up to date: "
        "OperationalError: (sqlite3.OperationalError) table profiles already exists"
    )
    assert "sqlalche.me" not in err and "a private note" not in err


@pytest.mark.timeout(60)
async def test_run_against_an_unreachable_postgresql_says_so_in_one_line(tmp_path: Path) -> None:
    """It dumped a 40-line asyncpg traceback. Port 1 on localhost refuses at once."""
    env = {
        "POSTROOM_DATABASE_URL": "postgresql+asyncpg://postroom:s3cret-pw@127.0.0.1:1/postroom",
        "POSTROOM_HTTP_PORT": "0",
        "POSTROOM_VAR_DIR": str(tmp_path / "var"),
    }
    child = await _spawn(env, "run", "--no-console")
    _, err = await asyncio.wait_for(child.communicate(), 50)
    assert child.returncode == 2
    lines = err.decode().strip().splitlines()
    assert lines[-1].startswith(
        "postroom: cannot use the database postroom on 127.0.0.1:1 (POSTROOM_DATABASE_URL): "
        "ConnectionRefusedError: "
    ), lines
    assert "Traceback" not in err.decode() and "s3cret-pw" not in err.decode()
