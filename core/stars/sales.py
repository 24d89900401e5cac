"""Pro for Telegram Stars: the pre-checkout check, payments and renewals, refunds."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from core.billing.lifecycle import Billing, Change
from core.errors import DomainError
from core.invoice_payload import BadPayload, InvoiceTerms, PayloadSigner, parse
from core.model import Identity, Profile, Provider
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.replies import Reply
from core.stars_ports import PaymentRefused, StarCharge, StarsCheckout, StarsPayment
from core.when import format_local

log = logging.getLogger(__name__)

STARS = Provider.TELEGRAM_STARS
CURRENCY = "XTR"
# A Star subscription renews every 30 days (the only period Telegram offers); a one-period
# invoice buys the same 30 days.
PERIOD = timedelta(days=30)
NOT_MATCHED = (
    "I received a payment I can't match to an invoice, so nothing changed on your account. "
    "Send /paysupport and quote {charge}."
)


class StarsSales:
    """What Telegram reports about Stars payments, turned into core.billing calls.

    The invoice payload is signed with the profile, plan, price and time it was made for
    (core.invoice_payload); the pre-checkout answer checks it against the payer and today's
    price. It has no expiry: Telegram charges a subscription's renewals against its first
    invoice, and an old invoice at today's price buys what it says. Billing records each
    charge id once, in the transaction that changes the subscription, so a replayed payment
    changes nothing in any worker; the charge is kept too (star_charges), for refunds.
    """

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        accounts: Accounts,
        billing: Billing,
        checkout: StarsCheckout,
        signer: PayloadSigner,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._accounts = accounts
        self._billing = billing
        self._checkout = checkout
        self._signer = signer
        self._clock = clock

    # --- pre-checkout -------------------------------------------------------------------

    async def check(
        self, identity: Identity, payload: str, currency: str, amount: int
    ) -> str | None:
        """Why Telegram must not charge this payment (shown to the payer), or None: ok."""
        try:
            terms = self._signer.read(payload)
        except BadPayload as e:
            log.warning("pre-checkout from %s refused: %s", identity, e)
            return (
                "This invoice isn't one I made, so I can't take a payment for it. Send /upgrade."
            )
        payer = await self._accounts.profile_for(identity)
        reason = self._refusal(terms, payer, currency, amount)
        if reason is not None:
            log.warning("pre-checkout from %s refused: %s", identity, reason)
        return reason

    def _refusal(
        self, terms: InvoiceTerms, payer: Profile, currency: str, amount: int
    ) -> str | None:
        if terms.profile != payer.id:
            return "This invoice was made for another Postroom account. Send /upgrade for yours."
        plan = self._billing.plan(terms.plan)
        if plan is None or plan.stars is None:
            return "That plan isn't sold for Stars any more. Send /upgrade for what is."
        if currency != CURRENCY or amount != terms.price:
            return "This payment doesn't match its invoice; nothing was charged. Send /upgrade."
        if terms.price != plan.stars:
            return (
                f"Pro costs {plan.stars} Stars a month now, not {terms.price}; nothing was "
                "charged. Send /upgrade for a new invoice."
            )
        sub = payer.subscription
        if sub is not None and sub.provider is not STARS and sub.grants(self._clock.now()):
            return (
                "You pay for Pro by card already; nothing was charged. /billing changes or "
                "cancels that subscription."
            )
        standing = self._billing.standing(payer)
        if payer.tier is plan.tier and standing.ends_at is None:
            return f"You're on {plan.tier.label} already, and it renews; nothing was charged."
        return None

    # --- payments -----------------------------------------------------------------------

    async def paid(self, identity: Identity, payment: StarsPayment) -> Reply | None:
        """Telegram took the Stars: Pro until the period's end (a renewal moves it on) and a
        thank-you. A charge seen before (by any profile, one deleted since too) changes
        nothing and says nothing. A renewal counts only for the subscription whose first
        charge is recorded for this payer; a payment while another subscription runs is
        refunded at once."""
        async with self._uow() as uow:
            if await uow.star_charges.get(payment.charge_id) is not None:
                log.info("stars charge %s arrived again; ignored", payment.charge_id)
                return None
        terms = self._terms(identity, payment)
        payer = await self._accounts.profile_for(identity)
        plan = None if terms is None else self._billing.plan(terms.plan)
        if terms is None or plan is None or terms.profile != payer.id:
            log.error(
                "stars charge %s from %s (%s) matches no invoice of theirs; nothing granted",
                payment.charge_id,
                identity,
                payment.payload[:40],
            )
            return Reply(NOT_MATCHED.format(charge=payment.charge_id))
        now = self._clock.now()
        sub = payer.subscription
        renewal = payment.recurring and not payment.first
        if renewal and not await self._renews_ours(payer, payment):
            return Reply(NOT_MATCHED.format(charge=payment.charge_id))
        ours = sub is not None and sub.provider is STARS and (renewal or sub.grants(now))
        previous = sub.current_period_end if ours and sub is not None else None
        if payment.expires is not None:
            end = payment.expires
        else:
            # One period bought: 30 days more, from the end of what is already paid.
            end = max(now, previous or now) + PERIOD
        charge = StarCharge(
            charge_id=payment.charge_id,
            profile_id=payer.id,
            user=payment.user,
            amount=payment.amount,
            recurring=payment.recurring,
            paid_at=payment.paid_at or now,
            period_end=end,
            previous_end=previous,
        )

        async def record(uow: UnitOfWork) -> None:
            # In the transaction that changes the subscription: a crash keeps both or neither.
            await uow.star_charges.add(charge)

        try:
            if renewal:
                change = await self._billing.extend(
                    payer.id,
                    provider=STARS,
                    event_id=payment.charge_id,
                    period_end=end,
                    tell=False,
                    also=record,
                )
            else:
                change = await self._billing.activate(
                    payer.id,
                    provider=STARS,
                    event_id=payment.charge_id,
                    plan=plan,
                    period_end=end,
                    customer_id=payment.user,
                    subscription_id=payment.charge_id,
                    price_id=f"{CURRENCY}:{payment.amount}",
                    renews=payment.recurring,
                    tell=False,
                    also=record,
                )
        except DomainError as e:
            log.error("stars charge %s for profile %s: %s", payment.charge_id, payer.id, e)
            return Reply(NOT_MATCHED.format(charge=payment.charge_id))
        if change.duplicate:
            return None
        if change.conflict is not None:
            return await self._second(payer, charge, change)
        return await self._thanks(payer, payment, change, end)

    async def _renews_ours(self, payer: Profile, payment: StarsPayment) -> bool:
        """Whether a renewal belongs to the payer's Stars subscription: its first charge is
        recorded for this profile and this Telegram user, at this price."""
        sub = payer.subscription
        first = None
        if sub is not None and sub.provider is STARS and sub.subscription_id:
            async with self._uow() as uow:
                first = await uow.star_charges.get(sub.subscription_id)
        if (
            first is not None
            and first.recurring
            and first.profile_id == payer.id
            and first.user == payment.user
            and first.amount == payment.amount
        ):
            return True
        log.error(
            "stars renewal %s from %s matches no subscription of profile %s; nothing granted",
            payment.charge_id,
            payment.user,
            payer.id,
        )
        return False

    async def _second(self, payer: Profile, charge: StarCharge, change: Change) -> Reply:
        """Stars paid while another subscription runs (a race past the pre-checkout check):
        Telegram gives them back at once; the charge is kept, refunded, for /paysupport."""
        running = change.conflict
        assert running is not None
        refunded: datetime | None = None
        try:
            await self._checkout.refund(charge.user, charge.charge_id)
            refunded = self._clock.now()
            if charge.recurring:
                await self._checkout.stop_renewal(charge.user, charge.charge_id)
        except PaymentRefused as e:
            log.error(
                "SECOND PAYMENT: stars charge %s of profile %s NOT refunded (%s): refund it "
                "with `postroom admin refund`",
                charge.charge_id,
                payer.id,
                e,
            )
        async with self._uow() as uow:
            await uow.star_charges.add(replace(charge, refunded_at=refunded))
            await uow.commit()
        via = "by card (Stripe)" if running.provider is Provider.STRIPE else "in Telegram Stars"
        until = ""
        if running.current_period_end is not None:
            until = f" until {format_local(running.current_period_end, payer.timezone)}"
        text = f"You already pay for Pro {via}{until}, so this payment was not needed. "
        if refunded is not None:
            text += f"Your {charge.amount} Stars were refunded to your Stars balance."
        else:
            text += (
                f"Your {charge.amount} Stars will be refunded; send /paysupport if they are "
                f"not back soon (code {charge.charge_id})."
            )
        return Reply(text)

    def _terms(self, identity: Identity, payment: StarsPayment) -> InvoiceTerms | None:
        try:
            return self._signer.read(payment.payload)
        except BadPayload as e:
            if not payment.recurring or payment.first:
                log.warning("stars charge %s from %s: %s", payment.charge_id, identity, e)
                return None
        # A renewal is charged against the subscription's first invoice, perhaps signed with
        # the key of an earlier bot token: it still counts for the profile it names when that
        # is the payer's (checked next). Payments come from Telegram only.
        try:
            terms = parse(payment.payload)
        except BadPayload:
            return None
        log.warning("stars renewal %s carries an old signature", payment.charge_id)
        return terms

    async def _thanks(
        self, payer: Profile, payment: StarsPayment, change: Change, end: datetime
    ) -> Reply:
        """One message: thanks, what the payment gave (billing's own news of the tier and
        the posts released, which it did not send), how it renews; any further news of
        billing's (posts whose time passed while held) follows it."""
        until = format_local(end, payer.timezone)
        news = change.told[0].text if change.told else ""
        if payment.recurring and not payment.first:
            head = f"Thank you! Your Pro subscription renewed until {until}."
            tail = ""
        else:
            head = f"Thank you for your {payment.amount} Stars!"
            news = news or f"You're on Pro until {until}."
            tail = (
                "It renews every 30 days; cancel any time in Telegram's Settings → My Stars."
                if payment.recurring
                else "Pay again before then to add 30 days: /upgrade."
            )
        if change.told[1:]:
            async with self._uow() as uow:
                identities = await uow.profiles.identities(payer.id)
            for reply in change.told[1:]:
                await self._billing.send(payer.id, identities, reply)
        return Reply(" ".join(part for part in (head, news, tail) if part))

    # --- refunds ------------------------------------------------------------------------

    async def refund(self, profile: Profile) -> str:
        """The operator refunds the profile's latest Stars payment: Telegram returns the
        Stars, the renewal stops, Pro goes back to where it was before that payment, and the
        user is told. Returns a line for the operator."""
        async with self._uow() as uow:
            charge = await uow.star_charges.latest(profile.id)
        if charge is None:
            raise DomainError(f"profile {profile.id} has no Stars payment left to refund")
        try:
            await self._checkout.refund(charge.user, charge.charge_id)
        except PaymentRefused as e:
            raise DomainError(f"{e} (nothing changed)") from None
        if charge.recurring:
            try:
                await self._checkout.stop_renewal(charge.user, charge.charge_id)
            except PaymentRefused as e:
                log.warning("stars charge %s refunded, but its renewal: %s", charge.charge_id, e)
        change = await self._revert(charge)
        after = "" if change is None else f"; the profile is on {change.tier.label} now"
        return f"refunded {charge.amount} Stars (charge {charge.charge_id}){after}"

    async def refunded(self, identity: Identity, charge_id: str) -> Reply | None:
        """Telegram's refunded_payment message: a refund the operator's command made says
        nothing more; one made another way takes the period back too (and tells)."""
        async with self._uow() as uow:
            charge = await uow.star_charges.get(charge_id)
        if charge is None:
            log.warning("telegram refunded charge %s we never recorded", charge_id)
        elif charge.refunded_at is None:
            await self._revert(charge)
        return None

    async def _revert(self, charge: StarCharge) -> Change | None:
        """Mark the charge refunded (once) and put the period end back, in one transaction
        (a crash leaves both undone, and Telegram's refunded_payment or the operator's
        command does it again); tell the payer."""
        now = self._clock.now()
        marked: list[bool] = []

        async def mark(uow: UnitOfWork) -> None:
            marked.append(await uow.star_charges.mark_refunded(charge.charge_id, now))

        change: Change | None = None
        if charge.profile_id is not None:
            try:
                change = await self._billing.revert(
                    charge.profile_id,
                    provider=STARS,
                    event_id=f"refund:{charge.charge_id}",
                    period_end=charge.previous_end,
                    tell=False,
                    also=mark,
                )
            except DomainError as e:  # the subscription is another provider's by now
                log.warning("stars refund of %s changed no subscription: %s", charge.charge_id, e)
        if not marked:  # nothing to revert (or it was reverted before): the mark alone
            async with self._uow() as uow:
                marked.append(await uow.star_charges.mark_refunded(charge.charge_id, now))
                await uow.commit()
            change = None
        if not marked[0] or charge.profile_id is None:
            return change
        async with self._uow() as uow:
            profile = await uow.profiles.get(charge.profile_id)
            identities = await uow.profiles.identities(charge.profile_id)
        if profile is None:
            return change
        note = Reply(self._refund_note(charge, profile))
        for reply in [note, *([] if change is None else change.told)]:
            await self._billing.send(profile.id, identities, reply)
        return change

    def _refund_note(self, charge: StarCharge, profile: Profile) -> str:
        when = format_local(charge.paid_at, profile.timezone)
        return (
            f"Your payment of {charge.amount} Stars from {when} was refunded to your Stars "
            "balance, and the Pro time it bought was taken back. Your posts and connections "
            "are kept."
        )
