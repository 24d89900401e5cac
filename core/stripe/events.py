"""Stripe's webhook events, verified by the adapter, applied through core.billing."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from enum import StrEnum

from core.billing.lifecycle import Billing, UnknownProfile
from core.model import Provider, Subscription, SubscriptionStatus, Tier
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Button, Reply
from core.stripe_ports import (
    StripeApi,
    StripeEvent,
    StripeMissing,
    StripeRefused,
    StripeSubscription,
)
from core.tiers import Plan
from core.when import format_local

log = logging.getLogger(__name__)

# Stripe's statuses that are not ours by name (https://docs.stripe.com/api/subscriptions/
# object#subscription_object-status): neither gives Pro.
_STATUS = {"incomplete_expired": SubscriptionStatus.CANCELED, "paused": SubscriptionStatus.UNPAID}
MAX_PROFILE_DIGITS = 18


class Outcome(StrEnum):
    """What one event did (the web app answers 200 for each; the log says which)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"  # its id was handled before
    IGNORED = "ignored"  # not ours, not handled, or for nobody we know
    TOLD = "told"  # the owner was told about a failed payment
    SECOND = "second"  # a second paying subscription: canceled, flagged for a refund


@dataclass(frozen=True, slots=True)
class _Target:
    profile_id: int
    current: Subscription | None


