"""The one place a profile's tier is derived: its subscription, operator grants and the time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime

from core.model import Grant, Provider, Subscription, Tier

_NEVER = datetime(MAXYEAR, 12, 31, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Standing:
    """A profile's tier at one moment, and why: what gives it and until when."""

    tier: Tier
    provider: Provider | None = None  # None: the deployment's base tier, nothing bought
    # When it ends unless renewed; None while it renews by itself or never ends.
    ends_at: datetime | None = None
    renews_at: datetime | None = None  # the next renewal of a renewing subscription


def derive_tier(
    subscription: Subscription | None,
    grants: Iterable[Grant],
    now: datetime,
    *,
    base: Tier = Tier.FREE,
) -> Standing:
    """The tier at `now`: the best of the base tier (configuration), a paying subscription
    within its period and an operator grant within its days. Of two that give the same tier,
    the one that lasts longer is named (a renewing subscription and an unlimited grant never
    end; the subscription wins that tie, as it is what the user pays for)."""
    candidates = [(_rank(base), datetime.min.replace(tzinfo=UTC), 0, Standing(base))]
    if subscription is not None and subscription.grants(now):
        end = subscription.current_period_end
        if subscription.cancel_at_period_end:
            standing = Standing(subscription.tier, subscription.provider, ends_at=end)
        else:
            standing = Standing(subscription.tier, subscription.provider, renews_at=end)
        candidates.append((_rank(subscription.tier), standing.ends_at or _NEVER, 2, standing))
    for grant in grants:
        if grant.grants(now):
            standing = Standing(grant.tier, Provider.OPERATOR, ends_at=grant.ends_at)
            candidates.append((_rank(grant.tier), grant.ends_at or _NEVER, 1, standing))
    return max(candidates, key=lambda c: c[:3])[3]


def _rank(tier: Tier) -> int:
    return list(Tier).index(tier)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a tier costs, from configuration: one price per provider that sells it."""

    key: str  # stored with a subscription: "pro"
    tier: Tier
    period_days: int = 30
    stars: int | None = None  # Telegram Stars per period (POSTROOM_PRO_STARS_PRICE)
    stripe_price_id: str | None = None  # Stripe's price_… (POSTROOM_STRIPE_PRO_PRICE_ID)
    stripe_label: str = ""  # how the Stripe price reads ("€9 a month"), for /upgrade

    @property
    def stars_price_id(self) -> str:
        """The price id a Stars subscription is stored with: the currency and the amount."""
        return f"XTR:{self.stars}"

    def prices(self) -> list[str]:
        """The configured prices as /upgrade and /tier show them."""
        found = []
        if self.stars is not None:
            found.append(f"⭐ {self.stars} Stars per {self.period_days} days (Telegram)")
        if self.stripe_price_id is not None:
            found.append(f"💳 {self.stripe_label or 'by card'} (Stripe)")
        return found
