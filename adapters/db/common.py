"""What the SQL repositories share: fresh reads, dialect upserts, chunked IN lists."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from core.metrics import Metric

FRESH = {"populate_existing": True}
_CHUNK = 5000  # ids per IN (…): under SQLite's and asyncpg's bound-parameter limits
METRICS = {m.value: m for m in Metric}


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def insert_for(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # Imported here: on the SQLite default, the PostgreSQL dialect is 2 MB never used.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return sqlite.insert(table)
