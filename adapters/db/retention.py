"""core.retention's RetentionStore over SQL: which media posts still need, snapshot thinning."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import MetricSnapshotRow, PostRow, TargetRow
from core.states import TargetState

_OPEN = [
    s.value
    for s in (
        TargetState.DRAFT,
        TargetState.AWAITING_APPROVAL,
        TargetState.SCHEDULED,
        TargetState.QUEUED,
        TargetState.PUBLISHING,
        TargetState.UNCONFIRMED,
    )
]


class SqlRetentionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def media_in_use(self, finished_since: datetime) -> Collection[str]:
        per_post = (
            select(
                TargetRow.post_id.label("post_id"),
                func.max(case((TargetRow.state.in_(_OPEN), 1), else_=0)).label("open"),
                func.max(TargetRow.published_at).label("published"),
                func.max(TargetRow.sent_at).label("sent"),
                func.max(TargetRow.due_at).label("due"),
            )
            .group_by(TargetRow.post_id)
            .subquery()
        )
        query = (
            select(PostRow.media)
            .outerjoin(per_post, per_post.c.post_id == PostRow.id)
            .where(
                or_(
                    per_post.c.post_id.is_(None),  # no target: a draft
                    per_post.c.open == 1,
                    PostRow.created_at >= finished_since,
                    PostRow.scheduled_at >= finished_since,
                    per_post.c.published >= finished_since,
                    per_post.c.sent >= finished_since,
                    per_post.c.due >= finished_since,
                )
            )
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).scalars().all()
        return {url for media in rows for url in (media or [])}

    async def thin_snapshots(self, before: datetime) -> int:
        day = func.date(MetricSnapshotRow.taken_at)  # stored as UTC: the UTC day
        # Snapshots are appended in time order, so an item's highest id of a day is its last.
        keep = (
            select(func.max(MetricSnapshotRow.id))
            .where(MetricSnapshotRow.taken_at < before)
            .group_by(MetricSnapshotRow.item_id, day)
        )
        statement = delete(MetricSnapshotRow).where(
            MetricSnapshotRow.taken_at < before, MetricSnapshotRow.id.not_in(keep)
        )
        async with self._engine.begin() as connection:
            result = await connection.execute(statement)
        return int(result.rowcount or 0)
