"""Async engines for SQLite (aiosqlite) and PostgreSQL (asyncpg), and a health ping."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from adapters.db.writer import SqliteWriter

log = logging.getLogger(__name__)

PING_TIMEOUT = 5.0  # seconds; a health check must answer even when the database hangs

# WAL lets readers run beside the one writer; SQLite leaves foreign keys (and so ON DELETE
# CASCADE) off unless asked on each connection; busy_timeout makes a writer in another process
# wait instead of failing at once with "database is locked" (in this process, SqliteWriter
# queues writers so they never meet).
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def sqlite_file(database: str | None) -> Path | None:
    """The file of a SQLite database name; None in memory or for a `file:` URI."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for `sqlite+aiosqlite:///path.db` or `postgresql+asyncpg://...`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_file(parsed.database)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, echo=echo)
        event.listen(engine.sync_engine, "connect", _set_sqlite_pragmas)
        SqliteWriter().install(engine.sync_engine)
        return engine
    if backend == "postgresql":
        # Connections die with server restarts and idle timeouts: check before use.
        return create_async_engine(parsed, echo=echo, pool_pre_ping=True)
    return create_async_engine(parsed, echo=echo)


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Loaded rows are mapped to dataclasses inside the unit of work; nothing needs a refresh
    # after commit, and a refresh would be lazy I/O outside the session's await points.
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers `SELECT 1` within PING_TIMEOUT seconds."""
    try:
        async with asyncio.timeout(PING_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as e:
        log.warning("database ping failed: %s", e)
        return False
    return True
