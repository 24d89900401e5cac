"""The metric model: what a post or account measured; unknown is None and reads "n/a", never 0."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from core.model import Network, Route

__all__ = [
    "INTERACTIONS",
    "NA",
    "AccountMetric",
    "AccountSnapshot",
    "AnalyticsItem",
    "ChartSeries",
    "DailyTotal",
    "ItemKind",
    "Metric",
    "PostMetrics",
    "PostTags",
    "PublishCounts",
    "Reading",
    "Snapshot",
    "TargetOutcome",
    "add_known",
    "delta_count",
    "delta_percent",
    "delta_points",
    "exposure",
    "format_count",
    "format_rate",
    "interactions",
    "subtract",
    "total",
]

NA = "n/a"


class Metric(StrEnum):
    """Per-post counters; all grow over a post's life (the basis of daily deltas)."""

    VIEWS = "views"
    IMPRESSIONS = "impressions"
    REACH = "reach"
    LIKES = "likes"
    COMMENTS = "comments"
    SHARES = "shares"
    SAVES = "saves"
    CLICKS = "clicks"
    ENGAGEMENTS = "engagements"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class AccountMetric(StrEnum):
    """Account-level numbers, read once a day."""

    FOLLOWERS = "followers"
    FOLLOWING = "following"
    POSTS = "posts"
    VIEWS = "views"
    IMPRESSIONS = "impressions"
    REACH = "reach"


# The engagement rate's numerator (core.analytics.engagement states the rule).
INTERACTIONS = (Metric.LIKES, Metric.COMMENTS, Metric.SHARES, Metric.SAVES)


class ItemKind(StrEnum):
    PUBLISHED = "published"  # a target Postroom published
    TRACKED = "tracked"  # published elsewhere, added with /track


@dataclass(frozen=True, slots=True)
class PostMetrics:
    """One network's answer for one post: the counters it reports (absent = it gave none)."""

    values: Mapping[Metric, int]
    posted_at: datetime | None = None
    url: str | None = None
    external_id: str | None = None
    # What the network would not give this time (a metric it refused), shown with the post.
    note: str | None = None


@dataclass(slots=True)
class AnalyticsItem:
    """A post on one network whose numbers Postroom follows; `metrics` are the latest known."""

    id: int
    profile_id: int
    network: Network
    kind: ItemKind
    created_at: datetime
    post_id: int | None = None
    route: Route | None = None
    url: str | None = None
    external_id: str | None = None
    provider_post_id: str | None = None
    title: str = ""
    campaign: str | None = None
    hidden: bool = False
    auto_sync: bool = True  # False: numbers entered by hand only
    posted_at: datetime | None = None
    synced_at: datetime | None = None
    next_sync_at: datetime | None = None
    failures: int = 0
    # The last refresh's problem: why it failed (failures > 0), else a partial answer's note.
    last_error: str | None = None
    metrics: dict[Metric, int] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """How chat names it: the post id (#12) or the tracked item id (t5)."""
        return f"#{self.post_id}" if self.post_id is not None else f"t{self.id}"


@dataclass(frozen=True, slots=True)
class Reading:
    """One refresh of one item, as the sweep stores it."""

    item_id: int
    values: Mapping[Metric, int]
    next_sync_at: datetime | None
    url: str | None = None
    posted_at: datetime | None = None
    external_id: str | None = None
    note: str | None = None  # PostMetrics.note, kept as the item's last_error


@dataclass(frozen=True, slots=True)
class PostTags:
    campaign: str | None = None
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    item_id: int
    taken_at: datetime
    values: Mapping[Metric, int]


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    profile_id: int
    network: Network
    day: date
    values: Mapping[AccountMetric, int]
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class DailyTotal:
    """Totals of the latest values of a profile's visible items on one network, as of `day`.

    Counters only grow, so the difference of two days' totals is what those days added.
    """

    profile_id: int
    day: date
    network: Network
    campaign: str  # "" = every post
    posts: int
    values: Mapping[Metric, int]


# --- arithmetic that keeps "unknown" apart from zero -------------------------------------------


def total(rows: Iterable[Mapping[Metric, int]], metric: Metric) -> int | None:
    """The sum over rows that report `metric`; None when none does."""
    found = [r[metric] for r in rows if metric in r]
    return sum(found) if found else None


def add_known(rows: Iterable[Mapping[Metric, int]]) -> dict[Metric, int]:
    """Every metric summed over the rows that report it (unreported ones stay absent)."""
    summed: dict[Metric, int] = {}
    for row in rows:
        for metric, value in row.items():
            summed[metric] = summed.get(metric, 0) + value
    return summed


def subtract(
    later: Mapping[Metric, int], earlier: Mapping[Metric, int] | None
) -> dict[Metric, int]:
    """What was added between two readings; a metric missing from `later` stays unknown.

    With no earlier reading (the first day), everything counts as added. A counter that went
    down (a network recount) adds 0, not a negative number.
    """
    if earlier is None:
        return dict(later)
    return {m: max(0, v - earlier.get(m, 0)) for m, v in later.items()}


def exposure(values: Mapping[Metric, int]) -> int | None:
    """How often a post was seen: views; impressions where a network has no views."""
    if Metric.VIEWS in values:
        return values[Metric.VIEWS]
    return values.get(Metric.IMPRESSIONS)


def interactions(values: Mapping[Metric, int]) -> int | None:
    """likes + comments + shares + saves, over those reported; None when none is."""
    found = [values[m] for m in INTERACTIONS if m in values]
    return sum(found) if found else None


# --- formatting -------------------------------------------------------------------------------


def format_count(value: int | None) -> str:
    return NA if value is None else f"{value:,}"


def format_rate(rate: float | None) -> str:
    return NA if rate is None else f"{rate * 100:.1f}%"


def delta_percent(current: int | None, previous: int | None) -> str:
    """▲ 18% / ▼ 3% / = 0% against the previous value; "n/a" when either is unknown."""
    if current is None or previous is None:
        return NA
    if previous == 0:
        return "= 0%" if current == 0 else "▲ new"
    change = (current - previous) / previous * 100
    if round(change) == 0:
        return "= 0%"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {abs(change):,.0f}%"


def delta_points(current: float | None, previous: float | None) -> str:
    """A rate's change in percentage points: ▼ 0.3 pt."""
    if current is None or previous is None:
        return NA
    change = (current - previous) * 100
    if round(change, 1) == 0:
        return "= 0 pt"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {abs(change):.1f} pt"


def delta_count(current: int | None, previous: int | None) -> str:
    """An absolute change: ▲ 64."""
    if current is None or previous is None:
        return NA
    change = current - previous
    if change == 0:
        return "= 0"
    arrow = "▲" if change > 0 else "▼"
    return f"{arrow} {abs(change):,}"


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """A line chart: one value per day per network (None where unknown)."""

    title: str
    days: tuple[date, ...]
    lines: Mapping[Network, tuple[int | None, ...]]


@dataclass(frozen=True, slots=True)
class PublishCounts:
    """Targets that went out in a period, and those that failed with their reasons, each with
    its post's id: a post sent to three networks is one post and three targets."""

    published: tuple[tuple[int, Network], ...] = ()
    failed: tuple[tuple[int, Network, str], ...] = ()


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """One target that went out (`published`) or failed at `at`, with its failure reason."""

    profile_id: int
    post_id: int
    network: Network
    published: bool
    at: datetime
    reason: str = ""
