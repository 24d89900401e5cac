"""SQL repositories for durable chat state: the progress outbox and the updates already seen."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.chat_tables import ProgressOutboxRow, SeenUpdateRow
from adapters.db.tables import PostRow
from core.chat_ports import ProgressMark
from core.model import MessageRef

_Mark = ProgressOutboxRow


def _insert(session: AsyncSession, table: type[Any]) -> Any:
    """INSERT … ON CONFLICT, in the dialect's spelling (both have it, and RETURNING). Imported
    when used: a bot on SQLite never loads the PostgreSQL dialect."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


def _free(worker: str, now: datetime) -> ColumnElement[bool]:
    return or_(_Mark.locked_until.is_(None), _Mark.locked_until < now, _Mark.locked_by == worker)


class SqlProgressOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mark(
        self, post_ids: Collection[int], *, worker: str, now: datetime, lease_until: datetime
    ) -> Mapping[int, int]:
        if not post_ids:
            return {}
        # Sorted: concurrent transactions lock the rows in one order and cannot deadlock.
        rows = [
            {
                "post_id": post_id,
                "version": 1,
                "attempts": 0,
                "due_at": now,
                "locked_by": worker,
                "locked_until": lease_until,
            }
            for post_id in sorted(set(post_ids))
        ]
        free = _free(worker, now)
        stmt = _insert(self._session, _Mark).values(rows)
        stmt = stmt.on_conflict_do_update(
            index_elements=[_Mark.post_id],
            set_={
                "version": _Mark.version + 1,
                "attempts": 0,
                "due_at": now,
                "locked_by": case((free, worker), else_=_Mark.locked_by),
                "locked_until": case((free, lease_until), else_=_Mark.locked_until),
            },
        ).returning(_Mark.post_id, _Mark.version, _Mark.locked_by)
        result = await self._session.execute(stmt)
        return {post_id: version for post_id, version, holder in result.all() if holder == worker}

    async def claim(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[ProgressMark]:
        if limit <= 0:
            return []
        open_ = (
            _Mark.due_at <= now,
            or_(_Mark.locked_until.is_(None), _Mark.locked_until < now),
        )
        pick = select(_Mark.post_id).where(*open_).order_by(_Mark.due_at).limit(limit)
        if self._session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        chosen = list((await self._session.scalars(pick)).all())
        if not chosen:
            return []
        taken = await self._session.execute(
            update(_Mark)
            .where(_Mark.post_id.in_(chosen), *open_)
            .values(locked_by=worker, locked_until=lease_until)
            .returning(_Mark.post_id, _Mark.version, _Mark.attempts)
            .execution_options(synchronize_session=False)
        )
        return sorted(
            (ProgressMark(post_id, version, attempts) for post_id, version, attempts in taken),
            key=lambda m: m.post_id,
        )

    async def held(self, post_id: int, *, worker: str) -> ProgressMark | None:
        row = (
            await self._session.execute(
                select(_Mark.version, _Mark.attempts).where(
                    _Mark.post_id == post_id, _Mark.locked_by == worker
                )
            )
        ).first()
        return None if row is None else ProgressMark(post_id, row[0], row[1])

    async def done(
        self, post_id: int, version: int, *, worker: str, shown: MessageRef | None = None
    ) -> bool:
        if shown is not None:
            # The post's row before the mark's, the order every writer of both keeps.
            await self._session.execute(
                update(PostRow)
                .where(PostRow.id == post_id, PostRow.progress_message_id.is_(None))
                .values(progress_chat=shown.chat.chat, progress_message_id=shown.message_id)
                .execution_options(synchronize_session=False)
            )
        cleared = await self._session.execute(
            delete(_Mark)
            .where(_Mark.post_id == post_id, _Mark.version == version, _Mark.locked_by == worker)
            .returning(_Mark.post_id)
        )
        return cleared.first() is not None

    async def retry(self, post_id: int, *, worker: str, due_at: datetime) -> None:
        await self._session.execute(
            update(_Mark)
            .where(_Mark.post_id == post_id, _Mark.locked_by == worker)
            .values(locked_by=None, locked_until=None, due_at=due_at, attempts=_Mark.attempts + 1)
            .execution_options(synchronize_session=False)
        )

    async def drop(self, post_id: int, *, worker: str) -> None:
        await self._session.execute(
            delete(_Mark).where(_Mark.post_id == post_id, _Mark.locked_by == worker)
        )

    async def renew(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        if not post_ids:
            return
        await self._session.execute(
            update(_Mark)
            .where(_Mark.post_id.in_(sorted(post_ids)), _Mark.locked_by == worker)
            .values(locked_until=lease_until)
            .execution_options(synchronize_session=False)
        )

    async def release(self, worker: str) -> int:
        result = await self._session.execute(
            update(_Mark)
            .where(_Mark.locked_by == worker)
            .values(locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)


class SqlSeenUpdateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_seen(self, source: str, update_id: int, *, now: datetime) -> bool:
        stmt = (
            _insert(self._session, SeenUpdateRow)
            .values(source=source, update_id=update_id, seen_at=now)
            .on_conflict_do_nothing(index_elements=[SeenUpdateRow.source, SeenUpdateRow.update_id])
            .returning(SeenUpdateRow.update_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def prune(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(SeenUpdateRow).where(SeenUpdateRow.seen_at < before)
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)
