"""A profile's local day and its daily totals, summed from the items' latest numbers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from core.metrics import AnalyticsItem, DailyTotal, add_known
from core.model import Network
from core.when import zone


def local_day(moment: datetime, timezone: str) -> date:
    return moment.astimezone(zone(timezone)).date()


def daily_totals(profile_id: int, day: date, items: Iterable[AnalyticsItem]) -> list[DailyTotal]:
    """Per network, over all visible items and per campaign: the sums of the latest values."""
    groups: dict[tuple[Network, str], list[AnalyticsItem]] = defaultdict(list)
    for item in items:
        if item.hidden:
            continue
        groups[(item.network, "")].append(item)
        if item.campaign:
            groups[(item.network, item.campaign)].append(item)
    return [
        DailyTotal(
            profile_id=profile_id,
            day=day,
            network=network,
            campaign=campaign,
            posts=len(members),
            values=add_known(i.metrics for i in members),
        )
        for (network, campaign), members in sorted(
            groups.items(), key=lambda kv: (kv[0][0].rank, kv[0][1])
        )
    ]
