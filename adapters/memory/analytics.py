"""In-memory analytics and digest repositories with the SQL adapter's semantics (tests, sandbox).

A unit of work records its writes as operations: it reads the committed tables with its own
operations applied, and commit replays them onto a copy of the committed tables, swapped in
only if every one applies (a UNIQUE clash raises Conflict and nothing is written).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Generic, TypeVar

from adapters.memory.analytics_batch import InMemoryBatchReads
from adapters.memory.post_tags import InMemoryPostTagQueries
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
from core.model import ChatPlatform, ChatRef, ConnectionStatus, Network, Post, Profile
from core.states import TargetState

__all__ = [
    "AnalyticsTables",
    "InMemoryAnalyticsRepository",
    "InMemoryDigestRepository",
    "Transaction",
]


def _aware(*values: datetime | None) -> None:
    for value in values:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"naive datetime {value!r}: Postroom stores tz-aware UTC only")


@dataclass(slots=True)
class _AccountSync:
    synced_at: datetime | None = None
    next_at: datetime | None = None
    failures: int = 0
    error: str | None = None


@dataclass(slots=True)
class _Delivery:
    status: DeliveryStatus
    worker: str
    claimed_at: datetime
    locked_until: datetime | None
    attempts: int
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None


@dataclass
class AnalyticsTables:
    """The committed analytics rows of one in-memory store."""

    items: dict[int, AnalyticsItem] = field(default_factory=dict)
    snapshots: list[Snapshot] = field(default_factory=list)
    tags: dict[int, PostTags] = field(default_factory=dict)
    accounts: dict[tuple[int, Network, date], AccountSnapshot] = field(default_factory=dict)
    account_sync: dict[int, _AccountSync] = field(default_factory=dict)
    daily: dict[tuple[int, date, Network, str], DailyTotal] = field(default_factory=dict)
    subscriptions: dict[int, DigestSubscription] = field(default_factory=dict)
    deliveries: dict[tuple[int, date], _Delivery] = field(default_factory=dict)
    item_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    sub_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def __deepcopy__(self, memo: dict[int, object]) -> AnalyticsTables:
        # The id counters are shared, never copied: ids are not reused after a rollback.
        return AnalyticsTables(
            items=copy.deepcopy(self.items, memo),
            snapshots=list(self.snapshots),  # snapshots are immutable
            tags=dict(self.tags),
            accounts=dict(self.accounts),
            account_sync=copy.deepcopy(self.account_sync, memo),
            daily=dict(self.daily),
            subscriptions=copy.deepcopy(self.subscriptions, memo),
            deliveries=copy.deepcopy(self.deliveries, memo),
            item_ids=self.item_ids,
            sub_ids=self.sub_ids,
        )

    def cascade_posts(self, post_ids: set[int]) -> None:
        gone = {i for i, item in self.items.items() if item.post_id in post_ids}
        for item_id in gone:
            del self.items[item_id]
        self.snapshots = [s for s in self.snapshots if s.item_id not in gone]
        for post_id in post_ids:
            self.tags.pop(post_id, None)


Op = Callable[[AnalyticsTables], None]
Tables = TypeVar("Tables")


class Transaction(Generic[Tables]):
    """One unit of work's view of a store's tables (analytics, links) and its pending
    operations."""

    def __init__(self, committed: Callable[[], Tables]) -> None:
        self._committed = committed
        self._ops: list[Callable[[Tables], None]] = []
        self._view: Tables | None = None

    @property
    def view(self) -> Tables:
        if self._view is None:
            self._view = copy.deepcopy(self._committed())
            for op in self._ops:
                op(self._view)
        return self._view

    def write(self, op: Callable[[Tables], None]) -> None:
        op(self.view)  # fails now if it cannot apply to what this unit of work sees
        self._ops.append(op)

    def apply(self, tables: Tables) -> Tables | None:
        """The committed tables with this transaction's writes (None: nothing to write)."""
        if not self._ops:
            return None
        updated = copy.deepcopy(tables)
        for op in self._ops:
            op(updated)
        return updated

    def discard(self) -> None:
        self._ops.clear()
        self._view = None