class StripeEvents:
    """checkout.session.completed binds the customer and subscription to the profile named
    by client_reference_id; customer.subscription.* replace our copy with the subscription
    as Stripe has it (read again from the API unless the event's copy is final, so an event
    delivered late cannot undo a newer state); invoice.payment_failed tells the owner once
    per invoice. Each event id is applied once (core.billing's events table)."""

    def __init__(
        self, billing: Billing, uow: UnitOfWorkFactory, api: StripeApi, clock: Clock
    ) -> None:
        self._billing = billing
        self._clock = clock
        self._uow = uow
        self._api = api

    async def handle(self, event: StripeEvent) -> Outcome:
        """Apply `event`; raises StripeRefused when Stripe could not be read (nothing was
        changed: the web app answers 503 and Stripe delivers the event again)."""
        async with self._uow() as uow:
            # A replay is known without asking Stripe, whoever it was for (the events of a
            # profile deleted since are kept).
            seen = await uow.billing.seen(Provider.STRIPE.value, event.id)
        if seen:
            outcome = Outcome.DUPLICATE
        elif event.type == "checkout.session.completed":
            outcome = await self._completed(event)
        elif event.type in ("customer.subscription.updated", "customer.subscription.deleted"):
            outcome = await self._changed(event)
        elif event.type == "invoice.payment_failed":
            outcome = await self._failed(event)
        else:
            outcome = Outcome.IGNORED
        log.info("stripe event %s (%s): %s", event.id, event.type, outcome.value)
        return outcome

    async def _completed(self, event: StripeEvent) -> Outcome:
        if event.mode != "subscription" or not event.subscription_id:
            return Outcome.IGNORED
        ref = event.client_reference_id
        if not (ref.isascii() and ref.isdigit() and 0 < len(ref) <= MAX_PROFILE_DIGITS):
            log.warning("stripe checkout %s names no profile (%r): ignored", event.id, ref[:40])
            return Outcome.IGNORED
        if event.profile and event.profile != ref:
            log.warning("stripe checkout %s: metadata and reference differ: ignored", event.id)
            return Outcome.IGNORED
        try:
            sub = await self._api.subscription(event.subscription_id)
        except StripeMissing:
            log.warning("stripe checkout %s: its subscription is gone: ignored", event.id)
            return Outcome.IGNORED
        if event.customer and sub.customer != event.customer:
            log.warning("stripe checkout %s: the subscription is another customer's", event.id)
            return Outcome.IGNORED
        return await self._sync(int(ref), event, sub)

    async def _changed(self, event: StripeEvent) -> Outcome:
        seen = event.subscription
        if seen is None:
            return Outcome.IGNORED
        target = await self._target(seen.customer)
        if target is None:
            log.info(
                "stripe event %s: customer %s is nobody's here: ignored", event.id, seen.customer
            )
            return Outcome.IGNORED
        current = target.current
        if current is not None and current.subscription_id not in ("", seen.id):
            log.info("stripe event %s: %s is not the profile's subscription", event.id, seen.id)
            return Outcome.IGNORED
        sub = seen
        if seen.status != "canceled":  # canceled is final: nothing newer can follow it
            with contextlib.suppress(StripeMissing):  # else the event's copy is all there is
                sub = await self._api.subscription(seen.id)
        return await self._sync(target.profile_id, event, sub)

    async def _sync(self, profile_id: int, event: StripeEvent, sub: StripeSubscription) -> Outcome:
        plan = self._plan(sub.price_id)
        subscription = Subscription(
            provider=Provider.STRIPE,
            status=_STATUS.get(sub.status) or _status(sub.status),
            tier=plan.tier,
            plan=plan.key,
            customer_id=sub.customer,
            subscription_id=sub.id,
            price_id=sub.price_id,
            current_period_end=sub.current_period_end,
            cancel_at_period_end=sub.cancel_at_period_end,
            state_at=event.created,
        )
        try:
            change = await self._billing.sync(
                profile_id, event_id=event.id, subscription=subscription
            )
        except UnknownProfile:
            log.warning("stripe event %s: there is no profile %s: ignored", event.id, profile_id)
            return Outcome.IGNORED
        if change.duplicate:
            return Outcome.DUPLICATE
        if change.conflict is not None:
            await self._second(profile_id, sub, change.conflict)
            return Outcome.SECOND
        return Outcome.APPLIED

    async def _second(
        self, profile_id: int, sub: StripeSubscription, running: Subscription
    ) -> None:
        """A card subscription paid while another runs (two Checkout links, or Stars bought
        meanwhile): it is canceled at Stripe at once, so it charges no more, and flagged for
        the operator, who refunds its first payment in the Stripe Dashboard."""
        try:
            if sub.status != "canceled":
                await self._api.cancel(sub.id)
            done = "canceled at Stripe"
        except StripeRefused as e:
            done = f"NOT canceled ({e}): cancel it in the Stripe Dashboard"
        log.error(
            "SECOND PAYMENT: stripe subscription %s (customer %s) of profile %s while its %s "
            "subscription %s runs: %s; refund its first invoice in the Stripe Dashboard",
            sub.id,
            sub.customer,
            profile_id,
            running.provider.value,
            running.subscription_id or "-",
            done,
        )
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
            identities = await uow.profiles.identities(profile_id)
        if profile is None:
            return
        via = "by card" if running.provider is Provider.STRIPE else "in Telegram Stars"
        text = (
            f"You already pay for Pro {via}, so the card subscription you just started was "
            "canceled and its payment will be refunded to your card. Nothing else changed; "
            "/billing shows the subscription you keep."
        )
        await self._billing.send(profile_id, identities, Reply(text))

    async def _failed(self, event: StripeEvent) -> Outcome:
        target = await self._target(event.customer)
        if target is None:
            log.info(
                "stripe event %s: customer %s is nobody's here: ignored", event.id, event.customer
            )
            return Outcome.IGNORED
        once = f"payment_failed:{event.invoice_id or event.id}"  # Stripe retries: one message
        async with self._uow() as uow:
            fresh = await uow.billing.record_event(
                Provider.STRIPE.value,
                once[:255],
                profile_id=target.profile_id,
                kind="payment_failed",
                now=self._clock.now(),
            )
            profile = await uow.profiles.get(target.profile_id)
            identities = await uow.profiles.identities(target.profile_id)
            await uow.commit()
        if not fresh or profile is None:
            return Outcome.DUPLICATE
        end = target.current.current_period_end if target.current else None
        text = "Your card payment for Pro did not go through. Stripe will try again"
        if end is not None:
            text += f"; Pro stays until {format_local(end, profile.timezone)} meanwhile"
        text += ". Pay with another card, or change it with /billing."
        buttons: tuple[tuple[Button, ...], ...] = ()
        if event.invoice_url.startswith("https://"):
            buttons = ((Button("💳 Fix the payment ↗", url=event.invoice_url),),)
        reply = Reply(text, buttons=buttons)
        if not await self._billing.send(target.profile_id, identities, reply):
            # The chat could not be reached: the once-only record goes, and the webhook
            # answers 503, so Stripe delivers the event again later (it retries for days).
            async with self._uow() as uow:
                await uow.billing.forget_event(Provider.STRIPE.value, once[:255])
                await uow.commit()
            raise StripeRefused("the owner could not be told of the failed payment yet")
        return Outcome.TOLD

    async def _target(self, customer: str) -> _Target | None:
        if not customer:
            return None
        async with self._uow() as uow:
            profile_id = await uow.billing.profile_of(Provider.STRIPE, customer_id=customer)
            profile = None if profile_id is None else await uow.profiles.get(profile_id)
        if profile is None:
            return None
        return _Target(profile.id, profile.subscription)

    def _plan(self, price_id: str) -> Plan:
        plans = self._billing.plans
        found = next((p for p in plans if p.stripe_price_id == price_id), None)
        if found is None:
            # A price changed in the settings since: the subscriber keeps what they pay for.
            found = self._billing.plan("pro") or Plan("pro", Tier.PRO)
            log.warning("stripe price %s is not configured: taken as %s", price_id, found.key)
        return found


def _status(value: str) -> SubscriptionStatus:
    try:
        return SubscriptionStatus(value)
    except ValueError:
        return SubscriptionStatus.UNPAID  # a state we do not know gives nothing
