"""Stars and Stripe in one Telegram bot, on SQL: one paying subscription at a time. /upgrade
while one runs points to /billing; a second payment that gets through anyway (an old link,
a race) is refunded (Stars) or canceled and flagged for a refund (Stripe), the first kept."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from bot.stripe_web import stripe_routes
from bot.web import create_app
from core.model import Provider, Tier
from tests.fakes.stripe_api import FakeStripe, dumps, sign
from tests.stripe.conftest import stripe_values
from tests.telegram.conftest import START, MakeWorld, World
from tests.telegram.driver import ANA
from tests.telegram.test_stars import PRICE, _invoice, _profile

MONTH = timedelta(days=30)


@pytest.fixture
async def shop(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory, fake_stripe: FakeStripe
) -> AsyncIterator[World]:
    world = await make_world(
        tier=Tier.FREE, uow=uow_factory, stars_price=PRICE, settings=stripe_values(fake_stripe)
    )
    yield world
    await world.services.aclose()


async def deliver(world: World, event: dict[str, Any]) -> str:
    """A signed event through the bot's web app: the outcome it answers."""

    async def up() -> bool:
        return True

    app = create_app(up, stripe_routes(world.services.stripe))
    body = dumps(event)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://bot.example"
    ) as web:
        answer = await web.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": sign(body)}
        )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


def checkout_session(world: World) -> str:
    """The Checkout Session of the card button /upgrade showed last."""
    urls = [str(b["url"]) for b in world.tg.last().buttons() if "checkout.stripe" in str(b)]
    assert len(urls) == 1, world.tg.last().labels()
    return urls[0].rsplit("/", 1)[1]


async def test_a_card_subscription_paid_while_stars_run_is_canceled_and_flagged(
    shop: World, fake_stripe: FakeStripe, caplog: pytest.LogCaptureFixture
) -> None:
    await shop.tg.say("/upgrade")
    labels = shop.tg.last().labels()
    assert labels == ["⭐ Subscribe: 250 Stars a month", "💳 Subscribe by card: Stripe Checkout"]
    session = checkout_session(shop)  # the card link, kept open in a browser tab
    charge = shop.fake.stars.charge(ANA.id, shop.fake.stars.invoices[-1])
    await shop.tg.paid(charge, first=True)  # paid in Stars
    assert (await _profile(shop)).tier is Tier.PRO

    sessions = len(fake_stripe.called("/v1/checkout/sessions"))
    links = len(shop.fake.calls_to("createInvoiceLink"))
    await shop.tg.say("/upgrade")
    said = shop.tg.last()
    assert said.text.startswith("You're already on Pro; it renews Thu 24 Dec 2026")
    assert "paid in Telegram Stars: a second subscription is not needed. /billing" in said.text
    assert said.buttons() == []
    assert len(fake_stripe.called("/v1/checkout/sessions")) == sessions
    assert len(shop.fake.calls_to("createInvoiceLink")) == links

    event = fake_stripe.pay(session, period_end=START + 2 * MONTH)  # the old tab, paid
    card = str(fake_stripe.sessions[session]["subscription"])
    with caplog.at_level(logging.ERROR):
        assert await deliver(shop, event) == "second"
    assert fake_stripe.subscriptions[card]["status"] == "canceled"
    assert any(
        "SECOND PAYMENT" in r.getMessage() and card in r.getMessage() for r in caplog.records
    )
    sub = (await _profile(shop)).subscription
    assert sub is not None and sub.provider is Provider.TELEGRAM_STARS
    assert sub.current_period_end == START + MONTH
    assert "its payment will be refunded to your card" in shop.tg.last().text


async def test_stars_paid_while_a_card_subscription_runs_are_refunded(
    shop: World, fake_stripe: FakeStripe
) -> None:
    await shop.tg.say("/upgrade")
    invoice = shop.fake.stars.invoices[-1]  # the Stars link, kept for later
    event = fake_stripe.pay(checkout_session(shop), period_end=START + MONTH)
    assert await deliver(shop, event) == "applied"
    assert (await _profile(shop)).tier is Tier.PRO

    await shop.tg.say("/upgrade")
    assert "paid by card (Stripe): a second subscription is not needed" in shop.tg.last().text
    # The old Stars link tapped: Telegram asks first, and the bot says no.
    answer = await shop.tg.pre_checkout(invoice)
    assert answer == {
        "ok": False,
        "error_message": "You pay for Pro by card already; nothing was charged. /billing "
        "changes or cancels that subscription.",
    }
    # Paid anyway (the card subscription started between the check and the charge): the
    # Stars go back at once, the card subscription stays.
    charge = shop.fake.stars.charge(ANA.id, invoice)
    await shop.tg.paid(charge, first=True)
    (refund,) = shop.fake.calls_to("refundStarPayment")
    assert refund.params["telegram_payment_charge_id"] == charge.charge_id
    assert charge.refunded and charge.canceled
    assert shop.tg.last().text == (
        "You already pay for Pro by card (Stripe) until Thu 24 Dec 2026, 10:00 (UTC), so this "
        "payment was not needed. Your 250 Stars were refunded to your Stars balance."
    )
    sub = (await _profile(shop)).subscription
    assert sub is not None and sub.provider is Provider.STRIPE
    # /paysupport lists it; the operator has nothing left to refund; a replay is silent.
    await shop.tg.say("/paysupport")
    assert charge.charge_id in shop.tg.last().text
    stars = shop.services.stars
    assert stars is not None
    sent = len(shop.fake.calls_to("sendMessage"))
    await shop.tg.paid(charge, first=True)
    assert len(shop.fake.calls_to("sendMessage")) == sent
    assert len(shop.fake.calls_to("refundStarPayment")) == 1


async def test_more_stars_on_a_period_bought_in_stars_offer_no_card(
    shop: World, fake_stripe: FakeStripe
) -> None:
    shop.fake.stars.subscriptions = False
    assert await shop.tg.pay(await _invoice(shop)) is not None  # one period, not renewing
    sessions = len(fake_stripe.called("/v1/checkout/sessions"))
    await shop.tg.say("/upgrade")
    assert shop.tg.last().labels() == ["⭐ Pay 250 Stars for 30 days"]
    assert len(fake_stripe.called("/v1/checkout/sessions")) == sessions
