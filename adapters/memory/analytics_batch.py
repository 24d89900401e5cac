"""In-memory twin of adapters/db/analytics_batch.py: reads of several profiles at once."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from core.metrics import AccountSnapshot, AnalyticsItem, DailyTotal, TargetOutcome
from core.model import Post
from core.states import TargetState

if TYPE_CHECKING:
    from adapters.memory.analytics import AnalyticsTables, Transaction

__all__ = ["InMemoryBatchReads"]


class InMemoryBatchReads:
    """Part of InMemoryAnalyticsRepository (core.ports.AnalyticsRepository): the one-profile
    reads, profile by profile (no statements to save here)."""

    _tx: Transaction[AnalyticsTables]
    _posts: Callable[[], Iterable[Post]]

    if TYPE_CHECKING:

        async def daily(
            self, profile_id: int, *, since: date, until: date, campaign: str = ""
        ) -> Sequence[DailyTotal]: ...

        async def account_history(
            self, profile_id: int, *, since: date, until: date
        ) -> Sequence[AccountSnapshot]: ...

        async def items(
            self,
            profile_id: int,
            *,
            posted_since: datetime | None = None,
            posted_until: datetime | None = None,
        ) -> Sequence[AnalyticsItem]: ...

    async def daily_of(
        self, profile_ids: Collection[int], *, since: date, until: date
    ) -> Sequence[DailyTotal]:
        found: list[DailyTotal] = []
        for pid in sorted(set(profile_ids)):
            found += await self.daily(pid, since=since, until=until)
        return found

    async def accounts_of(
        self, profile_ids: Collection[int], *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        found: list[AccountSnapshot] = []
        for pid in sorted(set(profile_ids)):
            found += await self.account_history(pid, since=since, until=until)
        return found

    async def items_of(
        self, profile_ids: Collection[int], *, posted_since: datetime, posted_until: datetime
    ) -> Sequence[AnalyticsItem]:
        found: list[AnalyticsItem] = []
        for pid in set(profile_ids):
            found += await self.items(pid, posted_since=posted_since, posted_until=posted_until)
        found.sort(key=lambda i: (i.posted_at or i.created_at, i.id))
        return found

    async def outcomes_of(
        self, profile_ids: Collection[int], *, since: datetime, until: datetime
    ) -> Sequence[TargetOutcome]:
        wanted = set(profile_ids)
        found: list[TargetOutcome] = []
        for post in self._posts():
            if post.profile_id not in wanted:
                continue
            for t in post.targets.values():
                if t.state is TargetState.PUBLISHED and t.published_at is not None:
                    if since <= t.published_at < until:
                        found.append(
                            TargetOutcome(
                                post.profile_id, post.id, t.network, True, t.published_at
                            )
                        )
                elif t.state is TargetState.FAILED:
                    when = t.sent_at or t.due_at
                    if when is not None and since <= when < until:
                        reason = t.error or "failed"
                        found.append(
                            TargetOutcome(post.profile_id, post.id, t.network, False, when, reason)
                        )
        found.sort(key=lambda o: (o.profile_id, o.post_id, o.network.rank))
        return found
