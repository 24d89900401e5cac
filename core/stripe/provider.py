"""Stripe as a way to pay for a plan: the Checkout link /upgrade shows, the Portal /billing."""

from __future__ import annotations

from core.billing_ports import Offer
from core.errors import PublishError, TransientError
from core.model import ChatPlatform, Identity, Profile, Provider, SubscriptionStatus
from core.stripe_ports import CheckoutRequest, StripeApi, StripeRefused
from core.tiers import Plan


class StripeProvider:
    """core.billing_ports.PaymentProvider for Stripe: a Checkout Session per /upgrade, in
    subscription mode for the plan's price, tied to the profile by client_reference_id and
    metadata (core.stripe.events reads them back from the webhook)."""

    provider = Provider.STRIPE

    def __init__(self, api: StripeApi, *, return_url: str) -> None:
        self._api = api
        self._return_url = return_url  # where Stripe's pages send the browser back

    def unavailable(self, platform: ChatPlatform, plan: Plan) -> str | None:
        if plan.stripe_price_id is None:
            return f"{plan.tier.label} has no Stripe price here"
        return None

    async def offer(self, profile: Profile, identity: Identity, plan: Plan) -> Offer:
        if plan.stripe_price_id is None:
            raise PublishError(f"{plan.tier.label} has no Stripe price here")
        request = CheckoutRequest(
            profile_id=profile.id,
            identity=str(identity),
            price_id=plan.stripe_price_id,
            success_url=f"{self._return_url}?checkout=done",
            cancel_url=f"{self._return_url}?checkout=cancelled",
            customer=_customer(profile),
        )
        try:
            url = await self._api.checkout(request)
        except StripeRefused as e:
            raise PublishError(str(e)) from None
        return Offer(
            f"💳 Subscribe by card: {plan.stripe_label or 'Stripe Checkout'}",
            url,
            "Renews monthly by card until you cancel; /billing changes the card or cancels.",
        )

    async def manage(self, profile: Profile) -> str | None:
        """A Customer Portal link for the profile's Stripe customer (change the card, see
        invoices, cancel), or None without one; raises PublishError when Stripe refuses."""
        customer = _customer(profile)
        if not customer:
            return None
        try:
            return await self._api.portal(customer, f"{self._return_url}?portal=done")
        except StripeRefused as e:
            raise PublishError(str(e)) from None

    async def cancel(self, profile: Profile) -> bool:
        """/forget: the card subscription ends now at Stripe (nothing more is charged)."""
        sub = profile.subscription
        if sub is None or sub.provider is not Provider.STRIPE or not sub.subscription_id:
            return False
        if sub.status is SubscriptionStatus.CANCELED:
            return False
        try:
            await self._api.cancel(sub.subscription_id)
        except StripeRefused as e:
            raise TransientError(str(e)) from None
        return True


def _customer(profile: Profile) -> str:
    sub = profile.subscription
    if sub is None or sub.provider is not Provider.STRIPE:
        return ""
    return sub.customer_id
