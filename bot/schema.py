"""The schema at start: the SQLite default brings itself up to date; PostgreSQL must be
migrated by the operator (`postroom db upgrade`, a deploy step) and is checked only."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sys

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

UPGRADE_TIMEOUT = 300.0  # seconds; the SQLite migrations take well under one
# The line of a traceback that names the error: `package.module.SomeError: message`.
_ERROR_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)*([A-Z]\w*(?:Error|Exception)): (.+)")


class SchemaOutOfDate(RuntimeError):
    pass


async def check_schema(engine: AsyncEngine) -> None:
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database is at revision {current or 'none'}, this code needs {head}: "
            "run `postroom db upgrade` first"
        )


async def prepare_schema(engine: AsyncEngine, url: str) -> None:
    """On SQLite, migrate to the head when behind (a first run starts from nothing) and say
    so in one log line; elsewhere, refuse to run on an out-of-date schema."""
    if engine.dialect.name != "sqlite":
        await check_schema(engine)
        return
    current = await current_revision(engine)
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
