"""Runs the Alembic migrations in adapters/db/migrations on an async engine (no alembic.ini).

Which revision the code needs and which the database is at are read without Alembic (its
import, with Mako, is ~10 MB that a running bot would carry for nothing): Alembic is
imported only to migrate.
"""

from __future__ import annotations

import ast
import asyncio
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.db.engine import sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py keeps it
# One migration at a time per PostgreSQL database: the key of a transaction-level advisory lock
# (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS), "postroom".
_PG_MIGRATION_LOCK = int.from_bytes(b"postroom", "big")
_LOCK_POLL = 0.05  # seconds between tries for the migration lock file

log = logging.getLogger(__name__)


def alembic_config(connection: Connection | None = None) -> Config:
    """A config for `alembic.command`; env.py migrates `connection` when one is given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _revision_ids(path: Path) -> tuple[str, tuple[str, ...]]:
    """A revision file's `revision` and the revisions it builds on (`down_revision`)."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)
    revision, down = found.get("revision"), found.get("down_revision")
    if not isinstance(revision, str):
        raise RuntimeError(f"{path.name} names no revision")
    if isinstance(down, str):
        return revision, (down,)
    if isinstance(down, list | tuple):
        return revision, tuple(str(d) for d in down)
    return revision, ()


def head_revision() -> str | None:
    """The newest revision shipped with this code: the one no other revision builds on."""
    revisions = dict(_revision_ids(p) for p in sorted((MIGRATIONS / "versions").glob("*.py")))
    below = {d for downs in revisions.values() for d in downs}
    heads = sorted(set(revisions) - below)
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {', '.join(heads)}")
    return heads[0] if heads else None


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    found = sorted(versions)
    if len(found) > 1:
        raise RuntimeError(f"the database is at several revisions: {', '.join(found)}")
    return found[0] if found else None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database to `revision`, in one transaction (DDL is transactional on
    PostgreSQL and SQLite alike)."""
    async with _migrating(engine) as connection:
        await connection.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database back to `revision` (`base`: drop everything)."""
    async with _migrating(engine) as connection:
        await connection.run_sync(_downgrade, revision)


@asynccontextmanager
async def _one_migrator(database: Path | None) -> AsyncIterator[None]:
    """Holds `<database>.migrate.lock` (flock: released by the kernel if the process dies), so
    that migrators of one SQLite file, in any process, take turns."""
    if database is None:  # in memory: no other process sees it
        yield
        return
    fd = os.open(f"{database}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        waited = False
        while True:  # polled, not blocking: the event loop (and a cancellation) go on meanwhile
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("database: waiting for another process migrating %s", database)
                    waited = True
                await asyncio.sleep(_LOCK_POLL)
        yield
    finally:
        os.close(fd)  # releases the lock


@asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection in one transaction that no other migrator runs beside; on SQLite with
    foreign keys off meanwhile.

    Alembic reads the revision and then migrates; two migrators that both read "no schema"
    both create it, and the second fails (`table alembic_version already exists`). So the
    transaction first takes what excludes other migrators: on SQLite the migration lock file
    and then the write lock (`BEGIN IMMEDIATE`: with the driver's transaction handling off, a
    bare begin sends nothing and Alembic's read would run outside any transaction), on
    PostgreSQL an advisory lock; Alembic reads the revision after that.

    SQLite changes most of a table by copying it and dropping the old one, and dropping a
    table with foreign keys on first deletes its rows, cascading into every table that refers
    to it. SQLite's own procedure turns them off and checks them afterwards; the pragma only
    takes effect outside a transaction (https://www.sqlite.org/lang_altertable.html#otheralter).
    """
    sqlite = engine.dialect.name == "sqlite"
    async with (
        engine.connect() as connection,
        _one_migrator(sqlite_file(engine.url.database) if sqlite else None),
    ):
        if sqlite:
            await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            await connection.commit()
        try:
            async with connection.begin():
                if sqlite:
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                elif connection.dialect.name == "postgresql":
                    lock = text("SELECT pg_advisory_xact_lock(:key)")
                    await connection.execute(lock, {"key": _PG_MIGRATION_LOCK})
                yield connection
                if sqlite:
                    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:  # the pooled connection goes back as the engine made it
                await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                await connection.commit()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at; None before the first migration."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
