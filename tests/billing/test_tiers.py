"""The one derivation of a profile's tier: subscription, operator grants and the time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.model import Grant, Provider, Subscription, SubscriptionStatus, Tier
from core.tiers import Plan, Standing, derive_tier

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
STARS = Subscription(
    Provider.TELEGRAM_STARS,
    SubscriptionStatus.ACTIVE,
    current_period_end=NOW + 10 * DAY,
)


def grant(ends: datetime | None, *, starts: datetime = NOW - DAY, revoked: bool = False) -> Grant:
    return Grant(1, Tier.PRO, starts, ends, "test", NOW - DAY / 2 if revoked else None)


def test_nothing_bought_is_the_base_tier() -> None:
    assert derive_tier(None, [], NOW) == Standing(Tier.FREE)
    assert derive_tier(None, [], NOW, base=Tier.PRO) == Standing(Tier.PRO)


def test_a_renewing_subscription_gives_pro_until_its_renewal() -> None:
    assert derive_tier(STARS, [], NOW) == Standing(
        Tier.PRO, Provider.TELEGRAM_STARS, renews_at=NOW + 10 * DAY
    )


def test_a_subscription_that_does_not_renew_ends_at_its_period_end() -> None:
    ending = replace(STARS, cancel_at_period_end=True)
    assert derive_tier(ending, [], NOW).ends_at == NOW + 10 * DAY
    assert derive_tier(ending, [], NOW + 10 * DAY) == Standing(Tier.FREE)


def test_period_end_passed_or_status_ended_is_free() -> None:
    assert derive_tier(STARS, [], NOW + 10 * DAY).tier is Tier.FREE  # the end itself: over
    assert derive_tier(STARS, [], NOW + 11 * DAY).tier is Tier.FREE
    for status in (
        SubscriptionStatus.CANCELED,
        SubscriptionStatus.UNPAID,
        SubscriptionStatus.INCOMPLETE,
    ):
        assert derive_tier(replace(STARS, status=status), [], NOW).tier is Tier.FREE
    # A failed renewal keeps Pro while the provider retries, within the period.
    past_due = replace(STARS, status=SubscriptionStatus.PAST_DUE)
    assert derive_tier(past_due, [], NOW).tier is Tier.PRO
    assert derive_tier(replace(STARS, current_period_end=None), [], NOW).tier is Tier.FREE


def test_operator_grants_for_days_until_revoked() -> None:
    assert derive_tier(None, [grant(NOW + DAY)], NOW) == Standing(
        Tier.PRO, Provider.OPERATOR, ends_at=NOW + DAY
    )
    assert derive_tier(None, [grant(None)], NOW) == Standing(Tier.PRO, Provider.OPERATOR)
    assert derive_tier(None, [grant(NOW + DAY)], NOW + DAY).tier is Tier.FREE
    assert derive_tier(None, [grant(None, revoked=True)], NOW).tier is Tier.FREE
    assert derive_tier(None, [grant(None, starts=NOW + DAY)], NOW).tier is Tier.FREE


def test_the_longest_lasting_source_is_named() -> None:
    ending = replace(STARS, cancel_at_period_end=True)  # ends in 10 days
    longer = grant(NOW + 20 * DAY)
    assert derive_tier(ending, [longer], NOW).ends_at == NOW + 20 * DAY
    assert derive_tier(ending, [grant(NOW + DAY)], NOW).provider is Provider.TELEGRAM_STARS
    # A renewing subscription never ends: it beats a grant for days, and ties with an
    # unlimited one, which it wins (it is what the user pays for).
    assert derive_tier(STARS, [longer], NOW).provider is Provider.TELEGRAM_STARS
    assert derive_tier(STARS, [grant(None)], NOW).provider is Provider.TELEGRAM_STARS
    # When the subscription lapses, the grant still gives Pro.
    assert derive_tier(STARS, [longer], NOW + 15 * DAY).provider is Provider.OPERATOR


def test_plan_prices_from_configuration() -> None:
    assert Plan("pro", Tier.PRO).prices() == []
    plan = Plan("pro", Tier.PRO, stars=250, stripe_price_id="price_123")
    assert plan.stars_price_id == "XTR:250"
    assert plan.prices() == ["⭐ 250 Stars per 30 days (Telegram)", "💳 by card (Stripe)"]
