"""Ports for analytics and digests: the analytics store in parts, the source, the charts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Protocol

from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    ChartSeries,
    DailyTotal,
    Metric,
    PostMetrics,
    PostTags,
    Reading,
    Snapshot,
    TargetOutcome,
)
from core.model import Network, Profile, Route


class ItemStore(Protocol):
    """Analytics items (published or tracked posts) and their metric snapshots."""

    async def adopt_published(self, now: datetime, *, limit: int) -> int:
        """Create an item, due at once, for each published target that has none yet."""
        ...

    async def due(
        self, now: datetime, *, limit: int, after: tuple[datetime, int] | None = None
    ) -> Sequence[AnalyticsItem]:
        """Auto-synced items whose next refresh is due, by (next_sync_at, id), after `after`
        when given (keyset paging); metrics not loaded."""
        ...

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
        """Upsert the latest value of each metric given, append a snapshot of them, and mark
        the item refreshed (failures reset, last_error cleared). Metrics not given keep their
        last known value."""
        ...

    async def record_many(self, readings: Sequence[Reading], *, taken_at: datetime) -> None:
        """`record` for many items at once (one sweep's batch of a profile); a reading's
        note (a metric the network refused) becomes the item's last_error, failures 0."""
        ...

    async def failed(self, item_id: int, *, error: str, next_sync_at: datetime) -> None: ...

    async def defer(self, item_ids: Sequence[int], next_sync_at: datetime) -> None:
        """Push items back without counting a failure (no source for their route)."""
        ...

    async def add_tracked(self, item: AnalyticsItem) -> AnalyticsItem:
        """Store a tracked item (its `id` is ignored) and return it with its id."""
        ...

    async def update_tracked(self, item: AnalyticsItem) -> None:
        """Persist a tracked item's title, url, campaign, hidden and auto_sync."""
        ...

    async def get(self, item_id: int) -> AnalyticsItem | None: ...

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
        """A profile's items with latest metrics and effective campaign/hidden, oldest first.

        Items without a known posting time count as posted when they were added."""
        ...

    async def snapshots(
        self, item_ids: Sequence[int], *, since: datetime, until: datetime
    ) -> Sequence[Snapshot]:
        """Snapshots taken in (since, until], by item then time."""
        ...


class TagStore(Protocol):
    """Campaign tags and hidden flags of posts."""

    async def tags(self, post_id: int) -> PostTags: ...

    async def set_tags(self, post_id: int, tags: PostTags) -> None: ...

    async def tag_new(self, tags: Mapping[int, PostTags]) -> None:
        """Tag posts just added, none tagged yet, at once (an import): post id → tags."""
        ...

    async def campaigns(self, profile_id: int) -> Sequence[str]: ...

    async def tagged(
        self, profile_id: int, campaign: str | None = None
    ) -> Sequence[tuple[int, PostTags]]:
        """The profile's posts with a campaign tag (that campaign only, when given), measured
        or not, by post id: a report counts a post from the moment it is tagged."""
        ...

    async def published_posts(self, profile_id: int, *, since: datetime) -> Sequence[int]:
        """Ids of the profile's posts with a target published at or after `since`."""
        ...


class AccountMetricStore(Protocol):
    """Account-level numbers (followers) per network, and their sync cadence."""

    async def record_account(
        self,
        profile_id: int,
        network: Network,
        day: date,
        values: Mapping[AccountMetric, int],
        *,
        taken_at: datetime,
    ) -> None:
        """Upsert the account numbers of `day` (the profile's local date)."""
        ...

    async def account_history(
        self, profile_id: int, *, since: date, until: date
    ) -> Sequence[AccountSnapshot]: ...

    async def accounts_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        """Profiles with a connected network whose account numbers are due."""
        ...

    async def accounts_synced(
        self, profile_id: int, *, now: datetime, next_at: datetime, error: str | None
    ) -> None: ...


class DailyTotalStore(Protocol):
    """Each profile's daily totals."""

    async def save_daily(self, totals: Sequence[DailyTotal], *, updated_at: datetime) -> None:
        """Upsert by (profile, day, network, campaign)."""
        ...

    async def daily(
        self, profile_id: int, *, since: date, until: date, campaign: str = ""
    ) -> Sequence[DailyTotal]: ...


class ReportReads(Protocol):
    """Reads for many profiles at once (digests, reports): a few queries per batch."""

    async def daily_of(
        self, profile_ids: Collection[int], *, since: date, until: date
    ) -> Sequence[DailyTotal]:
        """`daily` over every post (campaign "") of each profile, by profile, day, network."""
        ...

    async def accounts_of(
        self, profile_ids: Collection[int], *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        """`account_history` of each profile, by profile, day, network."""
        ...

    async def items_of(
        self, profile_ids: Collection[int], *, posted_since: datetime, posted_until: datetime
    ) -> Sequence[AnalyticsItem]:
        """`items` (not hidden) of each profile posted in [posted_since, posted_until)."""
        ...

    async def outcomes_of(
        self, profile_ids: Collection[int], *, since: datetime, until: datetime
    ) -> Sequence[TargetOutcome]:
        """Targets of the profiles' posts published in [since, until), and those that failed
        then (sent, else due, in the period), with reasons."""
        ...


class AnalyticsRepository(
    ItemStore, TagStore, AccountMetricStore, DailyTotalStore, ReportReads, Protocol
):
    """Measured items (published targets and tracked posts), their metrics and history,
    account-level numbers, daily totals and post tags (campaign, hidden)."""


class AnalyticsSource(Protocol):
    """Reads post and account numbers for one route (Ayrshare, Instagram Graph, sandbox)."""

    route: Route

    async def post_metrics(
        self, profile: Profile, items: Sequence[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        """Numbers for items of one post (same provider post id, or one tracked item), by item
        id; an item left out got nothing this time. Raises TransientError or PermanentError
        when the request as a whole failed."""
        ...

    async def account_metrics(
        self, profile: Profile, networks: Sequence[Network]
    ) -> Mapping[Network, Mapping[AccountMetric, int]]: ...


class ChartRenderer(Protocol):
    async def render(self, chart: ChartSeries) -> bytes | None:
        """A PNG, or None when there is nothing to draw; never blocks the event loop."""
        ...
