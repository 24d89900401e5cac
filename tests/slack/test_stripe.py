"""Stripe from Slack: /postroom upgrade and /postroom billing answer with links only the asker
sees (ephemeral), on the real wiring with the fake Stripe API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.stripe_web import stripe_routes
from bot.web import create_app
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.fakes.stripe_api import FakeStripe, dumps, sign
from tests.slack.conftest import System, base_values, running
from tests.slack.driver import ANA, BEN, CHANNEL, TEAM
from tests.stripe.conftest import stripe_values


@pytest.fixture
async def shop(
    engine: AsyncEngine,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    fake_slack: FakeSlackAPI,
    fake_stripe: FakeStripe,
) -> AsyncIterator[System]:
    values = (
        base_values(db_url, tmp_path, fake_slack)
        | {"slack_bot_token": BOT_TOKEN, "default_tier": "free"}
        | stripe_values(fake_stripe)
    )
    async with running(values, clock, fake_slack) as system:
        yield system


def urls(buttons: list[dict[str, object]]) -> list[str]:
    return [str(b["url"]) for b in buttons if "url" in b]


async def webhook(system: System, event: dict[str, object]) -> httpx.Response:
    assert system.services.stripe is not None
    app = create_app(lambda: _ok(), stripe_routes(system.services.stripe))
    body = dumps(event)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://bot.example"
    ) as client:
        return await client.post(
            "/stripe/webhook", content=body, headers={"Stripe-Signature": sign(body)}
        )


async def _ok() -> bool:
    return True


async def test_upgrade_and_billing_are_ephemeral(
    shop: System, fake_stripe: FakeStripe, clock: FixedClock
) -> None:
    slack, fake = shop.slack, shop.fake
    await slack.command("billing")
    assert "no card subscription with Stripe" in fake.answered(CHANNEL).shown

    await slack.command("upgrade")
    offer = fake.answered(CHANNEL)  # response_url, ephemeral: Ana alone sees it
    assert fake.responses[-1][1]["response_type"] == "ephemeral"
    assert fake.in_channel(CHANNEL) == []
    [checkout] = urls(offer.buttons)
    assert checkout.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    session = checkout.rsplit("/", 1)[1]
    form = fake_stripe.called("/v1/checkout/sessions")[0].form
    assert form["metadata"]["identity"] == f"slack:{TEAM}/{ANA.id}"

    paid = fake_stripe.pay(session, period_end=clock.now() + timedelta(days=30))
    assert (await webhook(shop, paid)).json()["outcome"] == "applied"
    assert "You're on Pro" in fake.last(ANA.dm).shown  # told in her DM (conversations.open)

    await slack.command("billing")
    portal = fake.answered(CHANNEL)
    assert fake.responses[-1][1]["response_type"] == "ephemeral"
    [link] = urls(portal.buttons)
    assert link.startswith("https://billing.stripe.com/p/session/")
    assert fake_stripe.called("/v1/billing_portal/sessions")[0].form["customer"].startswith("cus_")

    # Ben, in the same channel, has no subscription: his /billing is his own.
    await slack.command("billing", user=BEN)
    assert "no card subscription with Stripe" in fake.answered(CHANNEL).shown
    assert len(fake_stripe.called("/v1/billing_portal/sessions")) == 1
