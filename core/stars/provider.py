"""Telegram Stars as a way to pay for a plan: the signed invoice link /upgrade shows."""

from __future__ import annotations

from datetime import UTC

from core.billing_ports import Offer
from core.errors import PublishError
from core.invoice_payload import InvoiceTerms, PayloadSigner
from core.model import PAYING, ChatPlatform, Identity, Profile, Provider
from core.ports import Clock
from core.stars_ports import PaymentRefused, StarsCheckout, StarsOffer
from core.tiers import Plan

TITLE = "Postroom Pro"  # Telegram: invoice titles are 1-32 characters, descriptions 1-255


class StarsProvider:
    """core.billing_ports.PaymentProvider for Telegram Stars: sells a plan with a Stars
    price to users chatting in Telegram, by an invoice whose payload is signed for their
    profile, the plan and its price (core.stars.sales checks it when they pay)."""

    provider = Provider.TELEGRAM_STARS

    def __init__(self, checkout: StarsCheckout, signer: PayloadSigner, clock: Clock) -> None:
        self._checkout = checkout
        self._signer = signer
        self._clock = clock

    def unavailable(self, platform: ChatPlatform, plan: Plan) -> str | None:
        if platform is not ChatPlatform.TELEGRAM:
            return "Telegram Stars are paid in Telegram"
        if plan.stars is None:
            return f"{plan.tier.label} has no price in Stars here"
        return None

    async def offer(self, profile: Profile, identity: Identity, plan: Plan) -> Offer:
        if plan.stars is None:
            raise PublishError(f"{plan.tier.label} has no price in Stars here")
        issued = max(int(self._clock.now().astimezone(UTC).timestamp()), 0)
        terms = InvoiceTerms(profile.id, plan.key, plan.stars, issued)
        invoice = StarsOffer(
            title=TITLE,
            description=(
                "Publish to Instagram, Facebook, TikTok, YouTube, LinkedIn and X, with hourly "
                f"analytics, for {plan.period_days} days at a time. Cancel any time in Telegram."
            ),
            payload=self._signer.sign(terms),
            price=plan.stars,
            label=f"{plan.tier.label}, {plan.period_days} days",
        )
        try:
            url, renews = await self._checkout.invoice_link(invoice)
        except PaymentRefused as e:
            raise PublishError(str(e)) from None
        if renews:
            return Offer(
                f"⭐ Subscribe: {plan.stars} Stars a month",
                url,
                "Renews every 30 days until you cancel it in Telegram. /terms · /paysupport",
            )
        return Offer(
            f"⭐ Pay {plan.stars} Stars for {plan.period_days} days",
            url,
            "One period; paying again before it ends adds another. /terms · /paysupport",
        )

    async def cancel(self, profile: Profile) -> bool:
        """/forget: the Star subscription renews no more (editUserStarSubscription with
        is_canceled); the period paid for is not refunded. A one-period purchase has
        nothing to stop."""
        sub = profile.subscription
        if sub is None or sub.provider is not Provider.TELEGRAM_STARS:
            return False
        if sub.cancel_at_period_end or sub.status not in PAYING or not sub.subscription_id:
            return False
        try:
            await self._checkout.stop_renewal(sub.customer_id, sub.subscription_id)
        except PaymentRefused as e:
            raise PublishError(str(e)) from None
        return True
