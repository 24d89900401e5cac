"""Ports of the billing lifecycle: its storage, and the payment providers behind /upgrade."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from core.model import ChatPlatform, Grant, Identity, Profile, Provider, Subscription, Tier
from core.tiers import Plan


class BillingRepository(Protocol):
    """Subscriptions, grants, the events already handled, and the tier last applied."""

    async def set_tier(self, profile_id: int, tier: Tier) -> None:
        """Store the tier core.billing derived and applied; nothing else writes it."""
        ...

    async def save_subscription(self, profile_id: int, subscription: Subscription) -> None:
        """Insert or replace the profile's one current subscription."""
        ...

    async def add_grant(self, profile_id: int, grant: Grant) -> Grant:
        """Store an operator grant (its `id` is ignored) and return it with its id."""
        ...

    async def revoke_grants(self, profile_id: int, now: datetime) -> int:
        """End every grant of the profile still running at `now`; returns how many."""
        ...

    async def record_event(
        self, source: str, event_id: str, *, profile_id: int | None, kind: str, now: datetime
    ) -> bool:
        """Remember `event_id` of `source` (a provider's charge or event id, or one of
        Postroom's own once-only notices); False, and nothing stored, when it was seen before.
        Concurrent inserts of one id: one wins (a UNIQUE constraint), the other gets False."""
        ...

    async def seen(self, source: str, event_id: str) -> bool:
        """Whether `event_id` of `source` was recorded (a replay), for any profile."""
        ...

    async def forget_event(self, source: str, event_id: str) -> None:
        """Drop a once-only record whose work could not be done (a notice that did not
        reach the chat), so the provider's next delivery does it."""
        ...

    async def profile_of(
        self, provider: Provider, *, customer_id: str = "", subscription_id: str = ""
    ) -> int | None:
        """The profile whose current subscription at `provider` has this customer id or
        subscription id (a webhook names only those), or None."""
        ...

    async def lapsing(
        self, now: datetime, *, base: Tier, limit: int, after: int = 0
    ) -> Sequence[int]:
        """Profiles applied a tier other than `base` that no subscription or grant gives any
        more at `now`: the ones whose plan has ended; ids above `after`, ascending (a
        cursor: the next page starts after the last id of this one)."""
        ...

    async def ending(
        self, now: datetime, until: datetime, *, limit: int, after: int = 0
    ) -> Sequence[int]:
        """Profiles with a non-renewing subscription or a grant ending within (now, until];
        ids above `after`, ascending."""
        ...


@dataclass(frozen=True, slots=True)
class Offer:
    """A way to pay that /upgrade shows: a link to open (a Stars invoice, a Checkout page)."""

    label: str  # the button: "⭐ Pay 250 Stars a month"
    url: str
    note: str = ""  # one line under the price: how it renews, how to cancel


class PaymentProvider(Protocol):
    """One way to pay for a plan. It answers /upgrade with an offer; what it hears back from
    the payment system (a payment, a renewal, a refund, a cancellation) it reports to
    core.billing.Billing, which alone changes subscriptions and tiers."""

    provider: Provider

    def unavailable(self, platform: ChatPlatform, plan: Plan) -> str | None:
        """Why it cannot sell `plan` to a user chatting on `platform` (Stars: only in
        Telegram; no price configured), or None."""
        ...

    async def offer(self, profile: Profile, identity: Identity, plan: Plan) -> Offer:
        """A link that sells `plan` to this profile; raises a PublishError when the provider
        refuses or is down."""
        ...


@runtime_checkable
class Cancels(Protocol):
    """A provider that can stop a profile's subscription itself (/forget does, first)."""

    provider: Provider

    async def cancel(self, profile: Profile) -> bool:
        """Stop the profile's subscription at the provider now, so it charges no more: True
        when one was stopped, False when there was none to stop; raises a PublishError when
        the provider refuses or is down."""
        ...


@runtime_checkable
class SelfService(Protocol):
    """A provider whose subscribers manage their subscription on its own pages (Stripe's
    Customer Portal): /billing links there."""

    provider: Provider

    async def manage(self, profile: Profile) -> str | None:
        """A link to the profile's page at the provider, or None when it has no customer
        there; raises a PublishError when the provider refuses or is down."""
        ...
