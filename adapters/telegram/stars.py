"""Telegram Stars over the Bot API: Pro invoices out; pre-checkout queries and payments in."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from telegram import Bot, LabeledPrice, Message, PreCheckoutQuery
from telegram.constants import InvoiceLimit
from telegram.error import BadRequest, TelegramError

from core.model import ChatPlatform, Identity
from core.replies import Reply
from core.stars.sales import StarsSales
from core.stars_ports import PaymentRefused, StarsOffer, StarsPayment

log = logging.getLogger(__name__)

STARS = "XTR"  # digital goods in Telegram are sold in Stars (https://core.telegram.org/bots/payments-stars)
# createInvoiceLink's subscription_period: 30 days is the only one Telegram accepts, for at
# most 10,000 Stars (https://core.telegram.org/bots/api#createinvoicelink).
MONTH = int(InvoiceLimit.SUBSCRIPTION_PERIOD)
SUBSCRIPTION_MAX_PRICE = int(InvoiceLimit.SUBSCRIPTION_MAX_PRICE)
# Telegram waits 10 s for answerPreCheckoutQuery, then fails the payment; our check gets
# most of them, the answer the rest (https://core.telegram.org/bots/api#answerprecheckoutquery).
CHECK_WITHIN = 7.0
BUSY = "I can't check this payment right now; nothing was charged. Please try again in a minute."
# What refundStarPayment answers for a charge already refunded; tdlib/telegram-bot-api#690
# shows it also answered so, for a while, for a recurring charge it did refund: either way
# the Stars are back with the user.
ALREADY_REFUNDED = "CHARGE_ALREADY_REFUNDED"


class TelegramStars:
    """core's StarsCheckout port: invoice links, refunds and renewal stops over a PTB Bot.
    Invoices are links (createInvoiceLink): a subscription can only be one, and /upgrade
    answers every way to pay with a link button."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def invoice_link(self, offer: StarsOffer) -> tuple[str, bool]:
        """A monthly subscription link where Telegram makes one for this price (True);
        else a link to a one-period invoice (False)."""
        prices = [LabeledPrice(offer.label, offer.price)]
        if offer.price <= SUBSCRIPTION_MAX_PRICE:
            try:
                link = await self._bot.create_invoice_link(
                    offer.title,
                    offer.description,
                    offer.payload,
                    STARS,
                    prices,
                    provider_token="",
                    subscription_period=MONTH,
                )
                return link, True
            except BadRequest as e:
                log.warning("telegram made no Stars subscription link (%s); one period", e)
        try:
            link = await self._bot.create_invoice_link(
                offer.title, offer.description, offer.payload, STARS, prices, provider_token=""
            )
        except TelegramError as e:
            raise PaymentRefused(f"Telegram made no invoice: {e}") from None
        return link, False

    async def refund(self, user: str, charge_id: str) -> None:
        try:
            await self._bot.refund_star_payment(int(user), charge_id)
        except BadRequest as e:
            if ALREADY_REFUNDED.lower() in e.message.lower():  # PTB recases the text
                log.info("telegram charge %s was already refunded", charge_id)
                return
            raise PaymentRefused(f"Telegram refused the refund: {e.message}") from None
        except TelegramError as e:
            raise PaymentRefused(f"Telegram could not be asked for the refund: {e}") from None

    async def stop_renewal(self, user: str, charge_id: str) -> None:
        try:
            await self._bot.edit_user_star_subscription(int(user), charge_id, is_canceled=True)
        except TelegramError as e:
            raise PaymentRefused(f"Telegram did not cancel the subscription: {e}") from None


class StarsUpdates:
    """Pre-checkout queries and payment service messages, handed to core's StarsSales."""

    def __init__(self, sales: StarsSales, *, check_within: float = CHECK_WITHIN) -> None:
        self._sales = sales
        self._check_within = check_within

    async def pre_checkout(self, query: PreCheckoutQuery) -> None:
        """Answer at once, and within Telegram's 10 s whatever happens: ok only when core
        finds the invoice is this user's, for this plan at this price."""
        refusal: str | None = BUSY
        try:
            refusal = await asyncio.wait_for(
                self._sales.check(
                    _identity(query.from_user.id),
                    query.invoice_payload,
                    query.currency,
                    query.total_amount,
                ),
                self._check_within,
            )
        except TimeoutError:
            log.warning("pre-checkout %s: the check took too long; refused", query.id)
        except Exception:
            log.exception("pre-checkout %s: the check failed; refused", query.id)
        try:
            if refusal is None:
                await query.answer(ok=True)
            else:
                await query.answer(ok=False, error_message=refusal)
        except TelegramError as e:
            log.warning("pre-checkout %s could not be answered: %s", query.id, e)

    async def paid(self, message: Message) -> Reply | None:
        """A successful_payment service message: what to tell the payer (None: nothing)."""
        paid = message.successful_payment
        user = message.from_user
        if paid is None or user is None:
            return None
        payment = StarsPayment(
            charge_id=paid.telegram_payment_charge_id,
            user=str(user.id),
            payload=paid.invoice_payload,
            currency=paid.currency,
            amount=paid.total_amount,
            paid_at=_aware(message.date),
            recurring=bool(paid.is_recurring),
            first=bool(paid.is_first_recurring),
            expires=_aware(paid.subscription_expiration_date),
        )
        return await self._sales.paid(_identity(user.id), payment)

    async def refunded(self, message: Message) -> Reply | None:
        """A refunded_payment service message (Telegram tells the bot of every refund)."""
        refund = message.refunded_payment
        user = message.from_user
        if refund is None or user is None:
            return None
        return await self._sales.refunded(_identity(user.id), refund.telegram_payment_charge_id)


def _identity(user_id: int) -> Identity:
    return Identity(ChatPlatform.TELEGRAM, str(user_id))


def _aware(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
