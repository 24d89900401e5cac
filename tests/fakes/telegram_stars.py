"""The Bot API's Telegram Stars methods for the fake: invoices, pre-checkout answers, charges."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["FakeCharge", "FakeInvoice", "FakeStars", "StarsError"]

JSON = dict[str, Any]

# Bot API limits for invoices (https://core.telegram.org/bots/api#createinvoicelink): title
# 1-32 characters, description 1-255, payload 1-128 bytes; a Stars invoice has exactly one
# price, no provider token; a subscription's period is 30 days and its price at most 10,000.
MAX_TITLE, MAX_DESCRIPTION, MAX_PAYLOAD = 32, 255, 128
SUBSCRIPTION_PERIOD = 2_592_000
SUBSCRIPTION_MAX_PRICE = 10_000
# answerPreCheckoutQuery: "the Bot API must receive an answer within 10 seconds after the
# pre-checkout query was sent" (https://core.telegram.org/bots/api#answerprecheckoutquery).
PRE_CHECKOUT_TIMEOUT = 10.0
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# What Telegram answers a refund of a charge already refunded (also seen, by mistake, for a
# recurring charge it did refund: tdlib/telegram-bot-api#690).
ALREADY_REFUNDED = "Bad Request: CHARGE_ALREADY_REFUNDED"


class StarsError(Exception):
    def __init__(self, description: str, code: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(slots=True)
class FakeInvoice:
    """An invoice the bot made (createInvoiceLink)."""

    title: str
    description: str
    payload: str
    currency: str
    amount: int
    period: int | None  # seconds: a subscription
    link: str | None = None


@dataclass(slots=True)
class FakeCharge:
    """A payment Telegram made for a user: what `successful_payment` reported."""

    charge_id: str
    user_id: int
    invoice: FakeInvoice
    expires: int | None  # Unix time the subscription period ends
    recurring: bool
    refunded: bool = False
    canceled: bool = False  # editUserStarSubscription(is_canceled=True)

    def successful_payment(self, *, first: bool) -> JSON:
        paid: JSON = {
            "currency": self.invoice.currency,
            "total_amount": self.invoice.amount,
            "invoice_payload": self.invoice.payload,
            "telegram_payment_charge_id": self.charge_id,
            "provider_payment_charge_id": "",
        }
        if self.recurring:
            paid |= {"is_recurring": True, "subscription_expiration_date": self.expires}
            if first:
                paid["is_first_recurring"] = True
        return paid


class FakeStars:
    """Invoices made, pre-checkout queries and their answers, the charges Telegram made and
    refunded; `wall_clock` gives Unix time for subscription periods (tests share core's)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock  # the fake's clock, for the 10 s pre-checkout deadline
        self.wall_clock: Callable[[], float] = time.time
        self.invoices: list[FakeInvoice] = []
        self.charges: dict[str, FakeCharge] = {}
        self.answers: dict[str, JSON] = {}  # pre-checkout query id -> the bot's answer
        self.subscriptions = True  # False: createInvoiceLink refuses subscription_period
        self._asked: dict[str, float] = {}  # query id -> when it was sent
        self._slugs = itertools.count(1)
        self._charge_ids = itertools.count(1)

    # --- test controls -----------------------------------------------------------------------

    def by_link(self, link: str) -> FakeInvoice:
        found = next((i for i in self.invoices if i.link == link), None)
        assert found is not None, f"no invoice link {link!r} was made"
        return found

    def ask(self, query_id: str) -> None:
        """A pre-checkout query Telegram just sent; it expects one answer within 10 s."""
        self._asked[query_id] = self.clock()

    def charge(self, user_id: int, invoice: FakeInvoice) -> FakeCharge:
        """Telegram takes the Stars: a new charge, a subscription's first period from now."""
        expires = None
        if invoice.period is not None:
            expires = int(self.wall_clock()) + invoice.period
        charge = FakeCharge(
            f"stxFake{next(self._charge_ids):04d}", user_id, invoice, expires, expires is not None
        )
        self.charges[charge.charge_id] = charge
        return charge

    def renew(self, first: FakeCharge) -> FakeCharge:
        """The subscription's next period charged: a new charge id, the period moved on."""
        assert first.expires is not None and first.invoice.period is not None
        charge = FakeCharge(
            f"stxFake{next(self._charge_ids):04d}",
            first.user_id,
            first.invoice,
            first.expires + first.invoice.period,
            True,
        )
        self.charges[charge.charge_id] = charge
        return charge

    # --- methods -----------------------------------------------------------------------------

    def create_invoice_link(self, p: JSON) -> str:
        invoice = self._invoice(p)
        if invoice.period is not None and not self.subscriptions:
            raise StarsError("Bad Request: SUBSCRIPTION_PERIOD_INVALID")
        invoice.link = f"https://t.me/$fakeInvoice{next(self._slugs)}"
        self.invoices.append(invoice)
        return invoice.link

    def answer_pre_checkout(self, p: JSON) -> bool:
        query = str(p.get("pre_checkout_query_id", ""))
        asked = self._asked.get(query)
        if asked is None or query in self.answers:
            raise StarsError(TOO_OLD)
        if self.clock() - asked > PRE_CHECKOUT_TIMEOUT:
            raise StarsError(TOO_OLD)
        ok = p.get("ok")
        if not isinstance(ok, bool):
            raise StarsError("Bad Request: ok must be a boolean")
        if not ok and not str(p.get("error_message", "")).strip():
            raise StarsError("Bad Request: error_message is required when ok is False")
        self.answers[query] = {"ok": ok, "error_message": p.get("error_message")}
        return True

    def refund(self, p: JSON) -> bool:
        charge = self._charge(p)
        if charge.refunded:
            raise StarsError(ALREADY_REFUNDED)
        charge.refunded = True
        return True

    def edit_subscription(self, p: JSON) -> bool:
        charge = self._charge(p)
        if not charge.recurring:
            raise StarsError("Bad Request: the payment is not a subscription payment")
        canceled = p.get("is_canceled")
        if not isinstance(canceled, bool):
            raise StarsError("Bad Request: is_canceled must be a boolean")
        charge.canceled = canceled
        return True

    # --- checks ------------------------------------------------------------------------------

    def _invoice(self, p: JSON) -> FakeInvoice:
        title, description = str(p.get("title", "")), str(p.get("description", ""))
        payload = str(p.get("payload", ""))
        if not 1 <= len(title) <= MAX_TITLE:
            raise StarsError("Bad Request: invoice title must be 1-32 characters")
        if not 1 <= len(description) <= MAX_DESCRIPTION:
            raise StarsError("Bad Request: invoice description must be 1-255 characters")
        if not 1 <= len(payload.encode()) <= MAX_PAYLOAD:
            raise StarsError("Bad Request: INVOICE_PAYLOAD_INVALID")
        currency = str(p.get("currency", ""))
        prices = p.get("prices")
        if not isinstance(prices, list) or not prices:
            raise StarsError("Bad Request: can't parse prices JSON object")
        if currency == "XTR":
            if p.get("provider_token"):
                raise StarsError("Bad Request: provider_token must be empty for Telegram Stars")
            if len(prices) != 1:
                raise StarsError("Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
        amount = sum(int(price.get("amount", 0)) for price in prices)
        if amount <= 0:
            raise StarsError("Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID")
        period = p.get("subscription_period")
        if period is not None:
            if currency != "XTR" or int(period) != SUBSCRIPTION_PERIOD:
                raise StarsError("Bad Request: SUBSCRIPTION_PERIOD_INVALID")
            if amount > SUBSCRIPTION_MAX_PRICE:
                raise StarsError("Bad Request: SUBSCRIPTION_PRICE_INVALID")
        return FakeInvoice(
            title,
            description,
            payload,
            currency,
            amount,
            None if period is None else int(period),
        )

    def _charge(self, p: JSON) -> FakeCharge:
        charge = self.charges.get(str(p.get("telegram_payment_charge_id", "")))
        if charge is None or charge.user_id != int(p.get("user_id", 0)):
            raise StarsError("Bad Request: CHARGE_NOT_FOUND")
        return charge
