"""The figures a digest compares: what each period added (from zero on a profile's first day),
and its publishing outcomes counted in posts, with repeated failure reasons grouped."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    ChartSeries,
    DailyTotal,
    Metric,
    PublishCounts,
    Snapshot,
    exposure,
    interactions,
    subtract,
)
from core.model import Network
from core.views import clip
from core.when import zone
from core.wording import plural

__all__ = [
    "Totals",
    "exposure_total",
    "followers",
    "midnight",
    "outcome_line",
    "top_post",
    "week_chart",
]

Gains = dict[Network, dict[Metric, int]]


def midnight(day: date, timezone: str) -> datetime:
    """The UTC instant a local day starts."""
    return datetime.combine(day, time(0), tzinfo=zone(timezone)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Totals:
    """A profile's daily totals by day and network, and the last day known to be all zero.

    `zero_through` is the day before the profile's first totals when nothing was measured
    before then: no totals earlier in the rows read, and no item known to Postroom before
    that first day began (a day with no totals after that is the bot being down: unknown).
    """

    days: Mapping[date, Mapping[Network, Mapping[Metric, int]]]
    zero_through: date | None = None

    @classmethod
    def read(
        cls,
        rows: Sequence[DailyTotal],
        items: Iterable[AnalyticsItem],
        *,
        since: date,
        timezone: str,
    ) -> Totals:
        days: dict[date, dict[Network, Mapping[Metric, int]]] = {}
        for row in rows:
            days.setdefault(row.day, {})[row.network] = row.values
        if not days:
            return cls(days)
        first = min(days)
        began = midnight(first, timezone)
        if first <= since or any(i.created_at < began for i in items):
            return cls(days)
        return cls(days, first - timedelta(days=1))

    def on(self, day: date) -> Mapping[Network, Mapping[Metric, int]] | None:
        found = self.days.get(day)
        if found is None and self.zero_through is not None and day <= self.zero_through:
            return {}
        return found

    def gain(self, end: date, start: date) -> Gains | None:
        """Per network, what was added after the end of `start` up to the end of `end`;
        None when either day's totals are unknown. A network absent on `start` but present
        on `end` had its first posts since."""
        later, earlier = self.on(end), self.on(start)
        if later is None or earlier is None:
            return None
        return {n: subtract(values, earlier.get(n, {})) for n, values in later.items()}


def exposure_total(gains: Mapping[Network, Mapping[Metric, int]] | None) -> int | None:
    """Views (impressions where a network has none) added over every network; 0 for a
    period known to have added nothing (before a profile's first numbers)."""
    if gains is None:
        return None
    if not gains:
        return 0
    found = [x for x in (exposure(v) for v in gains.values()) if x is not None]
    return sum(found) if found else None


def top_post(
    items: Sequence[AnalyticsItem], history: Sequence[Snapshot], start: datetime, end: datetime
) -> tuple[AnalyticsItem, int] | None:
    """The item that gained the most views (impressions where no views) in [start, end)."""
    by_item: dict[int, list[Snapshot]] = defaultdict(list)
    for snap in history:
        by_item[snap.item_id].append(snap)
    best: tuple[int, int, int, AnalyticsItem] | None = None
    for item in items:
        snaps = by_item.get(item.id, [])
        before = [s for s in snaps if s.taken_at < start]
        within = [s for s in snaps if s.taken_at < end]
        if not within:
            continue
        posted = item.posted_at or item.created_at
        if before:
            baseline: Mapping[Metric, int] = before[-1].values
        elif posted >= start:
            baseline = {}  # published during the period: every view is new
        else:
            continue
        gained = subtract(within[-1].values, baseline)
        seen = exposure(gained)
        if seen is None or seen <= 0:
            continue
        rank = (seen, interactions(gained) or 0, -item.id, item)
        if best is None or rank[:3] > best[:3]:
            best = rank
    return None if best is None else (best[3], best[0])


def followers(
    accounts: Sequence[AccountSnapshot], end: date, before: date
) -> tuple[int | None, int | None]:
    at: dict[date, dict[Network, int]] = defaultdict(dict)
    for row in accounts:
        if AccountMetric.FOLLOWERS in row.values:
            at[row.day][row.network] = row.values[AccountMetric.FOLLOWERS]
    latest = at.get(end, {})
    earlier = at.get(before, {})
    if not latest:
        return None, None
    common = set(latest) & set(earlier)
    if not common:
        return sum(latest.values()), None
    # Compare like with like: only networks read on both days; show every network now.
    change = sum(latest[n] - earlier[n] for n in common)
    now_total = sum(latest.values())
    return now_total, now_total - change


def week_chart(days: Totals, end: date) -> ChartSeries | None:
    axis = tuple(end - timedelta(days=6 - i) for i in range(7))
    lines: dict[Network, list[int | None]] = {}
    for index, day in enumerate(axis):
        gains = days.gain(day, day - timedelta(days=1))
        for network, values in (gains or {}).items():
            series = lines.setdefault(network, [None] * len(axis))
            series[index] = exposure(values)
    if not any(v is not None for series in lines.values() for v in series):
        return None
    ordered = {n: tuple(lines[n]) for n in Network if n in lines}
    return ChartSeries("Views per network, last 7 days", axis, ordered)


def _networks(networks: Iterable[Network]) -> str:
    return ", ".join(n.label for n in sorted(set(networks), key=lambda n: n.rank))


def outcome_line(outcomes: PublishCounts, budget: int) -> str:
    """`2 posts published (TikTok, Instagram) · 1 post failed — duplicate content: X, LinkedIn`:
    posts are counted once however many networks they went to; a post that went out on one
    network and failed on another counts in both."""
    published = {post for post, _ in outcomes.published}
    line = f"{plural(len(published), 'post')} published"
    if published:
        line += f" ({_networks(n for _, n in outcomes.published)})"
    failed = {post for post, _, _ in outcomes.failed}
    if not failed:
        return line + " · none failed · /posts"
    reasons: dict[str, list[Network]] = {}
    for _, network, reason in outcomes.failed:
        reasons.setdefault(" ".join(reason.split()) or "failed", []).append(network)
    shown = [f"{clip(reason, 60)}: {_networks(nets)}" for reason, nets in reasons.items()]
    detail = "; ".join(shown[:2])
    if len(shown) > 2:
        detail += f"; {plural(len(shown) - 2, 'more reason')}"
    return f"{line} · {plural(len(failed), 'post')} failed — {clip(detail, budget)} · /posts"
