"""SQL queries for posts that reports count before they have numbers: tagged and published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.tables import PostRow, PostTagRow, TargetRow
from core.metrics import PostTags
from core.states import TargetState

__all__ = ["SqlPostTagQueries"]


class SqlPostTagQueries:
    """Part of SqlAnalyticsRepository (core.analytics_ports.TagStore)."""

    _session: AsyncSession

    async def tagged(
        self, profile_id: int, campaign: str | None = None
    ) -> Sequence[tuple[int, PostTags]]:
        stmt = (
            select(PostTagRow.post_id, PostTagRow.campaign, PostTagRow.hidden)
            .join(PostRow, PostRow.id == PostTagRow.post_id)
            .where(PostRow.profile_id == profile_id, PostTagRow.campaign.is_not(None))
            .order_by(PostTagRow.post_id)
        )
        if campaign is not None:
            stmt = stmt.where(PostTagRow.campaign == campaign)
        rows = await self._session.execute(stmt)
        return [(post_id, PostTags(name, bool(hidden))) for post_id, name, hidden in rows]

    async def published_posts(self, profile_id: int, *, since: datetime) -> Sequence[int]:
        stmt = (
            select(TargetRow.post_id)
            .join(PostRow, PostRow.id == TargetRow.post_id)
            .where(
                PostRow.profile_id == profile_id,
                TargetRow.state == TargetState.PUBLISHED.value,
                TargetRow.published_at >= since,
            )
            .distinct()
            .order_by(TargetRow.post_id)
        )
        return list(await self._session.scalars(stmt))
