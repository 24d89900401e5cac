"""What a kit shows, read from the numbers analytics keeps: "n/a" (None) where none came yet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.analytics.engagement import engagement
from core.analytics.stats import best_item
from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    ChartSeries,
    exposure,
)
from core.model import Network, Profile
from core.ports import UnitOfWork
from core.views import clip

__all__ = ["DAYS", "KitFacts", "NetworkFacts", "TopPost", "read_facts"]

DAYS = 30  # the period of the kit's views, engagement rate and growth chart
TOP = 3


@dataclass(frozen=True, slots=True)
class NetworkFacts:
    network: Network
    handle: str  # the account's name on the network, as the provider gave it ("" unknown)
    followers: int | None


@dataclass(frozen=True, slots=True)
class TopPost:
    network: Network
    title: str
    url: str | None
    views: int | None  # views, else impressions
    rate: float | None


@dataclass(frozen=True, slots=True)
class KitFacts:
    name: str
    networks: tuple[NetworkFacts, ...]
    followers: int | None  # over the networks that report them
    views: int | None  # of posts that went out in the last DAYS days
    rate: float | None  # engagement rate of those posts (core.analytics.engagement)
    posts: int
    growth: ChartSeries  # followers a day per network
    top: tuple[TopPost, ...]
    updated_at: datetime | None  # the newest number shown (UTC: the owner's zone is private)


def _top(items: Sequence[AnalyticsItem]) -> tuple[TopPost, ...]:
    left = list(items)
    found: list[TopPost] = []
    while left and len(found) < TOP:
        best = best_item(left)
        if best is None:
            break
        left.remove(best)
        found.append(
            TopPost(
                best.network,
                clip(best.title, 60) or "(no text)",
                best.url,
                exposure(best.metrics),
                engagement([best.metrics]).rate,
            )
        )
    return tuple(found)


def _growth(accounts: Sequence[AccountSnapshot], first: date, last: date) -> ChartSeries:
    days = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    by_day: dict[Network, dict[date, int]] = {}
    for snap in accounts:
        if AccountMetric.FOLLOWERS in snap.values:
            by_day.setdefault(snap.network, {})[snap.day] = snap.values[AccountMetric.FOLLOWERS]
    lines = {
        network: tuple(values.get(d) for d in days)
        for network, values in sorted(by_day.items(), key=lambda kv: kv[0].rank)
    }
    return ChartSeries("Followers", days, lines)


def _latest_followers(accounts: Sequence[AccountSnapshot]) -> dict[Network, int]:
    latest: dict[Network, tuple[date, int]] = {}
    for snap in accounts:
        value = snap.values.get(AccountMetric.FOLLOWERS)
        if value is not None and (
            snap.network not in latest or latest[snap.network][0] < snap.day
        ):
            latest[snap.network] = (snap.day, value)
    return {n: v for n, (_, v) in latest.items()}


async def read_facts(uow: UnitOfWork, profile: Profile, now: datetime) -> KitFacts:
    """The kit's numbers as of the latest refresh (the sync keeps them on the tier's cadence)."""
    since = now - timedelta(days=DAYS)
    # Numbers typed in with /track are the owner's word, not measured: a kit shows brands
    # only what the networks reported.
    items = [i for i in await uow.analytics.items(profile.id, posted_since=since) if i.auto_sync]
    first, last = since.date(), now.date()
    # Only the accounts the profile has now (a broken one too, until reconnected or
    # removed): a network the owner disconnected leaves the kit at once, numbers and all.
    linked = set(profile.connections)
    accounts = [
        a
        for a in await uow.analytics.account_history(profile.id, since=first, until=last)
        if a.network in linked
    ]
    followers = _latest_followers(accounts)
    shown = sorted(linked, key=lambda n: n.rank)
    networks = tuple(
        NetworkFacts(
            n,
            profile.connections[n].display_name if n in profile.connections else "",
            followers.get(n),
        )
        for n in shown
    )
    counted = list(followers.values())
    stamps = [i.synced_at for i in items if i.synced_at is not None and i.metrics]
    stamps += [a.taken_at for a in accounts]
    seen = [exposure(i.metrics) for i in items]
    known = [v for v in seen if v is not None]
    return KitFacts(
        name=profile.display_name or f"Profile {profile.id}",
        networks=networks,
        followers=sum(counted) if counted else None,
        views=sum(known) if known else None,
        rate=engagement(i.metrics for i in items).rate,
        posts=len([i for i in items if i.metrics]),
        growth=_growth(accounts, first, last),
        top=_top(items),
        updated_at=max(stamps) if stamps else None,
    )
