"""Stripe through the web app against the fake Stripe API, where money could go wrong: /forget
cancels the card subscription and keeps the events handled, one paying subscription at a time,
an older or canceled state never revives a subscription, a failed-payment notice is retried."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import SubscriptionStatus, Tier
from tests.stripe.conftest import Shop
from tests.stripe.test_webhook import DAYS_30, paid, rows

YES = "Yes, delete everything"


async def test_forget_cancels_the_card_subscription_and_a_replay_stays_a_no_op(
    shop: Shop, engine: AsyncEngine
) -> None:
    session = await shop.checkout()
    completed = shop.fake.pay(session, period_end=shop.clock.now() + DAYS_30)
    assert (await shop.deliver(completed)).json()["outcome"] == "applied"
    sub_id = str(shop.fake.sessions[session]["subscription"])

    question = await shop.say("/forget")
    assert "• your Pro card subscription (Stripe): cancelled first" in question.text
    done = await shop.tap(question, YES)
    assert done.text.startswith("Done: your profile and everything")
    (cancel,) = [c for c in shop.fake.calls if c.method == "DELETE"]
    assert cancel.path == f"/v1/subscriptions/{sub_id}"
    assert shop.fake.subscriptions[sub_id]["status"] == "canceled"  # nothing charged again
    # The event handled stays known, with nobody's id on it.
    assert await rows(engine, "SELECT event_id, profile_id FROM billing_events") == [
        (completed["id"], None)
    ]
    assert await rows(engine, "SELECT count(*) FROM subscriptions") == [(0,)]

    # Ana starts afresh; the captured checkout event replayed, and Stripe's deletion notice,
    # change nothing for anyone.
    await shop.say("/start")
    again = await shop.deliver(completed)
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    deleted = shop.fake.event("customer.subscription.deleted", shop.fake.subscription_json(sub_id))
    assert (await shop.deliver(deleted)).json()["outcome"] == "ignored"
    assert (await shop.profile()).tier is Tier.FREE


async def test_forget_deletes_nothing_while_stripe_cannot_cancel(shop: Shop) -> None:
    sub_id = await paid(shop)
    shop.fake.down = True
    answer = await shop.tap(await shop.say("/forget"), YES)
    assert answer.text.startswith("Your subscription could not be cancelled just now, so nothing")
    profile = await shop.profile()
    assert profile.tier is Tier.PRO and profile.subscription is not None
    shop.fake.down = False
    done = await shop.tap(await shop.say("/forget"), YES)
    assert done.text.startswith("Done:")
    assert shop.fake.subscriptions[sub_id]["status"] == "canceled"


async def test_a_second_checkout_paid_is_canceled_and_flagged_the_first_kept(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = await shop.checkout(), await shop.checkout()  # two links, both open
    paid_first = shop.fake.pay(first, period_end=shop.clock.now() + DAYS_30)
    assert (await shop.deliver(paid_first)).json()["outcome"] == "applied"
    kept = str(shop.fake.sessions[first]["subscription"])

    # /upgrade now points to /billing and makes no third link.
    reply = await shop.say("/upgrade")
    assert reply.text.startswith("You're already on Pro; it renews ")
    assert "paid by card (Stripe): a second subscription is not needed. /billing" in reply.text
    assert reply.buttons == () and len(shop.fake.called("/v1/checkout/sessions")) == 2

    told = len(shop.told())
    paid_second = shop.fake.pay(second, period_end=shop.clock.now() + DAYS_30 * 2)
    extra = str(shop.fake.sessions[second]["subscription"])
    with caplog.at_level(logging.ERROR):
        answer = await shop.deliver(paid_second)
    assert answer.json()["outcome"] == "second"
    assert shop.fake.subscriptions[extra]["status"] == "canceled"  # charges no more
    assert shop.fake.subscriptions[kept]["status"] == "active"
    flag = [r.getMessage() for r in caplog.records if "SECOND PAYMENT" in r.getMessage()]
    assert any(extra in line and "refund its first invoice" in line for line in flag), flag
    sub = (await shop.profile()).subscription
    assert sub is not None and sub.subscription_id == kept
    assert sub.current_period_end == (shop.clock.now() + DAYS_30).replace(microsecond=0)
    (note,) = shop.told()[told:]
    assert "was canceled and its payment will be refunded to your card" in note
    # Delivered again: recorded already, not canceled twice, not told twice.
    assert (await shop.deliver(paid_second)).json()["outcome"] == "duplicate"
    assert len([c for c in shop.fake.calls if c.method == "DELETE"]) == 1
    assert len(shop.told()) == told + 1


async def test_an_older_or_canceled_state_never_revives_the_subscription(shop: Shop) -> None:
    sub_id = await paid(shop)
    stale = shop.fake.event(
        "customer.subscription.updated",
        shop.fake.subscription_json(sub_id),  # active, as it was a minute ago
        created=int(time.time()) - 60,
    )
    assert (await shop.deliver(shop.fake.change(sub_id, "deleted", status="canceled"))).json()[
        "outcome"
    ] == "applied"
    assert (await shop.profile()).tier is Tier.FREE
    # Stripe cannot be read for it any more (the customer was deleted): the late event's own
    # copy is all there is, and it says active.
    del shop.fake.subscriptions[sub_id]
    assert (await shop.deliver(stale)).status_code == 200
    profile = await shop.profile()
    assert profile.tier is Tier.FREE
    assert profile.subscription is not None
    assert profile.subscription.status is SubscriptionStatus.CANCELED

    # Ben's renewal is stopped; an event older than that one, delivered late, says it renews.
    ben = await paid(shop, "ben")
    older = shop.fake.event(
        "customer.subscription.updated",
        shop.fake.subscription_json(ben),
        created=int(time.time()) - 60,
    )
    assert (
        await shop.deliver(shop.fake.change(ben, cancel_at_period_end=True))
    ).status_code == 200
    del shop.fake.subscriptions[ben]
    assert (await shop.deliver(older)).status_code == 200
    sub = (await shop.profile("ben")).subscription
    assert sub is not None and sub.cancel_at_period_end and sub.status is SubscriptionStatus.ACTIVE


async def test_a_failed_payment_notice_is_retried_until_the_chat_has_it(shop: Shop) -> None:
    sub_id = await paid(shop)
    failed = shop.fake.payment_failed(sub_id, "in_7")
    before = len(shop.told())
    shop.out.unreachable = True
    answer = await shop.deliver(failed)
    assert answer.status_code == 503  # Stripe delivers it again later
    shop.out.unreachable = False
    answer = await shop.deliver(failed)
    assert answer.status_code == 200 and answer.json()["outcome"] == "told"
    told = shop.told()[before:]
    assert len(told) == 1 and "did not go through" in told[0]
    assert (await shop.deliver(failed)).json()["outcome"] == "duplicate"
    assert len(shop.told()) == before + 1


async def test_upgrade_while_a_cancelled_card_subscription_runs_points_to_billing(
    shop: Shop,
) -> None:
    sub_id = await paid(shop)
    await shop.deliver(shop.fake.change(sub_id, cancel_at_period_end=True))
    reply = await shop.say("/upgrade")
    assert reply.text.startswith("You're already on Pro; it ends ")
    assert "/billing changes the card, resumes or cancels it" in reply.text
    assert reply.buttons == () and len(shop.fake.called("/v1/checkout/sessions")) == 1
