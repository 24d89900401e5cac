"""SQL reads of several profiles at once (a wave of digests), and the item expressions they
share with the one-profile reads."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.tables import (
    AccountMetricRow,
    AnalyticsItemRow,
    DailyTotalRow,
    PostRow,
    PostTagRow,
    TargetRow,
)
from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    DailyTotal,
    Metric,
    TargetOutcome,
)
from core.model import Network
from core.states import TargetState

__all__ = ["SqlBatchReads", "item_campaign", "item_hidden", "item_posted"]

_METRICS = {m.value: m for m in Metric}
_ACCOUNT = {m.value: m for m in AccountMetric}
_CHUNK = 1000  # profile ids per IN (…), well under SQLite's and asyncpg's parameter limits

# A published item's campaign and hidden flag are its post's (post_tags); a tracked item has
# its own.
item_campaign: ColumnElement[str | None] = case(
    (AnalyticsItemRow.post_id.is_(None), AnalyticsItemRow.campaign),
    else_=PostTagRow.campaign,
)
item_hidden: ColumnElement[bool] = case(
    (AnalyticsItemRow.post_id.is_(None), AnalyticsItemRow.hidden),
    else_=func.coalesce(PostTagRow.hidden, false()),
)
item_posted = func.coalesce(AnalyticsItemRow.posted_at, AnalyticsItemRow.created_at)


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    unique = sorted(set(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _known(raw: Any, names: dict[str, Any]) -> dict[Any, int]:
    return {
        names[k]: v
        for k, v in (raw or {}).items()
        if k in names and isinstance(v, int) and not isinstance(v, bool)
    }


class SqlBatchReads:
    """Part of SqlAnalyticsRepository (core.analytics_ports.ReportReads)."""

    _session: AsyncSession

    if TYPE_CHECKING:

        def _select(self) -> Any: ...

        async def _load(self, stmt: Any) -> list[AnalyticsItem]: ...

    async def daily_of(
        self, profile_ids: Collection[int], *, since: date, until: date, campaign: str = ""
    ) -> Sequence[DailyTotal]:
        found: list[DailyTotal] = []
        for chunk in _chunks(profile_ids):
            rows = await self._session.execute(
                select(
                    DailyTotalRow.profile_id,
                    DailyTotalRow.day,
                    DailyTotalRow.network,
                    DailyTotalRow.posts,
                    DailyTotalRow.metrics,
                ).where(
                    DailyTotalRow.profile_id.in_(chunk),
                    DailyTotalRow.campaign == campaign,
                    DailyTotalRow.day >= since,
                    DailyTotalRow.day <= until,
                )
            )
            found += [
                DailyTotal(pid, day, Network(net), campaign, posts, _known(values, _METRICS))
                for pid, day, net, posts, values in rows
            ]
        found.sort(key=lambda r: (r.profile_id, r.day, r.network.rank))
        return found

    async def accounts_of(
        self, profile_ids: Collection[int], *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        found: list[AccountSnapshot] = []
        for chunk in _chunks(profile_ids):
            rows = await self._session.execute(
                select(
                    AccountMetricRow.profile_id,
                    AccountMetricRow.network,
                    AccountMetricRow.day,
                    AccountMetricRow.metrics,
                    AccountMetricRow.taken_at,
                ).where(
                    AccountMetricRow.profile_id.in_(chunk),
                    AccountMetricRow.day >= since,
                    AccountMetricRow.day <= until,
                )
            )
            found += [
                AccountSnapshot(pid, Network(net), day, _known(values, _ACCOUNT), taken_at)
                for pid, net, day, values, taken_at in rows
            ]
        found.sort(key=lambda r: (r.profile_id, r.day, r.network.rank))
        return found

    async def items_of(
        self, profile_ids: Collection[int], *, posted_since: datetime, posted_until: datetime
    ) -> Sequence[AnalyticsItem]:
        found: list[AnalyticsItem] = []
        for chunk in _chunks(profile_ids):
            stmt = self._select().where(
                AnalyticsItemRow.profile_id.in_(chunk),
                item_posted >= posted_since,
                item_posted < posted_until,
                ~item_hidden,
            )
            found += await self._load(stmt.order_by(item_posted, AnalyticsItemRow.id))
        found.sort(key=lambda i: (i.posted_at or i.created_at, i.id))
        return found

    async def outcomes_of(
        self, profile_ids: Collection[int], *, since: datetime, until: datetime
    ) -> Sequence[TargetOutcome]:
        failed_at = func.coalesce(TargetRow.sent_at, TargetRow.due_at)
        published = TargetState.PUBLISHED.value
        found: list[TargetOutcome] = []
        for chunk in _chunks(profile_ids):
            rows = await self._session.execute(
                select(
                    PostRow.profile_id,
                    TargetRow.post_id,
                    TargetRow.network,
                    TargetRow.state,
                    TargetRow.error,
                    TargetRow.published_at,
                    failed_at,
                )
                .join(PostRow, PostRow.id == TargetRow.post_id)
                .where(
                    PostRow.profile_id.in_(chunk),
                    or_(
                        and_(
                            TargetRow.state == published,
                            TargetRow.published_at >= since,
                            TargetRow.published_at < until,
                        ),
                        and_(
                            TargetRow.state == TargetState.FAILED.value,
                            failed_at >= since,
                            failed_at < until,
                        ),
                    ),
                )
            )
            for pid, post_id, net, state, error, published_at, failed in rows:
                ok = state == published
                at = published_at if ok else failed
                if at is not None:  # never, by the WHERE clause
                    reason = "" if ok else error or "failed"
                    found.append(TargetOutcome(pid, post_id, Network(net), ok, at, reason))
        found.sort(key=lambda o: (o.profile_id, o.post_id, o.network.rank))
        return found
