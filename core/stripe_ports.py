"""Ports for selling through Stripe: Checkout and Customer Portal links, subscriptions read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class StripeRefused(Exception):
    """Stripe refused a call or could not be reached; the text says why (no secret in it)."""


class StripeMissing(StripeRefused):
    """Stripe has no such object (its `resource_missing`)."""


@dataclass(frozen=True, slots=True)
class StripeSubscription:
    """A Stripe subscription object as read (from an event or from the API)."""

    id: str
    customer: str
    status: str  # Stripe's: active, trialing, past_due, unpaid, incomplete, canceled, …
    current_period_end: datetime | None
    cancel_at_period_end: bool = False
    price_id: str = ""
    profile: str = ""  # our metadata.profile, set through Checkout's subscription_data


@dataclass(frozen=True, slots=True)
class StripeEvent:
    """A verified webhook event: its id, type, when Stripe made it, and what it names."""

    id: str
    type: str
    created: datetime
    customer: str = ""
    subscription_id: str = ""
    subscription: StripeSubscription | None = None  # customer.subscription.* events
    client_reference_id: str = ""  # checkout.session.completed
    profile: str = ""  # metadata.profile of the session or subscription
    mode: str = ""  # the session's mode
    invoice_id: str = ""  # invoice.payment_failed
    invoice_url: str = ""  # the invoice's hosted page, where the card can be changed


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """A Checkout Session to create: one subscription to `price_id` for one profile."""

    profile_id: int
    identity: str
    price_id: str
    success_url: str
    cancel_url: str
    customer: str = ""  # an earlier Stripe customer of this profile, reused


class StripeApi(Protocol):
    """What Postroom asks Stripe's API."""

    async def checkout(self, request: CheckoutRequest) -> str:
        """The Checkout page's URL; raises StripeRefused."""
        ...

    async def portal(self, customer: str, return_url: str) -> str:
        """A Customer Portal session's URL for `customer`; raises StripeRefused."""
        ...

    async def subscription(self, subscription_id: str) -> StripeSubscription:
        """The subscription as Stripe has it now; raises StripeMissing or StripeRefused."""
        ...

    async def cancel(self, subscription_id: str) -> None:
        """End the subscription now (no more charges); one that is gone or canceled already
        is fine. Raises StripeRefused."""
        ...
