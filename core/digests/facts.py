"""What a digest says, computed from stored numbers; rendering is separate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.analytics.engagement import Engagement
from core.metrics import AnalyticsItem, ChartSeries, PublishCounts


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Everything a digest shows, computed from stored numbers; rendering is separate."""

    profile_name: str
    day: date  # the digest's date; it reports on the period before it
    weekly: bool
    named: bool  # in a group or channel: say whose digest it is
    views: tuple[int | None, int | None]  # (this period, the one before)
    rate: tuple[Engagement | None, Engagement | None]  # over the networks' gains
    followers: tuple[int | None, int | None]
    top: tuple[AnalyticsItem, int] | None  # the post seen most in the period, and how much
    outcomes: PublishCounts
    attention: tuple[str, ...] = ()
    late_for: datetime | None = None  # when it was due, if sent late
    timezone: str = "UTC"
    chart: ChartSeries | None = None
    reconnect: bool = False  # a broken or expiring connection: offer the button (private)
    # "LinkedIn: connected, 5 days left", one per connection, in network order.
    connections: tuple[str, ...] = ()

    @property
    def has_data(self) -> bool:
        rate = self.rate[0]
        measured = rate is not None and rate.rate is not None
        return (
            measured
            or any(v is not None for v in (*self.views, *self.followers))
            or bool(self.outcomes.published or self.outcomes.failed)
        )


FactsMemo = dict[tuple[int, date, bool], DigestFacts]
