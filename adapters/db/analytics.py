"""SQL repositories for analytics (items, metrics, snapshots, daily totals, post tags) and
digests (subscriptions, and the delivery rows that are their once-per-day claims)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
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
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.analytics_batch import SqlBatchReads, item_campaign, item_hidden, item_posted
from adapters.db.post_tags import SqlPostTagQueries
from adapters.db.tables import (
    AccountMetricRow,
    AnalyticsItemRow,
    AnalyticsProfileRow,
    ConnectionRow,
    DailyTotalRow,
    DigestDeliveryRow,
    DigestSubscriptionRow,
    MetricLatestRow,
    MetricSnapshotRow,
    PostRow,
    PostTagRow,
    TargetRow,
)
from core.digest_model import DeliveryStatus, DigestSubscription
from core.errors import Conflict
from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    DailyTotal,
    ItemKind,
    Metric,
    PostTags,
    Reading,
    Snapshot,
)
from core.model import ChatKind, ChatPlatform, ChatRef, ConnectionStatus, Network, Route
from core.states import TargetState

__all__ = ["SqlAnalyticsRepository", "SqlDigestRepository"]

_FRESH = {"populate_existing": True}
_CHUNK = 5000  # ids per IN (…): under SQLite's and asyncpg's bound-parameter limits
_METRICS = {m.value: m for m in Metric}


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's dialect."""
    if session.get_bind().dialect.name == "postgresql":
        # Imported here: on the SQLite default, the PostgreSQL dialect is 2 MB never used.
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    return sqlite.insert(table)


def _metrics(raw: Mapping[str, Any] | None) -> dict[Metric, int]:
    found: dict[Metric, int] = {}
    for key, value in (raw or {}).items():
        metric = _METRICS.get(key)
        if metric is not None and isinstance(value, int) and not isinstance(value, bool):
            found[metric] = value
    return found


def _item(row: AnalyticsItemRow, campaign: str | None, hidden: bool) -> AnalyticsItem:
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