def _effective(item: AnalyticsItem, tables: AnalyticsTables) -> AnalyticsItem:
    shown = copy.deepcopy(item)
    if item.post_id is not None:
        tags = tables.tags.get(item.post_id, PostTags())
        shown.campaign, shown.hidden = tags.campaign, tags.hidden
    return shown


class InMemoryAnalyticsRepository(InMemoryPostTagQueries, InMemoryBatchReads):
    def __init__(
        self,
        tx: Transaction[AnalyticsTables],
        posts: Callable[[], Iterable[Post]],
        profiles: Callable[[], Iterable[Profile]],
    ) -> None:
        self._tx = tx
        self._posts = posts
        self._profiles = profiles

    async def adopt_published(self, now: datetime, *, limit: int) -> int:
        _aware(now)
        tables = self._tx.view
        known = {(i.post_id, i.network) for i in tables.items.values() if i.post_id is not None}
        found: list[AnalyticsItem] = []
        for post in sorted(self._posts(), key=lambda p: p.id):
            # Target order as stored, like the SQL adapter's target ids.
            for target in post.targets.values():
                if target.state is not TargetState.PUBLISHED:
                    continue
                if (post.id, target.network) in known or len(found) >= limit:
                    continue
                found.append(
                    AnalyticsItem(
                        id=next(tables.item_ids),
                        profile_id=post.profile_id,
                        network=target.network,
                        kind=ItemKind.PUBLISHED,
                        created_at=now,
                        post_id=post.id,
                        route=target.route,
                        url=target.url,
                        external_id=target.external_id,
                        provider_post_id=target.provider_post_id,
                        title=post.text[:255],
                        posted_at=target.published_at,
                        next_sync_at=now,
                    )
                )

        def op(t: AnalyticsTables) -> None:
            taken = {(i.post_id, i.network) for i in t.items.values() if i.post_id is not None}
            for item in found:
                # INSERT … ON CONFLICT DO NOTHING: another worker adopted it first.
                if (item.post_id, item.network) not in taken:
                    t.items[item.id] = copy.deepcopy(item)

        self._tx.write(op)
        return len(found)

    async def due(
        self, now: datetime, *, limit: int, after: tuple[datetime, int] | None = None
    ) -> Sequence[AnalyticsItem]:
        _aware(now)
        due = [
            i
            for i in self._tx.view.items.values()
            if i.auto_sync
            and i.next_sync_at is not None
            and i.next_sync_at <= now
            and (after is None or (i.next_sync_at, i.id) > after)
        ]
        due.sort(key=lambda i: (i.next_sync_at, i.id))
        out = []
        for item in due[: max(limit, 0)]:
            shown = copy.deepcopy(item)
            shown.metrics = {}
            out.append(shown)
        return out

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
        _aware(taken_at, next_sync_at, posted_at)
        given = {Metric(m): int(v) for m, v in values.items()}
        self._require(item_id)

        def op(t: AnalyticsTables) -> None:
            item = t.items.get(item_id)
            if item is None:
                return  # deleted with its post meanwhile (ON DELETE CASCADE)
            item.metrics.update(given)
            if given:
                t.snapshots.append(Snapshot(item_id, taken_at, dict(given)))
            item.synced_at = taken_at
            item.next_sync_at = next_sync_at
            item.failures = 0
            item.last_error = None
            item.url = item.url or url
            item.posted_at = item.posted_at or posted_at
            item.external_id = item.external_id or external_id

        self._tx.write(op)

    async def record_many(self, readings: Sequence[Reading], *, taken_at: datetime) -> None:
        for r in readings:
            await self.record(
                r.item_id,
                r.values,
                taken_at=taken_at,
                next_sync_at=r.next_sync_at,
                url=r.url,
                posted_at=r.posted_at,
                external_id=r.external_id,
            )

    async def failed(self, item_id: int, *, error: str, next_sync_at: datetime) -> None:
        _aware(next_sync_at)

        def op(t: AnalyticsTables) -> None:
            item = t.items.get(item_id)
            if item is not None:
                item.failures += 1
                item.last_error = error
                item.next_sync_at = next_sync_at

        self._tx.write(op)

    async def defer(self, item_ids: Sequence[int], next_sync_at: datetime) -> None:
        _aware(next_sync_at)
        ids = list(item_ids)

        def op(t: AnalyticsTables) -> None:
            for item_id in ids:
                if item_id in t.items:
                    t.items[item_id].next_sync_at = next_sync_at

        self._tx.write(op)

    async def add_tracked(self, item: AnalyticsItem) -> AnalyticsItem:
        _aware(item.created_at, item.posted_at, item.next_sync_at)
        if not any(p.id == item.profile_id for p in self._profiles()):
            raise LookupError(f"profile {item.profile_id} does not exist")
        stored = replace(copy.deepcopy(item), id=next(self._tx.view.item_ids), metrics={})

        def op(t: AnalyticsTables) -> None:
            t.items[stored.id] = copy.deepcopy(stored)

        self._tx.write(op)
        return copy.deepcopy(stored)

    async def update_tracked(self, item: AnalyticsItem) -> None:
        self._require(item.id)
        changed = copy.deepcopy(item)

        def op(t: AnalyticsTables) -> None:
            found = t.items.get(changed.id)
            if found is None:
                return
            found.title = changed.title
            found.url = changed.url
            found.campaign = changed.campaign
            found.hidden = changed.hidden
            found.auto_sync = changed.auto_sync
            found.route = changed.route
            found.next_sync_at = changed.next_sync_at

        self._tx.write(op)

    async def get(self, item_id: int) -> AnalyticsItem | None:
        tables = self._tx.view
        item = tables.items.get(item_id)
        return None if item is None else _effective(item, tables)

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
        _aware(posted_since, posted_until)
        tables = self._tx.view
        found = []
        for item in tables.items.values():
            if item.profile_id != profile_id:
                continue
            if post_id is not None and item.post_id != post_id:
                continue
            shown = _effective(item, tables)
            when = shown.posted_at or shown.created_at
            if posted_since is not None and when < posted_since:
                continue
            if posted_until is not None and when >= posted_until:
                continue
            if campaign is not None and shown.campaign != campaign:
                continue
            if shown.hidden and not include_hidden:
                continue
            found.append(shown)
        found.sort(key=lambda i: (i.posted_at or i.created_at, i.id))
        return found

    async def snapshots(
        self, item_ids: Sequence[int], *, since: datetime, until: datetime
    ) -> Sequence[Snapshot]:
        _aware(since, until)
        wanted = set(item_ids)
        found = [
            s
            for s in self._tx.view.snapshots
            if s.item_id in wanted and since < s.taken_at <= until
        ]
        found.sort(key=lambda s: (s.item_id, s.taken_at))
        return found

    async def tags(self, post_id: int) -> PostTags:
        return self._tx.view.tags.get(post_id, PostTags())

    async def set_tags(self, post_id: int, tags: PostTags) -> None:
        if not any(p.id == post_id for p in self._posts()):
            raise LookupError(f"post {post_id} does not exist")

        def op(t: AnalyticsTables) -> None:
            t.tags[post_id] = tags

        self._tx.write(op)

    async def campaigns(self, profile_id: int) -> Sequence[str]:
        tables = self._tx.view
        names = {
            c
            for i in tables.items.values()
            if i.profile_id == profile_id and (c := _effective(i, tables).campaign)
        }
        return sorted(names)

    async def record_account(
        self,
        profile_id: int,
        network: Network,
        day: date,
        values: Mapping[AccountMetric, int],
        *,
        taken_at: datetime,
    ) -> None:
        _aware(taken_at)
        row = AccountSnapshot(
            profile_id,
            network,
            day,
            {AccountMetric(k): int(v) for k, v in values.items()},
            taken_at,
        )

        def op(t: AnalyticsTables) -> None:
            t.accounts[(profile_id, network, day)] = row

        self._tx.write(op)

    async def account_history(
        self, profile_id: int, *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        found = [
            row
            for (pid, _, day), row in self._tx.view.accounts.items()
            if pid == profile_id and since <= day <= until
        ]
        found.sort(key=lambda r: (r.day, r.network.rank))
        return found

    async def accounts_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        _aware(now)
        sync = self._tx.view.account_sync
        due = []
        for profile in sorted(self._profiles(), key=lambda p: p.id):
            if not any(
                c.status is ConnectionStatus.CONNECTED for c in profile.connections.values()
            ):
                continue
            state = sync.get(profile.id)
            if state is None or state.next_at is None or state.next_at <= now:
                due.append(profile.id)
        return due[: max(limit, 0)]

    async def accounts_synced(
        self, profile_id: int, *, now: datetime, next_at: datetime, error: str | None
    ) -> None:
        _aware(now, next_at)

        def op(t: AnalyticsTables) -> None:
            state = t.account_sync.setdefault(profile_id, _AccountSync())
            state.next_at = next_at
            state.error = error
            if error is None:
                state.synced_at, state.failures = now, 0
            else:
                state.failures += 1

        self._tx.write(op)

    async def save_daily(self, totals: Sequence[DailyTotal], *, updated_at: datetime) -> None:
        _aware(updated_at)
        rows = [
            replace(r, values={Metric(k): int(v) for k, v in r.values.items()}) for r in totals
        ]

        def op(t: AnalyticsTables) -> None:
            for row in rows:
                t.daily[(row.profile_id, row.day, row.network, row.campaign)] = row

        self._tx.write(op)

    async def daily(
        self, profile_id: int, *, since: date, until: date, campaign: str = ""
    ) -> Sequence[DailyTotal]:
        found = [
            row
            for (pid, day, _, name), row in self._tx.view.daily.items()
            if pid == profile_id and name == campaign and since <= day <= until
        ]
        found.sort(key=lambda r: (r.day, r.network.rank))
        return found

    def _require(self, item_id: int) -> None:
        if item_id not in self._tx.view.items:
            raise LookupError(f"analytics item {item_id} does not exist")


class InMemoryDigestRepository:
    def __init__(
        self, tx: Transaction[AnalyticsTables], profiles: Callable[[], Iterable[Profile]]
    ) -> None:
        self._tx = tx
        self._profiles = profiles

    async def get(self, subscription_id: int) -> DigestSubscription | None:
        return copy.deepcopy(self._tx.view.subscriptions.get(subscription_id))

    async def find(self, profile_id: int, chat: ChatRef) -> DigestSubscription | None:
        for sub in self._tx.view.subscriptions.values():
            if sub.profile_id == profile_id and sub.chat == chat:
                return copy.deepcopy(sub)
        return None

    async def for_profile(self, profile_id: int) -> Sequence[DigestSubscription]:
        subs = [s for s in self._tx.view.subscriptions.values() if s.profile_id == profile_id]
        return [copy.deepcopy(s) for s in sorted(subs, key=lambda s: s.id)]

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        moved = [s.id for s in self._tx.view.subscriptions.values() if s.chat == old]

        def op(t: AnalyticsTables) -> None:
            for sub_id in moved:
                # The chat's kind stays as stored (the SQL store moves only its id).
                kept = t.subscriptions[sub_id]
                t.subscriptions[sub_id] = replace(kept, chat=replace(new, kind=kept.chat.kind))

        self._tx.write(op)
        return len(moved)

    async def save(self, subscription: DigestSubscription) -> DigestSubscription:
        _aware(subscription.created_at, subscription.next_due_at)
        if not any(p.id == subscription.profile_id for p in self._profiles()):
            raise LookupError(f"profile {subscription.profile_id} does not exist")
        stored = copy.deepcopy(subscription)
        if stored.id == 0:
            stored.id = next(self._tx.view.sub_ids)

        def op(t: AnalyticsTables) -> None:
            for other in t.subscriptions.values():
                if (
                    other.id != stored.id
                    and other.profile_id == stored.profile_id
                    and other.chat == stored.chat
                ):
                    raise Conflict(f"{stored.chat} already has this profile's digest")
            t.subscriptions[stored.id] = copy.deepcopy(stored)

        self._tx.write(op)
        return copy.deepcopy(stored)

    async def due(
        self, now: datetime, *, limit: int, platforms: Collection[ChatPlatform] | None = None
    ) -> Sequence[DigestSubscription]:
        _aware(now)
        due = [
            s
            for s in self._tx.view.subscriptions.values()
            if s.enabled
            and s.next_due_at is not None
            and s.next_due_at <= now
            and (platforms is None or s.chat.platform in platforms)
        ]
        due.sort(key=lambda s: (s.next_due_at, s.id))
        return [copy.deepcopy(s) for s in due[: max(limit, 0)]]

    async def advance(
        self, subscription_id: int, *, expected: datetime | None, next_due_at: datetime
    ) -> None:
        _aware(next_due_at)

        def op(t: AnalyticsTables) -> None:
            sub = t.subscriptions.get(subscription_id)
            if sub is not None and sub.next_due_at == expected:
                sub.next_due_at = next_due_at

        self._tx.write(op)

    async def claim(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, lease_until: datetime
    ) -> int | None:
        _aware(now, lease_until)
        key = (subscription_id, day)
        current = self._tx.view.deliveries.get(key)
        if current is not None and not _takeable(current, now):
            return None
        attempts = 1 if current is None else current.attempts + 1
        seen = None if current is None else (current.worker, current.attempts)

        def op(t: AnalyticsTables) -> None:
            found = t.deliveries.get(key)
            found_state = None if found is None else (found.worker, found.attempts)
            if found_state != seen:
                # Another worker claimed it since this one looked: the UNIQUE row, or the
                # conditional UPDATE matching no row, in SQL.
                raise Conflict(f"digest {subscription_id}/{day} was claimed by another worker")
            t.deliveries[key] = _Delivery(
                DeliveryStatus.SENDING, worker, now, lease_until, attempts
            )

        self._tx.write(op)
        return attempts

    async def stalled(self, now: datetime, *, limit: int) -> Sequence[tuple[int, date]]:
        _aware(now)
        found = [
            (d.locked_until, key)
            for key, d in self._tx.view.deliveries.items()
            if _takeable(d, now)
        ]
        found.sort(key=lambda x: (x[0] or now, x[1]))
        return [key for _, key in found[: max(limit, 0)]]

    async def mark_sent(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, message_id: str
    ) -> bool:
        _aware(now)
        current = self._tx.view.deliveries.get((subscription_id, day))
        if current is None or current.worker != worker or current.status is DeliveryStatus.SENT:
            return False

        def op(t: AnalyticsTables) -> None:
            found = t.deliveries.get((subscription_id, day))
            if found is not None and found.worker == worker:
                found.status = DeliveryStatus.SENT
                found.sent_at, found.message_id = now, message_id
                found.locked_until, found.error = None, None

        self._tx.write(op)
        return True

    async def mark_retry(
        self, subscription_id: int, day: date, *, worker: str, error: str, retry_at: datetime
    ) -> None:
        _aware(retry_at)
        self._settle(subscription_id, day, worker, DeliveryStatus.RETRY, error, retry_at)

    async def mark_failed(
        self, subscription_id: int, day: date, *, worker: str, error: str
    ) -> None:
        self._settle(subscription_id, day, worker, DeliveryStatus.FAILED, error, None)

    def _settle(
        self,
        subscription_id: int,
        day: date,
        worker: str,
        status: DeliveryStatus,
        error: str,
        until: datetime | None,
    ) -> None:
        def op(t: AnalyticsTables) -> None:
            found = t.deliveries.get((subscription_id, day))
            if (
                found is not None
                and found.worker == worker
                and found.status is DeliveryStatus.SENDING
            ):
                found.status, found.error, found.locked_until = status, error, until

        self._tx.write(op)

    async def release(self, worker: str, now: datetime) -> int:
        _aware(now)
        mine = [
            key
            for key, d in self._tx.view.deliveries.items()
            if d.worker == worker and d.status is DeliveryStatus.SENDING
        ]

        def op(t: AnalyticsTables) -> None:
            for key in mine:
                found = t.deliveries.get(key)
                if found is not None and found.status is DeliveryStatus.SENDING:
                    found.status, found.locked_until = DeliveryStatus.RETRY, now

        self._tx.write(op)
        return len(mine)

    async def status(self, subscription_id: int, day: date) -> str | None:
        found = self._tx.view.deliveries.get((subscription_id, day))
        return None if found is None else found.status.value


def _takeable(delivery: _Delivery, now: datetime) -> bool:
    until = delivery.locked_until
    if delivery.status is DeliveryStatus.SENDING:
        return until is not None and until < now
    if delivery.status is DeliveryStatus.RETRY:
        return until is None or until <= now
    return False
