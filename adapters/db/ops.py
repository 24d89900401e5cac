"""Operator reads: the queue's state for /metrics, and whether the schema is current."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.tables import DigestDeliveryRow, PostRow, TargetRow
from core.states import PostState, TargetState
from core.telemetry import QueueReport


def _any(state: TargetState | tuple[TargetState, ...]) -> ColumnElement[Any]:
    states = (state,) if isinstance(state, TargetState) else state
    return func.max(case((TargetRow.state.in_([s.value for s in states]), 1), else_=0))


async def queue_report(engine: AsyncEngine, now: datetime) -> QueueReport:
    """Posts by state (derived as core.states.derive_post_state does, in one aggregate
    query), targets due and not sent, how late the oldest is, digest deliveries by status."""
    per_post = (
        select(
            TargetRow.post_id.label("post_id"),
            _any((TargetState.QUEUED, TargetState.PUBLISHING)).label("active"),
            _any(TargetState.AWAITING_APPROVAL).label("awaiting"),
            _any(TargetState.UNCONFIRMED).label("unconfirmed"),
            _any(TargetState.SCHEDULED).label("scheduled"),
            _any(TargetState.PUBLISHED).label("published"),
            _any(TargetState.FAILED).label("failed"),
            # Every target published (a post whose only targets are published).
            func.min(case((TargetRow.state == TargetState.PUBLISHED.value, 1), else_=0)).label(
                "all_published"
            ),
        )
        .group_by(TargetRow.post_id)
        .subquery()
    )
    state = case(
        (per_post.c.post_id.is_(None), literal(PostState.DRAFT.value)),
        (per_post.c.awaiting == 1, literal(PostState.AWAITING_APPROVAL.value)),
        (per_post.c.active == 1, literal(PostState.PUBLISHING.value)),
        (per_post.c.unconfirmed == 1, literal(PostState.UNCONFIRMED.value)),
        (per_post.c.scheduled == 1, literal(PostState.SCHEDULED.value)),
        (per_post.c.all_published == 1, literal(PostState.PUBLISHED.value)),
        (per_post.c.published == 1, literal(PostState.PARTIAL.value)),
        (per_post.c.failed == 1, literal(PostState.FAILED.value)),
        else_=literal(PostState.DRAFT.value),
    ).label("state")
    posts_query = (
        select(state, func.count())
        .select_from(PostRow)
        .outerjoin(per_post, per_post.c.post_id == PostRow.id)
        .group_by(state)
    )
    waiting = (TargetRow.state == TargetState.QUEUED.value) | (
        (TargetRow.state == TargetState.SCHEDULED.value) & (TargetRow.due_at <= now)
    )
    due_query = select(func.count(), func.min(TargetRow.due_at)).where(waiting)
    digests_query = select(DigestDeliveryRow.status, func.count()).group_by(
        DigestDeliveryRow.status
    )
    async with engine.connect() as connection:
        posts = {str(s): int(n) for s, n in (await connection.execute(posts_query)).all()}
        due, oldest = (await connection.execute(due_query)).one()
        digests = {str(s): int(n) for s, n in (await connection.execute(digests_query)).all()}
    # min() keeps the column's type: a tz-aware UTC datetime on every backend.
    lag = 0.0 if oldest is None else max((now - oldest).total_seconds(), 0.0)
    return QueueReport(posts=posts, due=int(due), due_lag=lag, digests=digests)
