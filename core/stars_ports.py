"""Ports for selling in Telegram Stars: invoices and refunds out, the charges recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StarsOffer:
    """An invoice to show: Telegram's title ≤ 32 and description ≤ 255 characters."""

    title: str
    description: str
    payload: str
    price: int
    label: str


@dataclass(frozen=True, slots=True)
class StarsPayment:
    """A successful_payment as Telegram reported it."""

    charge_id: str
    user: str  # the payer's Telegram user id
    payload: str
    currency: str
    amount: int
    paid_at: datetime | None
    recurring: bool = False
    first: bool = False
    expires: datetime | None = None  # a subscription's period end


class PaymentRefused(Exception):
    """The payment platform refused a call (a refund, a cancellation); the reason is shown
    to the operator."""


class StarsCheckout(Protocol):
    """Telegram's side: the invoice, refunds and stopping a subscription's renewal."""

    async def invoice_link(self, offer: StarsOffer) -> tuple[str, bool]:
        """A link to pay `offer`: a monthly subscription where Telegram makes one (True),
        else a one-period invoice (False). Raises PaymentRefused when Telegram refuses."""
        ...

    async def refund(self, user: str, charge_id: str) -> None: ...

    async def stop_renewal(self, user: str, charge_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class StarCharge:
    """One Stars payment as recorded: the period it bought, and what it replaced (a refund
    puts the profile's period end back to `previous_end`)."""

    charge_id: str
    profile_id: int | None  # None once the profile is deleted (/forget): the charge stays known
    user: str
    amount: int
    recurring: bool
    paid_at: datetime
    period_end: datetime
    previous_end: datetime | None = None
    refunded_at: datetime | None = None


class StarChargeRepository(Protocol):
    """Every Stars charge, once: its id is the key, shared by every worker."""

    async def add(self, charge: StarCharge) -> bool:
        """Record it; False when that charge id is recorded already (a replay)."""
        ...

    async def get(self, charge_id: str) -> StarCharge | None: ...

    async def latest(self, profile_id: int) -> StarCharge | None:
        """The newest charge of the profile not refunded yet."""
        ...

    async def recent(self, profile_id: int, *, limit: int) -> Sequence[StarCharge]:
        """The profile's newest charges first, refunded ones too."""
        ...

    async def mark_refunded(self, charge_id: str, at: datetime) -> bool:
        """False when it was marked already (the refund is told of twice)."""
        ...
