"""/upgrade and /billing with Stripe configured: who sees the links, what each answers."""

from __future__ import annotations

from datetime import timedelta

from core.model import ChatKind, Tier
from tests.stripe.conftest import Shop


async def test_upgrade_lists_the_card_price_and_one_link(shop: Shop) -> None:
    reply = await shop.say("/upgrade")
    assert "💳" in reply.text and "(Stripe)" in reply.text
    assert "postroom admin grant" not in reply.text
    await shop.checkout()
    assert len(shop.fake.called("/v1/checkout/sessions")) == 2  # each /upgrade, its own


async def test_a_returning_subscriber_keeps_the_stripe_customer(shop: Shop) -> None:
    session = await shop.checkout()
    event = shop.fake.pay(session, period_end=shop.clock.now() + timedelta(days=30))
    await shop.deliver(event)
    customer = shop.fake.sessions[session]["customer"]
    sub_id = str(shop.fake.sessions[session]["subscription"])
    await shop.deliver(shop.fake.change(sub_id, "deleted", status="canceled"))
    assert (await shop.profile()).tier is Tier.FREE
    await shop.checkout()
    assert shop.fake.called("/v1/checkout/sessions")[-1].form["customer"] == customer


async def test_shared_chats_get_a_private_chat_button(shop: Shop) -> None:
    for command, label in (("/upgrade", "Upgrade in a private chat"), ("/billing", "Billing")):
        reply = await shop.say(command, kind=ChatKind.SHARED)
        assert "private chat with me" in reply.text
        [button] = [b for row in reply.buttons for b in row]
        assert label in button.label and button.url is None
        assert button.private == command[1:]
    assert shop.fake.calls == []
    # The private chat's /start payload answers as the command would.
    started = await shop.say("/start billing")
    assert "no card subscription with Stripe" in started.text
    started = await shop.say("/start upgrade")
    assert [b.url for row in started.buttons for b in row if b.url]


async def test_billing_with_and_without_a_customer(shop: Shop) -> None:
    assert "no card subscription with Stripe" in (await shop.say("/billing")).text
    session = await shop.checkout()
    await shop.deliver(shop.fake.pay(session, period_end=shop.clock.now() + timedelta(days=30)))
    reply = await shop.say("/billing")
    [url] = [b.url for row in reply.buttons for b in row]
    assert url is not None and url.startswith("https://billing.stripe.com/p/session/")
    form = shop.fake.called("/v1/billing_portal/sessions")[0].form
    assert form["customer"] == shop.fake.sessions[session]["customer"]
    assert form["return_url"].startswith("https://bot.example/stripe/return")
    # /billing again: a fresh link each time (a portal session is short-lived).
    await shop.say("/billing")
    assert len(shop.fake.called("/v1/billing_portal/sessions")) == 2
    # Bad input after the command is ignored, not an error.
    assert "Stripe's page" in (await shop.say("/billing " + "x" * 3000)).text


async def test_stripe_down_on_upgrade_and_billing(shop: Shop) -> None:
    shop.fake.down = True
    reply = await shop.say("/upgrade")
    assert not [b for row in reply.buttons for b in row if b.url]
    assert "operator" in reply.text  # the other way in
    # Without a Stripe customer, /billing needs no call to say so.
    assert "no card subscription with Stripe" in (await shop.say("/billing")).text


async def test_the_return_page(shop: Shop) -> None:
    done = await shop.web.get("/stripe/return?checkout=done")
    assert done.status_code == 200 and "Thank you" in done.text
    assert done.headers["cache-control"] == "no-store"
    other = await shop.web.get("/stripe/return?checkout=<script>")
    assert "Back to the chat" in other.text and "<script>" not in other.text
