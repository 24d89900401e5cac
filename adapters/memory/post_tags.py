"""In-memory twin of adapters/db/post_tags.py: tagged posts and posts published since a time."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from core.metrics import PostTags
from core.model import Post
from core.states import TargetState

if TYPE_CHECKING:
    from adapters.memory.analytics import AnalyticsTables, Transaction

__all__ = ["InMemoryPostTagQueries"]


class InMemoryPostTagQueries:
    """Part of InMemoryAnalyticsRepository (core.ports.AnalyticsRepository)."""

    _tx: Transaction[AnalyticsTables]
    _posts: Callable[[], Iterable[Post]]

    async def tagged(
        self, profile_id: int, campaign: str | None = None
    ) -> Sequence[tuple[int, PostTags]]:
        mine = {p.id for p in self._posts() if p.profile_id == profile_id}
        return [
            (post_id, tags)
            for post_id, tags in sorted(self._tx.view.tags.items())
            if post_id in mine
            and tags.campaign is not None
            and (campaign is None or tags.campaign == campaign)
        ]

    async def published_posts(self, profile_id: int, *, since: datetime) -> Sequence[int]:
        return sorted(
            p.id
            for p in self._posts()
            if p.profile_id == profile_id
            and any(
                t.state is TargetState.PUBLISHED
                and t.published_at is not None
                and t.published_at >= since
                for t in p.targets.values()
            )
        )
