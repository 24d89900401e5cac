"""What digests read from the store, for many profiles in a handful of queries: a wave of
thousands of digests costs a few statements per batch instead of several per digest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.digests.figures import midnight
from core.metrics import (
    AccountSnapshot,
    AnalyticsItem,
    DailyTotal,
    PublishCounts,
    Snapshot,
)
from core.model import Network, Profile
from core.ports import UnitOfWork

__all__ = ["DigestInputs", "DigestWindow", "read_inputs"]

ITEMS_BACK = timedelta(days=90)  # posts older than this are not a digest's "top post"
HISTORY_BACK = timedelta(days=2)  # snapshots before the period: the baselines of its gains


@dataclass(frozen=True, slots=True)
class DigestWindow:
    """The periods one digest reads: `day` is its date, it reports on the day (or the seven
    days) before it, compared with the period before that, in the profile's time zone."""

    profile: Profile
    day: date
    weekly: bool

    @property
    def key(self) -> tuple[int, date, bool]:
        return (self.profile.id, self.day, self.weekly)

    @property
    def span(self) -> int:
        return 7 if self.weekly else 1

    @property
    def end(self) -> date:
        """The last day reported on."""
        return self.day - timedelta(days=1)

    @property
    def start_at(self) -> datetime:
        return midnight(self.end - timedelta(days=self.span - 1), self.profile.timezone)

    @property
    def end_at(self) -> datetime:
        return midnight(self.day, self.profile.timezone)

    @property
    def oldest(self) -> date:
        """The first day of totals read: two periods back, and a week for the chart."""
        return min(self.end - timedelta(days=2 * self.span), self.end - timedelta(days=7))


@dataclass(slots=True)
class DigestInputs:
    rows: list[DailyTotal] = field(default_factory=list)
    accounts: list[AccountSnapshot] = field(default_factory=list)
    outcomes: PublishCounts = field(default_factory=PublishCounts)
    items: list[AnalyticsItem] = field(default_factory=list)
    history: list[Snapshot] = field(default_factory=list)


async def read_inputs(
    uow: UnitOfWork, windows: Sequence[DigestWindow]
) -> dict[tuple[int, date, bool], DigestInputs]:
    """Each window's rows, read for all windows at once over the span that covers them and
    then cut to each window's own bounds (time zones make them differ by hours)."""
    if not windows:
        return {}
    ids = sorted({w.profile.id for w in windows})
    analytics = uow.analytics
    rows = await analytics.daily_of(
        ids, since=min(w.oldest for w in windows), until=max(w.end for w in windows)
    )
    accounts = await analytics.accounts_of(
        ids,
        since=min(w.end - timedelta(days=w.span) for w in windows),
        until=max(w.end for w in windows),
    )
    outcomes = await analytics.outcomes_of(
        ids, since=min(w.start_at for w in windows), until=max(w.end_at for w in windows)
    )
    items = await analytics.items_of(
        ids,
        posted_since=min(w.end_at - ITEMS_BACK for w in windows),
        posted_until=max(w.end_at for w in windows),
    )
    history = await analytics.snapshots(
        [i.id for i in items],
        since=min(w.start_at - HISTORY_BACK for w in windows),
        until=max(w.end_at for w in windows),
    )
    by_profile: dict[int, DigestInputs] = defaultdict(DigestInputs)
    for row in rows:
        by_profile[row.profile_id].rows.append(row)
    for account in accounts:
        by_profile[account.profile_id].accounts.append(account)
    for item in items:
        by_profile[item.profile_id].items.append(item)
    owner = {i.id: i.profile_id for i in items}
    for snap in history:
        by_profile[owner[snap.item_id]].history.append(snap)
    sent: dict[int, list[tuple[int, Network, bool, datetime, str]]] = defaultdict(list)
    for o in outcomes:
        sent[o.profile_id].append((o.post_id, o.network, o.published, o.at, o.reason))
    found: dict[tuple[int, date, bool], DigestInputs] = {}
    for w in windows:
        every = by_profile[w.profile.id]
        start_at, end_at = w.start_at, w.end_at
        days_back = w.end - timedelta(days=w.span)
        mine = [
            i for i in every.items if end_at - ITEMS_BACK <= (i.posted_at or i.created_at) < end_at
        ]
        kept = {i.id for i in mine}
        lower = start_at - HISTORY_BACK
        targets = sorted(
            (t for t in sent[w.profile.id] if start_at <= t[3] < end_at),
            key=lambda t: (t[0], t[1].rank),
        )
        found[w.key] = DigestInputs(
            rows=[r for r in every.rows if w.oldest <= r.day <= w.end],
            accounts=[a for a in every.accounts if days_back <= a.day <= w.end],
            outcomes=PublishCounts(
                tuple((post, network) for post, network, ok, _, _ in targets if ok),
                tuple((post, net, why) for post, net, ok, _, why in targets if not ok),
            ),
            items=mine,
            history=[
                s for s in every.history if s.item_id in kept and lower < s.taken_at <= end_at
            ],
        )
    return found
