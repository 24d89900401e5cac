"""POST /stripe/webhook: signed events through the web app against the fake Stripe API."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.logs import settings_secrets
from core.model import Provider, SubscriptionStatus, Tier
from tests.fakes.stripe_api import SECRET_KEY, WEBHOOK_SECRET, dumps, sign
from tests.stripe.conftest import Shop

DAYS_30 = timedelta(days=30)


async def rows(engine: AsyncEngine, sql: str) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql))).all()]


async def paid(shop: Shop, user: str = "ana") -> str:
    """`user` subscribes through Checkout; the subscription id."""
    session = await shop.checkout(user)
    event = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    answer = await shop.deliver(event)
    assert answer.status_code == 200 and answer.json()["outcome"] == "applied"
    return str(shop.fake.sessions[session]["subscription"])


async def test_checkout_completed_makes_the_profile_pro(shop: Shop) -> None:
    session = await shop.checkout()
    form = shop.fake.called("/v1/checkout/sessions")[0].form
    profile = await shop.profile()
    assert form["mode"] == "subscription"
    assert form["client_reference_id"] == str(profile.id)
    assert form["metadata"]["profile"] == str(profile.id)
    assert form["subscription_data"]["metadata"]["profile"] == str(profile.id)
    assert form["line_items"]["0"] == {"price": "price_pro_monthly", "quantity": "1"}
    assert form["success_url"].startswith("https://bot.example/stripe/return")
    assert profile.tier is Tier.FREE

    event = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    answer = await shop.deliver(event)
    assert answer.status_code == 200
    profile = await shop.profile()
    assert profile.tier is Tier.PRO
    sub = profile.subscription
    assert sub is not None and sub.provider is Provider.STRIPE
    assert sub.customer_id.startswith("cus_") and sub.subscription_id.startswith("sub_")
    assert sub.price_id == "price_pro_monthly" and sub.status is SubscriptionStatus.ACTIVE
    assert sub.current_period_end == (shop.clock.now() + DAYS_30).replace(microsecond=0)
    assert any("Pro" in t for t in shop.told()), shop.told()  # the owner hears it started


@pytest.mark.parametrize("on_items", [True, False])
async def test_both_subscription_shapes_are_read(shop: Shop, on_items: bool) -> None:
    """The period end on the items (API versions since 2025-03-31) or top-level (before)."""
    shop.fake.period_on_items = on_items
    sub_id = await paid(shop)
    end = shop.clock.now() + DAYS_30 * 2
    answer = await shop.deliver(shop.fake.change(sub_id, period_end=int(end.timestamp())))
    assert answer.json()["outcome"] == "applied"
    sub = (await shop.profile()).subscription
    assert sub is not None and sub.current_period_end == end.replace(microsecond=0)


async def test_bad_missing_and_stale_signatures_change_nothing(
    shop: Shop, engine: AsyncEngine
) -> None:
    session = await shop.checkout()
    event = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    body = dumps(event)
    forged = sign(body, secret="whsec_someone_else_entirely_000")
    stale = sign(body, at=int(time.time()) - 301)
    for header in (forged, "", stale, "t=abc,v1=zz", "v1=" + "0" * 64):
        answer = await shop.deliver(event, header=header)
        assert answer.status_code == 400, header
    # The body changed after signing: the signature no longer matches.
    tampered = await shop.web.post(
        "/stripe/webhook",
        content=body.replace('"active"', '"trialing"').replace("cs_test", "cs_evil"),
        headers={"Stripe-Signature": sign(body)},
    )
    assert tampered.status_code == 400
    assert (await shop.profile()).tier is Tier.FREE
    assert await rows(engine, "SELECT count(*) FROM billing_events") == [(0,)]
    # A signature 299 s old is still inside Stripe's 300 s tolerance.
    answer = await shop.deliver(event, at=int(time.time()) - 299)
    assert answer.status_code == 200 and (await shop.profile()).tier is Tier.PRO


async def test_malformed_and_oversized_bodies_are_refused(shop: Shop, engine: AsyncEngine) -> None:
    for body in ("not json", "[]", '{"object": "event"}', '{"object":"event","id":"","type":"x"}'):
        answer = await shop.web.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": sign(body)}
        )
        assert answer.status_code == 400, body
    big = '{"object": "event", "pad": "' + "x" * 600_000 + '"}'
    answer = await shop.web.post(
        "/stripe/webhook", content=big, headers={"Stripe-Signature": sign(big)}
    )
    assert answer.status_code == 413
    assert await rows(engine, "SELECT count(*) FROM billing_events") == [(0,)]


async def test_a_replayed_event_changes_nothing(shop: Shop, engine: AsyncEngine) -> None:
    sub_id = await paid(shop)
    cancel = shop.fake.change(sub_id, "deleted", status="canceled")
    first = await shop.deliver(cancel)
    assert first.json()["outcome"] == "applied"
    assert (await shop.profile()).tier is Tier.FREE
    told = len(shop.told())
    # The same event again (Stripe's retry, or someone replaying a captured delivery).
    again = await shop.deliver(cancel)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert len(shop.told()) == told
    assert await rows(engine, "SELECT count(*) FROM subscriptions") == [(1,)]


async def test_updated_delivered_after_deleted_does_not_revive(shop: Shop) -> None:
    sub_id = await paid(shop)
    updated = shop.fake.change(sub_id, cancel_at_period_end=True)
    deleted = shop.fake.change(sub_id, "deleted", status="canceled")
    assert (await shop.deliver(deleted)).json()["outcome"] == "applied"
    assert (await shop.profile()).tier is Tier.FREE
    # The older event's copy says active: Stripe's own subscription (read again) wins.
    late = await shop.deliver(updated)
    assert late.json()["outcome"] == "applied"
    profile = await shop.profile()
    assert profile.tier is Tier.FREE
    assert profile.subscription is not None
    assert profile.subscription.status is SubscriptionStatus.CANCELED
    assert shop.fake.called(f"/v1/subscriptions/{sub_id}")


async def test_deleted_delivered_after_a_newer_update_still_ends(shop: Shop) -> None:
    """Updated (cancel at period end) then deleted, delivered in the other order."""
    sub_id = await paid(shop)
    renewal = shop.fake.change(sub_id, cancel_at_period_end=True)
    deleted = shop.fake.change(sub_id, "deleted", status="canceled")
    assert (await shop.deliver(renewal)).json()["outcome"] == "applied"
    assert (await shop.deliver(deleted)).json()["outcome"] == "applied"
    profile = await shop.profile()
    assert profile.tier is Tier.FREE
    assert profile.subscription is not None
    assert profile.subscription.status is SubscriptionStatus.CANCELED


async def test_cancel_at_period_end_keeps_pro_until_then(shop: Shop) -> None:
    sub_id = await paid(shop)
    await shop.deliver(shop.fake.change(sub_id, cancel_at_period_end=True))
    profile = await shop.profile()
    assert profile.tier is Tier.PRO
    assert profile.subscription is not None and profile.subscription.cancel_at_period_end
    tier = await shop.say("/tier")
    assert any(f.label == "Ends" for f in tier.fields), tier


async def test_unknown_customer_is_ignored(shop: Shop, engine: AsyncEngine) -> None:
    await shop.say("/start")
    stranger = {
        "id": "sub_stranger",
        "object": "subscription",
        "customer": "cus_stranger",
        "status": "active",
        "current_period_end": int((shop.clock.now() + DAYS_30).timestamp()),
        "items": {"object": "list", "data": []},
    }
    for kind in ("customer.subscription.updated", "customer.subscription.deleted"):
        answer = await shop.deliver(shop.fake.event(kind, stranger))
        assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
    invoice = {"id": "in_x", "object": "invoice", "customer": "cus_stranger"}
    answer = await shop.deliver(shop.fake.event("invoice.payment_failed", invoice))
    assert answer.json()["outcome"] == "ignored"
    assert (await shop.profile()).tier is Tier.FREE
    assert await rows(engine, "SELECT count(*) FROM billing_events") == [(0,)]
    assert shop.told() == []


async def test_checkout_for_a_forged_or_unknown_profile_is_ignored(shop: Shop) -> None:
    session = await shop.checkout()
    event = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    obj = event["data"]["object"]
    for ref, meta in (
        ("999999", "999999"),
        ("abc", "abc"),
        ("1" * 40, ""),
        (obj["client_reference_id"], "2"),
    ):
        forged = shop.fake.event(
            "checkout.session.completed",
            obj | {"client_reference_id": ref, "metadata": {"profile": meta}},
        )
        answer = await shop.deliver(forged)
        assert answer.status_code == 200 and answer.json()["outcome"] == "ignored", ref
    assert (await shop.profile()).tier is Tier.FREE


async def test_stripe_down_answers_503_and_the_retry_applies(shop: Shop) -> None:
    session = await shop.checkout()
    event = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    shop.fake.down = True
    answer = await shop.deliver(event)
    assert answer.status_code == 503
    assert (await shop.profile()).tier is Tier.FREE
    shop.fake.down = False
    answer = await shop.deliver(event)  # Stripe delivers it again
    assert answer.json()["outcome"] == "applied"
    assert (await shop.profile()).tier is Tier.PRO


async def test_payment_failed_tells_the_owner_once(shop: Shop) -> None:
    sub_id = await paid(shop)
    before = len(shop.told())
    first = shop.fake.payment_failed(sub_id, "in_42")
    answer = await shop.deliver(first)
    assert answer.json()["outcome"] == "told"
    told = shop.told()[before:]
    assert len(told) == 1 and "did not go through" in told[0] and "/billing" in told[0]
    sent = shop.out.sent[-1][1]
    assert [b.url for row in sent.buttons for b in row] == [
        "https://invoice.stripe.com/i/acct_1/in_42"
    ]
    # The same event again, and Stripe's next retry of the same invoice: no new message.
    assert (await shop.deliver(first)).json()["outcome"] == "duplicate"
    retry = shop.fake.payment_failed(sub_id, "in_42")
    assert (await shop.deliver(retry)).json()["outcome"] == "duplicate"
    assert len(shop.told()) == before + 1
    # Pro stays while Stripe retries the charge.
    assert (await shop.profile()).tier is Tier.PRO


async def test_other_event_types_are_acknowledged(shop: Shop) -> None:
    answer = await shop.deliver(
        shop.fake.event("customer.created", {"id": "cus_1", "object": "customer"})
    )
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"


def test_the_stripe_secrets_are_kept_out_of_logs(shop: Shop) -> None:
    secrets = set(settings_secrets(shop.services.settings))
    assert {SECRET_KEY, WEBHOOK_SECRET} <= secrets
