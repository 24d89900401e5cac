"""core.stripe_ports.StripeApi on `stripe.StripeClient` (async, over httpx; base overridable)."""

from __future__ import annotations

import logging

import stripe
from stripe.params.checkout import SessionCreateParams

from adapters.stripe.wire import BadEvent, read_subscription
from core.stripe_ports import CheckoutRequest, StripeMissing, StripeRefused, StripeSubscription

log = logging.getLogger(__name__)


class StripeHttpApi:
    """Checkout Sessions, Customer Portal sessions and subscriptions, with the secret key
    (never in a message: Stripe's errors are reduced to their code and message)."""

    def __init__(self, secret_key: str, api_url: str, *, timeout: float = 20.0) -> None:
        self._http = stripe.HTTPXClient(timeout=timeout)
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_url.rstrip("/")},
            http_client=self._http,
            max_network_retries=2,  # the library retries with idempotency keys
        )

    async def checkout(self, request: CheckoutRequest) -> str:
        profile = str(request.profile_id)
        meta = {"profile": profile, "identity": request.identity[:500]}
        params: SessionCreateParams = {
            "mode": "subscription",
            "line_items": [{"price": request.price_id, "quantity": 1}],
            "client_reference_id": profile,
            "metadata": meta,
            # On the subscription too: its own events then name the profile.
            "subscription_data": {"metadata": meta},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer:  # a returning subscriber keeps their Stripe customer
            params["customer"] = request.customer
        try:
            session = await self._client.v1.checkout.sessions.create_async(params)
        except stripe.StripeError as e:
            raise _refused("checkout.sessions.create", e) from None
        if not session.url:
            raise StripeRefused("Stripe made a Checkout Session without a URL")
        return session.url

    async def portal(self, customer: str, return_url: str) -> str:
        try:
            session = await self._client.v1.billing_portal.sessions.create_async(
                {"customer": customer, "return_url": return_url}
            )
        except stripe.StripeError as e:
            raise _refused("billing_portal.sessions.create", e) from None
        return session.url

    async def subscription(self, subscription_id: str) -> StripeSubscription:
        try:
            found = await self._client.v1.subscriptions.retrieve_async(subscription_id)
        except stripe.StripeError as e:
            raise _read_error(
                "subscriptions.retrieve", f"subscription {subscription_id}", e
            ) from None
        try:
            return read_subscription(found.to_dict())
        except BadEvent as e:
            raise StripeRefused(f"Stripe answered an unreadable subscription: {e}") from None

    async def cancel(self, subscription_id: str) -> None:
        try:
            await self._client.v1.subscriptions.cancel_async(subscription_id)
        except stripe.InvalidRequestError as e:
            if e.code == "resource_missing":  # gone, or canceled already: nothing to charge
                log.info("stripe subscription %s was gone already", subscription_id)
                return
            raise _refused("subscriptions.cancel", e) from None
        except stripe.StripeError as e:
            raise _refused("subscriptions.cancel", e) from None

    async def price(self, price_id: str) -> str:
        """How the price reads ("9.00 eur / month"), for `postroom doctor`; raises
        StripeMissing or StripeRefused."""
        try:
            found = await self._client.v1.prices.retrieve_async(price_id)
        except stripe.StripeError as e:
            raise _read_error("prices.retrieve", f"price {price_id}", e) from None
        amount = found.unit_amount
        money = "?" if amount is None else f"{amount / 100:.2f} {found.currency}"
        every = found.recurring.interval if found.recurring is not None else "once"
        return f"{money} / {every}" + ("" if found.active else " (inactive)")

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]


def _read_error(call: str, what: str, e: stripe.StripeError) -> StripeRefused:
    """StripeMissing for an object Stripe does not have, else why it refused."""
    if isinstance(e, stripe.InvalidRequestError) and e.code == "resource_missing":
        return StripeMissing(f"no {what}")
    return _refused(call, e)


def _refused(call: str, e: stripe.StripeError) -> StripeRefused:
    why = f"Stripe refused {call}: {e.code or type(e).__name__} {e.user_message or ''}".strip()
    log.warning("%s (HTTP %s)", why, e.http_status)
    return StripeRefused(why)
