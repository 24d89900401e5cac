"""SQL analytics items: published and tracked posts, their numbers and refresh times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import (
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from adapters.db.common import FRESH, chunks, insert_for
from adapters.db.item_reads import SqlItemReads, item_from_row
from adapters.db.tables import (
    AnalyticsItemRow,
    MetricLatestRow,
    MetricSnapshotRow,
    PostRow,
    TargetRow,
)
from core.metrics import AnalyticsItem, ItemKind, Metric, Reading
from core.states import TargetState


class SqlItemStore(SqlItemReads):
    """Part of SqlAnalyticsRepository (core.analytics_ports.ItemStore)."""

    async def adopt_published(self, now: datetime, *, limit: int) -> int:
        if limit <= 0:
            return 0
        existing = (
            select(AnalyticsItemRow.id)
            .where(
                AnalyticsItemRow.post_id == TargetRow.post_id,
                AnalyticsItemRow.network == TargetRow.network,
            )
            .exists()
        )
        source = (
            select(
                PostRow.profile_id,
                TargetRow.post_id,
                TargetRow.network,
                literal(ItemKind.PUBLISHED.value),
                TargetRow.route,
                TargetRow.url,
                TargetRow.external_id,
                TargetRow.provider_post_id,
                func.substr(PostRow.text, 1, 255),
                literal(False),
                literal(True),
                TargetRow.published_at,
                literal(now, AnalyticsItemRow.created_at.type),
                literal(now, AnalyticsItemRow.next_sync_at.type),
                literal(0),
            )
            .join(PostRow, PostRow.id == TargetRow.post_id)
            .where(TargetRow.state == TargetState.PUBLISHED.value, ~existing)
            .order_by(TargetRow.id)
            .limit(limit)
        )
        columns = [
            "profile_id",
            "post_id",
            "network",
            "kind",
            "route",
            "url",
            "external_id",
            "provider_post_id",
            "title",
            "hidden",
            "auto_sync",
            "posted_at",
            "created_at",
            "next_sync_at",
            "failures",
        ]
        stmt = (
            insert_for(self._session, AnalyticsItemRow)
            .from_select(columns, source)
            # Another worker adopting the same target at once: its row stands.
            .on_conflict_do_nothing(index_elements=["post_id", "network"])
        )
        result = await self._session.execute(stmt)
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    async def due(
        self, now: datetime, *, limit: int, after: tuple[datetime, int] | None = None
    ) -> Sequence[AnalyticsItem]:
        stmt = select(AnalyticsItemRow).where(
            AnalyticsItemRow.auto_sync.is_(True), AnalyticsItemRow.next_sync_at <= now
        )
        if after is not None:
            at, item_id = after
            stmt = stmt.where(
                or_(
                    AnalyticsItemRow.next_sync_at > at,
                    and_(AnalyticsItemRow.next_sync_at == at, AnalyticsItemRow.id > item_id),
                )
            )
        stmt = (
            stmt.order_by(AnalyticsItemRow.next_sync_at, AnalyticsItemRow.id)
            .limit(max(limit, 0))
            .execution_options(**FRESH)
        )
        rows = list(await self._session.scalars(stmt))
        # The sync needs no tags: it refreshes hidden posts too.
        items = [item_from_row(r, r.campaign, r.hidden) for r in rows]
        self._forget(rows)
        return items

    async def record(
        self,
        item_id: int,
        values: Mapping[Metric, int],
        *,
        taken_at: datetime,
        next_sync_at: datetime | None,
        url: str | None = None,
        posted_at: datetime | None = None,
        external_id: str | None = None,
    ) -> None:
        given = {Metric(m).value: int(v) for m, v in values.items()}
        changed = await self._session.execute(
            update(AnalyticsItemRow)
            .where(AnalyticsItemRow.id == item_id)
            .values(
                synced_at=taken_at,
                next_sync_at=next_sync_at,
                failures=0,
                last_error=None,
                url=func.coalesce(AnalyticsItemRow.url, url),
                posted_at=func.coalesce(AnalyticsItemRow.posted_at, posted_at),
                external_id=func.coalesce(AnalyticsItemRow.external_id, external_id),
            )
            .execution_options(synchronize_session=False)
        )
        if not getattr(changed, "rowcount", 1):
            raise LookupError(f"analytics item {item_id} does not exist")
        if not given:
            return
        stmt = insert_for(self._session, MetricLatestRow).values(
            [
                {"item_id": item_id, "metric": m, "value": v, "updated_at": taken_at}
                for m, v in given.items()
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["item_id", "metric"],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        await self._session.execute(stmt)
        self._session.add(MetricSnapshotRow(item_id=item_id, taken_at=taken_at, metrics=given))
        await self._session.flush()

    async def record_many(self, readings: Sequence[Reading], *, taken_at: datetime) -> None:
        if not readings:
            return
        # Three statements for the whole batch (executemany and multi-row upserts): a sweep
        # stores thousands of readings, and SQLite has one writer at a time.
        items = cast(Table, AnalyticsItemRow.__table__)
        refreshed = (
            update(items)
            .where(items.c.id == bindparam("b_id"))
            .values(
                synced_at=taken_at,
                next_sync_at=bindparam("b_next", type_=AnalyticsItemRow.next_sync_at.type),
                failures=0,
                last_error=bindparam("b_note", type_=Text()),
                url=func.coalesce(items.c.url, bindparam("b_url", type_=Text())),
                posted_at=func.coalesce(
                    items.c.posted_at,
                    bindparam("b_posted", type_=AnalyticsItemRow.posted_at.type),
                ),
                external_id=func.coalesce(
                    items.c.external_id, bindparam("b_external", type_=String())
                ),
            )
        )
        await self._session.execute(
            refreshed,
            [
                {
                    "b_id": r.item_id,
                    "b_next": r.next_sync_at,
                    "b_url": r.url,
                    "b_posted": r.posted_at,
                    "b_external": r.external_id,
                    "b_note": r.note[:500] if r.note else None,
                }
                for r in readings
            ],
        )
        latest = [
            {
                "item_id": r.item_id,
                "metric": Metric(m).value,
                "value": int(v),
                "updated_at": taken_at,
            }
            for r in readings
            for m, v in r.values.items()
        ]
        if latest:
            # executemany of one cached statement, not a VALUES list compiled per batch size.
            stmt = insert_for(self._session, MetricLatestRow)
            stmt = stmt.on_conflict_do_update(
                index_elements=["item_id", "metric"],
                set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
            )
            await self._session.execute(stmt, latest)
        snapshots = [
            {
                "item_id": r.item_id,
                "taken_at": taken_at,
                "metrics": {Metric(m).value: int(v) for m, v in r.values.items()},
            }
            for r in readings
            if r.values
        ]
        if snapshots:
            await self._session.execute(insert(MetricSnapshotRow), snapshots)

    async def failed(self, item_id: int, *, error: str, next_sync_at: datetime) -> None:
        await self._session.execute(
            update(AnalyticsItemRow)
            .where(AnalyticsItemRow.id == item_id)
            .values(
                failures=AnalyticsItemRow.failures + 1,
                last_error=error,
                next_sync_at=next_sync_at,
            )
            .execution_options(synchronize_session=False)
        )

    async def defer(self, item_ids: Sequence[int], next_sync_at: datetime) -> None:
        for chunk in chunks(item_ids):
            await self._session.execute(
                update(AnalyticsItemRow)
                .where(AnalyticsItemRow.id.in_(chunk))
                .values(next_sync_at=next_sync_at)
                .execution_options(synchronize_session=False)
            )

    async def add_tracked(self, item: AnalyticsItem) -> AnalyticsItem:
        row = AnalyticsItemRow(
            profile_id=item.profile_id,
            post_id=None,
            network=item.network.value,
            kind=ItemKind.TRACKED.value,
            created_at=item.created_at,
            failures=0,
        )
        self._write_tracked(row, item)
        row.external_id = item.external_id
        row.provider_post_id = item.provider_post_id
        row.posted_at = item.posted_at
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise LookupError(f"profile {item.profile_id} does not exist") from e
        return item_from_row(row, row.campaign, row.hidden)

    @staticmethod
    def _write_tracked(row: AnalyticsItemRow, item: AnalyticsItem) -> None:
        row.title = item.title[:255]
        row.url = item.url
        row.campaign = item.campaign
        row.hidden = item.hidden
        row.auto_sync = item.auto_sync
        row.route = None if item.route is None else item.route.value
        row.next_sync_at = item.next_sync_at

    async def update_tracked(self, item: AnalyticsItem) -> None:
        row = await self._session.get(AnalyticsItemRow, item.id, populate_existing=True)
        if row is None:
            raise LookupError(f"analytics item {item.id} does not exist")
        self._write_tracked(row, item)
        await self._session.flush()
