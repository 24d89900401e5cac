"""`postroom doctor` on Stripe through the CLI, against the fake Stripe API on 127.0.0.1: the
key's form, the webhook secret, the price read with the key, and never a secret printed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from tests.e2e.test_doctor import line
from tests.fakes.stripe_api import PRICE, SECRET_KEY, WEBHOOK_SECRET, FakeStripe

PUBLISHABLE = "pk_test_postroomFAKEpublishable0123"


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    secret_spec: str,
    db_url: str,
    engine: AsyncEngine,  # the database, migrated
    fake_stripe: FakeStripe,
) -> Callable[..., None]:
    def setup(**changes: str | None) -> None:
        values: dict[str, str | None] = {
            "POSTROOM_DATABASE_URL": db_url,
            "POSTROOM_VAR_DIR": str(tmp_path / "var"),
            "POSTROOM_SECRET_KEYS": secret_spec,
            "POSTROOM_PUBLIC_URL": "https://bot.example",
            "POSTROOM_STRIPE_SECRET_KEY": SECRET_KEY,
            "POSTROOM_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "POSTROOM_STRIPE_PRICE_ID": PRICE,
            "POSTROOM_STRIPE_API_URL": fake_stripe.url,
        } | changes
        for name in ("POSTROOM_AYRSHARE_API_KEY", "POSTROOM_TELEGRAM_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    return setup


async def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["doctor"])  # the CLI owns its event loop
    captured = capsys.readouterr()
    for secret in (SECRET_KEY, WEBHOOK_SECRET, PUBLISHABLE):
        assert secret not in captured.out + captured.err, "a secret reached the report"
    return code, captured.out


async def test_stripe_all_good(
    env: Callable[..., None], fake_stripe: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    env()
    code, out = await doctor(capsys)
    assert code == 0, out
    assert line(out, "stripe key").startswith("  ok") and "a test-mode secret key" in out
    webhook = line(out, "stripe webhook")
    assert webhook.startswith("  ok") and "https://bot.example/stripe/webhook" in webhook
    assert line(out, "stripe price").endswith(f"{PRICE}: 9.00 eur / month")
    (read,) = fake_stripe.called(f"/v1/prices/{PRICE}")
    assert read.method == "GET"


async def test_stripe_bad_key_secret_and_price_are_named(
    env: Callable[..., None], fake_stripe: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    env(POSTROOM_STRIPE_SECRET_KEY=PUBLISHABLE, POSTROOM_STRIPE_WEBHOOK_SECRET="not-a-secret")
    code, out = await doctor(capsys)
    assert code == 1
    assert line(out, "stripe key").startswith("FAIL") and "a publishable key" in out
    assert line(out, "stripe webhook").startswith("FAIL")
    assert "Stripe refused prices.retrieve" in line(out, "stripe price")

    env(POSTROOM_STRIPE_PRICE_ID="price_gone")
    code, out = await doctor(capsys)
    assert code == 1
    assert "Stripe has no price price_gone" in line(out, "stripe price")


async def test_stripe_half_configured_says_what_is_missing(
    env: Callable[..., None], fake_stripe: FakeStripe, capsys: pytest.CaptureFixture[str]
) -> None:
    env(POSTROOM_STRIPE_WEBHOOK_SECRET=None, POSTROOM_STRIPE_PRICE_ID=None)
    code, out = await doctor(capsys)
    assert code == 1
    assert line(out, "stripe").endswith(
        "Stripe is off: POSTROOM_STRIPE_WEBHOOK_SECRET, POSTROOM_STRIPE_PRICE_ID not set"
    )
    assert fake_stripe.calls == []
