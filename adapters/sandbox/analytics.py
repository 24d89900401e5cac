"""The sandbox's analytics source: synthetic, deterministic numbers for simulated posts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from adapters.sandbox.metrics import synthetic_followers, synthetic_metrics
from core.metrics import AccountMetric, AnalyticsItem, Metric, PostMetrics
from core.model import Network, Profile, Route
from core.ports import Clock

__all__ = ["SandboxAnalytics"]


class SandboxAnalytics:
    """core.analytics_ports.AnalyticsSource for a sandbox route.

    A post's numbers grow from zero after it is published and never shrink; metrics the
    network does not report (YouTube shares, TikTok saves…) are left out, so they show "n/a".
    `fail` names item ids whose reading raises, to try the sweep's resilience by hand.
    """

    def __init__(self, route: Route, clock: Clock, *, fail: Sequence[int] = ()) -> None:
        self.route = route
        self._clock = clock
        self.fail = set(fail)
        self.calls = 0

    async def post_metrics(
        self, profile: Profile, items: Sequence[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        self.calls += 1
        now = self._clock.now()
        found: dict[int, PostMetrics] = {}
        for item in items:
            if item.id in self.fail:
                raise RuntimeError(f"sandbox: reading item {item.id} fails (as configured)")
            key = item.external_id or item.url or str(item.id)
            posted = item.posted_at or item.created_at
            counts = synthetic_metrics(key, posted, now, item.network)
            values = {Metric(name): v for name, v in counts.items() if v is not None}
            found[item.id] = PostMetrics(values, posted_at=posted, url=item.url)
        return found

    async def account_metrics(
        self, profile: Profile, networks: Sequence[Network]
    ) -> Mapping[Network, Mapping[AccountMetric, int]]:
        now = self._clock.now()
        return {
            n: {AccountMetric.FOLLOWERS: synthetic_followers(profile.id, n, now)} for n in networks
        }
