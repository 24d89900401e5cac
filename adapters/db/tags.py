"""SQL campaign tags and hidden flags of posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.analytics_batch import item_campaign
from adapters.db.common import insert_for
from adapters.db.tables import AnalyticsItemRow, PostTagRow
from core.metrics import PostTags


class SqlTagStore:
    """Part of SqlAnalyticsRepository (core.analytics_ports.TagStore)."""

    _session: AsyncSession

    async def tags(self, post_id: int) -> PostTags:
        row = await self._session.get(PostTagRow, post_id, populate_existing=True)
        return PostTags() if row is None else PostTags(row.campaign, row.hidden)

    async def tag_new(self, tags: Mapping[int, PostTags]) -> None:
        if not tags:
            return
        # One executemany INSERT: the posts were just added, so none has a row to update.
        rows = [
            {"post_id": post_id, "campaign": t.campaign, "hidden": t.hidden}
            for post_id, t in tags.items()
        ]
        try:
            await self._session.execute(insert(PostTagRow), rows)
        except IntegrityError as e:
            raise LookupError("a tagged post does not exist, or has tags already") from e

    async def set_tags(self, post_id: int, tags: PostTags) -> None:
        stmt = insert_for(self._session, PostTagRow).values(
            post_id=post_id, campaign=tags.campaign, hidden=tags.hidden
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["post_id"],
            set_={"campaign": stmt.excluded.campaign, "hidden": stmt.excluded.hidden},
        )
        try:
            await self._session.execute(stmt)
        except IntegrityError as e:
            raise LookupError(f"post {post_id} does not exist") from e

    async def campaigns(self, profile_id: int) -> Sequence[str]:
        stmt = (
            select(item_campaign)
            .select_from(AnalyticsItemRow)
            .outerjoin(PostTagRow, PostTagRow.post_id == AnalyticsItemRow.post_id)
            .where(AnalyticsItemRow.profile_id == profile_id, item_campaign.is_not(None))
            .distinct()
        )
        return sorted(c for c in await self._session.scalars(stmt) if c)
