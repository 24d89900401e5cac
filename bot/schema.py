"""The schema at start: the SQLite default brings itself up to date; PostgreSQL must be
migrated by the operator (`postroom db upgrade`, a deploy step) and is checked only."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys

from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

UPGRADE_TIMEOUT = 300.0  # seconds; the SQLite migrations take well under one
# The line of a traceback that names the error: `package.module.SomeError: message`.
_ERROR_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*(?:Error|Exception)): (.+)")


class SchemaOutOfDate(RuntimeError):
    pass


class DatabaseUnavailable(RuntimeError):
    """The database could not be reached or read at start (said in one line, no password)."""


async def check_schema(engine: AsyncEngine) -> None:
    _refuse_if_behind(await current_revision(engine))


def _refuse_if_behind(current: str | None) -> None:
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database is at revision {current or 'none'}, this code needs {head}: "
            "run `postroom db upgrade` first"
        )


async def prepare_schema(engine: AsyncEngine, url: str) -> None:
    """On SQLite, migrate to the head when behind (a first run starts from nothing) and say
    so in one log line; elsewhere, refuse to run on an out-of-date schema."""
    try:
        current = await current_revision(engine)  # the first contact with the database
    except (OSError, DBAPIError) as e:  # refused, unknown host, timeout, login, file
        raise DatabaseUnavailable(_unavailable(engine.url, e)) from None
    if engine.dialect.name != "sqlite":
        _refuse_if_behind(current)
        return
    head = head_revision()
    if current == head:
        return
    await _upgrade_in_child(url)
    log.info("database: brought the SQLite schema from %s to %s", current or "nothing", head)


async def _upgrade_in_child(url: str) -> None:
    """`postroom db upgrade` in a child process: Alembic and the migrations' memory go with
    it instead of staying in the bot for its whole life."""
    env = {**os.environ, "POSTROOM_DATABASE_URL": url, "POSTROOM_LOG_FILE": "-"}
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "db",
        "upgrade",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, err = await asyncio.wait_for(child.communicate(), UPGRADE_TIMEOUT)
    except TimeoutError:
        child.kill()
        await child.wait()
        took = f"upgrading the SQLite database took over {UPGRADE_TIMEOUT:.0f} s"
        raise SchemaOutOfDate(took) from None
    if child.returncode != 0:
        # e.g. a revision this code does not know: a newer Postroom migrated the file.
        why = _error_line(err.decode(errors="replace")) or f"exit code {child.returncode}"
        raise SchemaOutOfDate(f"could not bring the SQLite database up to date: {why}")


def _unavailable(url: URL, error: OSError | DBAPIError) -> str:
    """E.g. `cannot use the database nowhere on 127.0.0.1:1: ConnectionRefusedError: …`."""
    if url.get_backend_name() == "sqlite":
        where = f"SQLite database {url.database}"
    else:
        where = (
            f"database {url.database} on {url.host or 'localhost'}:{url.port or 'default port'}"
        )
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    kind = type(cause).__name__
    detail = lines[0] if lines else "no detail"
    reason = detail if kind == "Error" else f"{kind}: {detail}"  # "Error": a driver's wrapper
    if url.password:  # drivers do not echo it; made sure of all the same
        reason = reason.replace(str(url.password), "***")
    return f"cannot use the {where} (POSTROOM_DATABASE_URL): {reason}"[:500]


def _error_line(stderr: str) -> str | None:
    """What went wrong, in one line, from a child's stderr: the last `SomeError: message`
    line of its traceback, else its last `postroom: ...` line. Never the SQL or its parameters
    (SQLAlchemy puts them on lines of their own, and ends with a line that only links to its
    docs), so no row's data reaches the message."""
    lines = [line.strip() for line in stderr.splitlines()]
    for line in reversed(lines):
        if found := _ERROR_LINE.fullmatch(line):
            return f"{found[1]}: {found[2]}"[:500]
    for line in reversed(lines):
        if line.startswith("postroom: "):
            return line.removeprefix("postroom: ")[:500]
    return None
