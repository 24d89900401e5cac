"""SQL reads of analytics items and their snapshots, rows mapped to core metrics."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.analytics_batch import item_campaign, item_hidden, item_posted
from adapters.db.common import FRESH, METRICS, chunks
from adapters.db.tables import AnalyticsItemRow, MetricLatestRow, MetricSnapshotRow, PostTagRow
from core.metrics import AnalyticsItem, ItemKind, Metric, Snapshot
from core.model import Network, Route


def metrics_from(raw: Mapping[str, Any] | None) -> dict[Metric, int]:
    found: dict[Metric, int] = {}
    for key, value in (raw or {}).items():
        metric = METRICS.get(key)
        if metric is not None and isinstance(value, int) and not isinstance(value, bool):
            found[metric] = value
    return found


def item_from_row(row: AnalyticsItemRow, campaign: str | None, hidden: bool) -> AnalyticsItem:
    return AnalyticsItem(
        id=row.id,
        profile_id=row.profile_id,
        network=Network(row.network),
        kind=ItemKind(row.kind),
        created_at=row.created_at,
        post_id=row.post_id,
        route=None if row.route is None else Route(row.route),
        url=row.url,
        external_id=row.external_id,
        provider_post_id=row.provider_post_id,
        title=row.title,
        campaign=campaign,
        hidden=bool(hidden),
        auto_sync=row.auto_sync,
        posted_at=row.posted_at,
        synced_at=row.synced_at,
        next_sync_at=row.next_sync_at,
        failures=row.failures,
        last_error=row.last_error,
    )


class SqlItemReads:
    """Part of SqlAnalyticsRepository: reading items and their snapshots."""

    _session: AsyncSession

    def _forget(self, rows: Sequence[AnalyticsItemRow]) -> None:
        """Detach rows only read: a sweep reads thousands, and the session keeps each."""
        for row in rows:
            self._session.expunge(row)

    def _select(self) -> Any:
        return (
            select(AnalyticsItemRow, item_campaign, item_hidden)
            .outerjoin(PostTagRow, PostTagRow.post_id == AnalyticsItemRow.post_id)
            .execution_options(**FRESH)
        )

    async def _load(self, stmt: Any) -> list[AnalyticsItem]:
        rows = (await self._session.execute(stmt)).all()
        items = [item_from_row(row, campaign, hidden) for row, campaign, hidden in rows]
        self._forget([row for row, _, _ in rows])
        by_id = {i.id: i for i in items}
        for chunk in chunks(list(by_id)):
            latest = await self._session.execute(
                select(
                    MetricLatestRow.item_id, MetricLatestRow.metric, MetricLatestRow.value
                ).where(MetricLatestRow.item_id.in_(chunk))
            )
            for item_id, metric, value in latest:
                known = METRICS.get(metric)
                if known is not None:
                    by_id[item_id].metrics[known] = int(value)
        return items

    async def get(self, item_id: int) -> AnalyticsItem | None:
        found = await self._load(self._select().where(AnalyticsItemRow.id == item_id))
        return found[0] if found else None

    async def items(
        self,
        profile_id: int,
        *,
        posted_since: datetime | None = None,
        posted_until: datetime | None = None,
        campaign: str | None = None,
        post_id: int | None = None,
        include_hidden: bool = False,
    ) -> Sequence[AnalyticsItem]:
        stmt = self._select().where(AnalyticsItemRow.profile_id == profile_id)
        if posted_since is not None:
            stmt = stmt.where(item_posted >= posted_since)
        if posted_until is not None:
            stmt = stmt.where(item_posted < posted_until)
        if campaign is not None:
            stmt = stmt.where(item_campaign == campaign)
        if post_id is not None:
            stmt = stmt.where(AnalyticsItemRow.post_id == post_id)
        if not include_hidden:
            stmt = stmt.where(~item_hidden)
        return await self._load(stmt.order_by(item_posted, AnalyticsItemRow.id))

    async def snapshots(
        self, item_ids: Sequence[int], *, since: datetime, until: datetime
    ) -> Sequence[Snapshot]:
        found: list[Snapshot] = []
        for chunk in chunks(item_ids):
            rows = await self._session.execute(
                select(
                    MetricSnapshotRow.item_id,
                    MetricSnapshotRow.taken_at,
                    MetricSnapshotRow.metrics,
                )
                .where(
                    MetricSnapshotRow.item_id.in_(chunk),
                    MetricSnapshotRow.taken_at > since,
                    MetricSnapshotRow.taken_at <= until,
                )
                .order_by(MetricSnapshotRow.item_id, MetricSnapshotRow.taken_at)
            )
            found += [
                Snapshot(item_id, taken_at, metrics_from(values))
                for item_id, taken_at, values in rows
            ]
        found.sort(key=lambda s: (s.item_id, s.taken_at))
        return found