class SqlAnalyticsRepository(SqlPostTagQueries, SqlBatchReads):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

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
            _insert(self._session, AnalyticsItemRow)
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
            .execution_options(**_FRESH)
        )
        rows = list(await self._session.scalars(stmt))
        # The sync needs no tags: it refreshes hidden posts too.
        items = [_item(r, r.campaign, r.hidden) for r in rows]
        self._forget(rows)
        return items

    def _forget(self, rows: Sequence[AnalyticsItemRow]) -> None:
        """Detach rows only read: a sweep reads thousands, and the session keeps each."""
        for row in rows:
            self._session.expunge(row)

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
        stmt = _insert(self._session, MetricLatestRow).values(
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
                last_error=None,
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
            stmt = _insert(self._session, MetricLatestRow)
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
        for chunk in _chunks(item_ids):
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
        return _item(row, row.campaign, row.hidden)

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

    def _select(self) -> Any:
        return (
            select(AnalyticsItemRow, item_campaign, item_hidden)
            .outerjoin(PostTagRow, PostTagRow.post_id == AnalyticsItemRow.post_id)
            .execution_options(**_FRESH)
        )

    async def _load(self, stmt: Any) -> list[AnalyticsItem]:
        rows = (await self._session.execute(stmt)).all()
        items = [_item(row, campaign, hidden) for row, campaign, hidden in rows]
        self._forget([row for row, _, _ in rows])
        by_id = {i.id: i for i in items}
        for chunk in _chunks(list(by_id)):
            latest = await self._session.execute(
                select(
                    MetricLatestRow.item_id, MetricLatestRow.metric, MetricLatestRow.value
                ).where(MetricLatestRow.item_id.in_(chunk))
            )
            for item_id, metric, value in latest:
                known = _METRICS.get(metric)
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
        for chunk in _chunks(item_ids):
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
                Snapshot(item_id, taken_at, _metrics(values)) for item_id, taken_at, values in rows
            ]
        found.sort(key=lambda s: (s.item_id, s.taken_at))
        return found

    async def tags(self, post_id: int) -> PostTags:
        row = await self._session.get(PostTagRow, post_id, populate_existing=True)
        return PostTags() if row is None else PostTags(row.campaign, row.hidden)

    async def set_tags(self, post_id: int, tags: PostTags) -> None:
        stmt = _insert(self._session, PostTagRow).values(
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

    async def record_account(
        self,
        profile_id: int,
        network: Network,
        day: date,
        values: Mapping[AccountMetric, int],
        *,
        taken_at: datetime,
    ) -> None:
        given = {AccountMetric(k).value: int(v) for k, v in values.items()}
        stmt = _insert(self._session, AccountMetricRow).values(
            profile_id=profile_id,
            network=network.value,
            day=day,
            metrics=given,
            taken_at=taken_at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["profile_id", "network", "day"],
            set_={"metrics": stmt.excluded.metrics, "taken_at": stmt.excluded.taken_at},
        )
        await self._session.execute(stmt)

    async def account_history(
        self, profile_id: int, *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        return await self.accounts_of([profile_id], since=since, until=until)

    async def accounts_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        stmt = (
            select(ConnectionRow.profile_id)
            .outerjoin(
                AnalyticsProfileRow, AnalyticsProfileRow.profile_id == ConnectionRow.profile_id
            )
            .where(
                ConnectionRow.status == ConnectionStatus.CONNECTED.value,
                or_(
                    AnalyticsProfileRow.accounts_next_at.is_(None),
                    AnalyticsProfileRow.accounts_next_at <= now,
                ),
            )
            .group_by(ConnectionRow.profile_id)
            .order_by(ConnectionRow.profile_id)
            .limit(max(limit, 0))
        )
        return list(await self._session.scalars(stmt))

    async def accounts_synced(
        self, profile_id: int, *, now: datetime, next_at: datetime, error: str | None
    ) -> None:
        stmt = _insert(self._session, AnalyticsProfileRow).values(
            profile_id=profile_id,
            accounts_synced_at=None if error else now,
            accounts_next_at=next_at,
            failures=1 if error else 0,
            last_error=error,
        )
        if error is None:
            changes: dict[str, Any] = {
                "accounts_synced_at": now,
                "accounts_next_at": next_at,
                "failures": 0,
                "last_error": None,
            }
        else:
            changes = {
                "accounts_next_at": next_at,
                "failures": AnalyticsProfileRow.failures + 1,
                "last_error": error,
            }
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["profile_id"], set_=changes)
        )

    async def save_daily(self, totals: Sequence[DailyTotal], *, updated_at: datetime) -> None:
        if not totals:
            return
        rows = [
            {
                "profile_id": t.profile_id,
                "day": t.day,
                "network": t.network.value,
                "campaign": t.campaign,
                "posts": t.posts,
                "metrics": {Metric(k).value: int(v) for k, v in t.values.items()},
                "updated_at": updated_at,
            }
            for t in totals
        ]
        stmt = _insert(self._session, DailyTotalRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["profile_id", "day", "network", "campaign"],
            set_={
                "posts": stmt.excluded.posts,
                "metrics": stmt.excluded.metrics,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self._session.execute(stmt, rows)

    async def daily(
        self, profile_id: int, *, since: date, until: date, campaign: str = ""
    ) -> Sequence[DailyTotal]:
        return await self.daily_of([profile_id], since=since, until=until, campaign=campaign)


def _subscription(row: DigestSubscriptionRow) -> DigestSubscription:
    return DigestSubscription(
        id=row.id,
        profile_id=row.profile_id,
        chat=ChatRef(
            ChatPlatform(row.platform), row.chat, row.workspace, kind=ChatKind(row.chat_kind)
        ),
        created_at=row.created_at,
        enabled=row.enabled,
        minute_of_day=row.minute_of_day,
        weekly=row.weekly,
        next_due_at=row.next_due_at,
    )


def _takeable(now: datetime) -> ColumnElement[bool]:
    """A delivery another worker may take: its lease ran out, or its retry is due."""
    return or_(
        and_(
            DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            DigestDeliveryRow.locked_until < now,
        ),
        and_(
            DigestDeliveryRow.status == DeliveryStatus.RETRY.value,
            or_(DigestDeliveryRow.locked_until.is_(None), DigestDeliveryRow.locked_until <= now),
        ),
    )


class SqlDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, subscription_id: int) -> DigestSubscription | None:
        row = await self._session.get(
            DigestSubscriptionRow, subscription_id, populate_existing=True
        )
        return None if row is None else _subscription(row)

    async def find(self, profile_id: int, chat: ChatRef) -> DigestSubscription | None:
        stmt = (
            select(DigestSubscriptionRow)
            .where(
                DigestSubscriptionRow.profile_id == profile_id,
                DigestSubscriptionRow.platform == chat.platform.value,
                DigestSubscriptionRow.workspace == chat.workspace,
                DigestSubscriptionRow.chat == chat.chat,
            )
            .execution_options(**_FRESH)
        )
        row = (await self._session.scalars(stmt)).first()
        return None if row is None else _subscription(row)

    async def for_profile(self, profile_id: int) -> Sequence[DigestSubscription]:
        stmt = (
            select(DigestSubscriptionRow)
            .where(DigestSubscriptionRow.profile_id == profile_id)
            .order_by(DigestSubscriptionRow.id)
            .execution_options(**_FRESH)
        )
        return [_subscription(r) for r in await self._session.scalars(stmt)]

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        stmt = (
            update(DigestSubscriptionRow)
            .where(
                DigestSubscriptionRow.platform == old.platform.value,
                DigestSubscriptionRow.workspace == old.workspace,
                DigestSubscriptionRow.chat == old.chat,
            )
            .values(chat=new.chat)
        )
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def save(self, subscription: DigestSubscription) -> DigestSubscription:
        try:
            # A savepoint: a clash with the UNIQUE (profile, chat) leaves the rest of this
            # transaction intact (begin_nested flushes what was pending before it).
            async with self._session.begin_nested():
                if subscription.id:
                    row = await self._session.get(
                        DigestSubscriptionRow, subscription.id, populate_existing=True
                    )
                    if row is None:
                        raise LookupError(f"digest subscription {subscription.id} does not exist")
                else:
                    row = DigestSubscriptionRow(
                        profile_id=subscription.profile_id, created_at=subscription.created_at
                    )
                    self._session.add(row)
                row.platform = subscription.chat.platform.value
                row.workspace = subscription.chat.workspace
                row.chat = subscription.chat.chat
                row.chat_kind = subscription.chat.kind.value
                row.enabled = subscription.enabled
                row.minute_of_day = subscription.minute_of_day
                row.weekly = subscription.weekly
                row.next_due_at = subscription.next_due_at
                await self._session.flush()
        except IntegrityError as e:
            raise Conflict(f"{subscription.chat} already has this profile's digest") from e
        return _subscription(row)

    async def due(
        self, now: datetime, *, limit: int, platforms: Collection[ChatPlatform] | None = None
    ) -> Sequence[DigestSubscription]:
        stmt = select(DigestSubscriptionRow).where(
            DigestSubscriptionRow.enabled.is_(True), DigestSubscriptionRow.next_due_at <= now
        )
        if platforms is not None:
            stmt = stmt.where(DigestSubscriptionRow.platform.in_([p.value for p in platforms]))
        stmt = (
            stmt.order_by(DigestSubscriptionRow.next_due_at, DigestSubscriptionRow.id)
            .limit(max(limit, 0))
            .execution_options(**_FRESH)
        )
        return [_subscription(r) for r in await self._session.scalars(stmt)]

    async def advance(
        self, subscription_id: int, *, expected: datetime | None, next_due_at: datetime
    ) -> None:
        was = (
            DigestSubscriptionRow.next_due_at.is_(None)
            if expected is None
            else DigestSubscriptionRow.next_due_at == expected
        )
        await self._session.execute(
            update(DigestSubscriptionRow)
            .where(DigestSubscriptionRow.id == subscription_id, was)
            .values(next_due_at=next_due_at)
            .execution_options(synchronize_session=False)
        )

    async def claim(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, lease_until: datetime
    ) -> int | None:
        exists = await self._session.scalar(
            select(DigestDeliveryRow.id).where(
                DigestDeliveryRow.subscription_id == subscription_id,
                DigestDeliveryRow.day == day,
            )
        )
        if exists is None:
            insert = _insert(self._session, DigestDeliveryRow).values(
                subscription_id=subscription_id,
                day=day,
                status=DeliveryStatus.SENDING.value,
                worker=worker,
                claimed_at=now,
                locked_until=lease_until,
                attempts=1,
            )
            try:
                # A savepoint: losing the race to another worker's INSERT (the UNIQUE
                # constraint; on PostgreSQL after waiting for its commit) leaves the rest
                # of this transaction intact.
                async with self._session.begin_nested():
                    await self._session.execute(insert)
            except IntegrityError:
                return None
            return 1
        taken = await self._session.execute(
            update(DigestDeliveryRow)
            .where(DigestDeliveryRow.id == exists, _takeable(now))
            .values(
                status=DeliveryStatus.SENDING.value,
                worker=worker,
                claimed_at=now,
                locked_until=lease_until,
                attempts=DigestDeliveryRow.attempts + 1,
            )
            .returning(DigestDeliveryRow.attempts)
            .execution_options(synchronize_session=False)
        )
        attempts = taken.scalar()
        return None if attempts is None else int(attempts)

    async def stalled(self, now: datetime, *, limit: int) -> Sequence[tuple[int, date]]:
        rows = await self._session.execute(
            select(DigestDeliveryRow.subscription_id, DigestDeliveryRow.day)
            .where(_takeable(now))
            .order_by(DigestDeliveryRow.locked_until, DigestDeliveryRow.id)
            .limit(max(limit, 0))
        )
        return [(sub_id, day) for sub_id, day in rows]

    def _mine(self, subscription_id: int, day: date, worker: str) -> ColumnElement[bool]:
        return and_(
            DigestDeliveryRow.subscription_id == subscription_id,
            DigestDeliveryRow.day == day,
            DigestDeliveryRow.worker == worker,
        )

    async def mark_sent(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, message_id: str
    ) -> bool:
        result = await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                self._mine(subscription_id, day, worker),
                DigestDeliveryRow.status != DeliveryStatus.SENT.value,
            )
            .values(
                status=DeliveryStatus.SENT.value,
                sent_at=now,
                message_id=message_id,
                locked_until=None,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _settle(
        self,
        subscription_id: int,
        day: date,
        worker: str,
        status: DeliveryStatus,
        error: str,
        until: datetime | None,
    ) -> None:
        await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                self._mine(subscription_id, day, worker),
                DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            )
            .values(status=status.value, error=error, locked_until=until)
            .execution_options(synchronize_session=False)
        )

    async def mark_retry(
        self, subscription_id: int, day: date, *, worker: str, error: str, retry_at: datetime
    ) -> None:
        await self._settle(subscription_id, day, worker, DeliveryStatus.RETRY, error, retry_at)

    async def mark_failed(
        self, subscription_id: int, day: date, *, worker: str, error: str
    ) -> None:
        await self._settle(subscription_id, day, worker, DeliveryStatus.FAILED, error, None)

    async def release(self, worker: str, now: datetime) -> int:
        result = await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                DigestDeliveryRow.worker == worker,
                DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            )
            .values(status=DeliveryStatus.RETRY.value, locked_until=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def status(self, subscription_id: int, day: date) -> str | None:
        return await self._session.scalar(
            select(DigestDeliveryRow.status).where(
                DigestDeliveryRow.subscription_id == subscription_id,
                DigestDeliveryRow.day == day,
            )
        )
