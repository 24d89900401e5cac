"""The tier policy: one pure table of what each tier may do, overridable by configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from core.errors import PolicyRefusal
from core.model import Network, Route, Tier
from core.wording import plural


@dataclass(frozen=True, slots=True)
class TierRules:
    routes: Mapping[Network, Route]  # the networks this tier may use, and how each is reached
    max_scheduled: int  # posts waiting in the schedule at once
    posts_per_month: int
    # Pro hourly, Free daily (docs/product-rules.md#analytics-refresh).
    analytics_refresh: timedelta
    # How often new comments on published posts are looked for (core.engage): Pro every
    # 15 minutes, Free hourly (docs/engage.md).
    comments_refresh: timedelta = timedelta(hours=1)


DEFAULT_RULES: Mapping[Tier, TierRules] = {
    # Free: Instagram only, straight through the Instagram Graph API (docs/product-rules.md#tiers).
    Tier.FREE: TierRules(
        routes={Network.INSTAGRAM: Route.INSTAGRAM_GRAPH},
        max_scheduled=10,
        posts_per_month=30,
        analytics_refresh=timedelta(hours=24),
        comments_refresh=timedelta(hours=1),
    ),
    # Pro: all six through Ayrshare, one Ayrshare user profile per Postroom profile.
    Tier.PRO: TierRules(
        routes={n: Route.AYRSHARE for n in Network},
        max_scheduled=500,
        posts_per_month=1000,
        analytics_refresh=timedelta(hours=1),
        comments_refresh=timedelta(minutes=15),
    ),
}


@dataclass(frozen=True, slots=True)
class Policy:
    rules: Mapping[Tier, TierRules]

    @classmethod
    def default(cls) -> Policy:
        return cls(DEFAULT_RULES)

    def with_limits(
        self,
        tier: Tier,
        *,
        max_scheduled: int | None = None,
        posts_per_month: int | None = None,
        analytics_refresh: timedelta | None = None,
    ) -> Policy:
        """A copy with one tier's limits overridden (configuration)."""
        base = self.rules[tier]
        changed = replace(
            base,
            max_scheduled=base.max_scheduled if max_scheduled is None else max_scheduled,
            posts_per_month=base.posts_per_month if posts_per_month is None else posts_per_month,
            analytics_refresh=(
                base.analytics_refresh if analytics_refresh is None else analytics_refresh
            ),
        )
        return Policy({**self.rules, tier: changed})

    def __getitem__(self, tier: Tier) -> TierRules:
        return self.rules[tier]

    def route(self, tier: Tier, network: Network) -> Route:
        """How `tier` reaches `network`, or a refusal that names the way out."""
        route = self.rules[tier].routes.get(network)
        if route is None:
            raise PolicyRefusal(self.refusal(tier, network))
        return route

    def allows(self, tier: Tier, network: Network) -> bool:
        return network in self.rules[tier].routes

    def reaches(self, tier: Tier, network: Network, route: Route) -> bool:
        """Whether `tier` still reaches `network` the way a target was scheduled (Free
        reaches Instagram, but through its own Instagram login, not through Ayrshare)."""
        return self.rules[tier].routes.get(network) is route

    def refusal(self, tier: Tier, network: Network) -> str:
        upgrade = next((t for t in Tier if network in self.rules[t].routes), None)
        if upgrade is None:
            return f"{network.label} is not available on Postroom yet."
        return (
            f"🔒 {network.label} is a {upgrade.label} network. "
            f"Upgrade to {upgrade.label} to post to {network.label}: /upgrade"
        )

    def check_scheduled(self, tier: Tier, pending: int) -> None:
        limit = self.rules[tier].max_scheduled
        if pending >= limit:
            raise PolicyRefusal(
                f"You already have {plural(pending, 'scheduled post')}; the {tier.label} limit "
                f"is {limit}. "
                "Publish or /cancel one first" + (", or /upgrade." if tier is Tier.FREE else ".")
            )

    def check_monthly(self, tier: Tier, used: int) -> None:
        limit = self.rules[tier].posts_per_month
        if used >= limit:
            raise PolicyRefusal(
                f"You have used {'your' if limit == 1 else 'all'} {plural(limit, 'post')} of "
                f"this month on {tier.label}. "
                + ("/upgrade for more." if tier is Tier.FREE else "The count resets on the 1st.")
            )
