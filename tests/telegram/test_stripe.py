"""Stripe from Telegram: /upgrade offers Checkout as a second way to pay, in the private chat
only; /billing links to the Customer Portal; the fake Bot API and the fake Stripe API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.stripe.wire import read_event
from core.model import ChatPlatform, Identity, Tier
from tests.fakes.stripe_api import FakeStripe
from tests.stripe.conftest import stripe_values
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP

GROUP_ID = int(GROUP["id"])


@pytest.fixture
async def shop(make_world: MakeWorld, fake_stripe: FakeStripe) -> AsyncIterator[World]:
    world = await make_world(tier=Tier.FREE, settings=stripe_values(fake_stripe))
    yield world
    await world.services.aclose()


def urls(world: World, chat_id: int = ANA.id) -> list[str]:
    return [str(b["url"]) for b in world.tg.last(chat_id).buttons() if "url" in b]


async def test_upgrade_offers_checkout_in_private(shop: World, fake_stripe: FakeStripe) -> None:
    await shop.tg.say("/upgrade")
    assert "💳" in shop.tg.last().text  # the price line
    [checkout] = urls(shop)
    assert checkout.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    form = fake_stripe.called("/v1/checkout/sessions")[0].form
    assert form["metadata"]["identity"] == f"telegram:{ANA.id}"
    # A second /upgrade is a new session (an old one may have expired), nothing paid twice.
    await shop.tg.say("/upgrade")
    assert len(fake_stripe.called("/v1/checkout/sessions")) == 2
    assert not fake_stripe.subscriptions


async def test_group_upgrade_and_billing_point_to_the_private_chat(
    shop: World, fake_stripe: FakeStripe
) -> None:
    await shop.tg.say("/upgrade", chat=GROUP)
    shown = shop.tg.last(GROUP_ID)
    assert "in a private chat with me" in shown.text
    assert all("checkout.stripe.com" not in u for u in urls(shop, GROUP_ID))
    await shop.tg.say("/billing", chat=GROUP)
    assert "in a private chat with me" in shop.tg.last(GROUP_ID).text
    assert fake_stripe.calls == []  # no link was made for the group to see


async def test_billing_portal_after_paying(shop: World, fake_stripe: FakeStripe) -> None:
    await shop.tg.say("/billing")
    assert "no card subscription with Stripe" in shop.tg.last().text
    await shop.tg.say("/upgrade")
    session = urls(shop)[0].rsplit("/", 1)[1]
    event = fake_stripe.pay(session, period_end=shop.clock.now() + timedelta(days=30))
    assert shop.services.stripe is not None
    await shop.services.stripe.events.handle(read_event(event))
    assert "You're on Pro" in shop.tg.last().text  # told in the private chat

    await shop.tg.say("/billing")
    [portal] = urls(shop)
    assert portal.startswith("https://billing.stripe.com/p/session/")
    # Stripe down: a clear answer, no link.
    fake_stripe.down = True
    await shop.tg.say("/billing")
    assert "Stripe did not answer" in shop.tg.last().text
    # Ben has nothing at Stripe.
    fake_stripe.down = False
    await shop.tg.say("/billing", user=BEN)
    assert "no card subscription with Stripe" in shop.tg.last(BEN.id).text
    async with shop.uow() as uow:
        ben = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(BEN.id)))
    assert ben is not None and ben.tier is Tier.FREE
