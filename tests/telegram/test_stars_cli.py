"""`postroom admin refund IDENTITY` through the CLI, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.db.uow import SqlUnitOfWorkFactory
from bot.cli import main
from core.model import Tier
from tests.fakes.serve import Serve, serving
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    async with serving() as start:
        yield start


@pytest.fixture
async def paid(
    make_world: MakeWorld,
    uow_factory: SqlUnitOfWorkFactory,
    db_url: str,
    tmp_path: Path,
    serve: Serve,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    """Ana paid for Pro in a bot on the test database; the CLI is pointed at the same bot."""
    fake = FakeTelegramAPI()
    world = await make_world(tier=Tier.FREE, uow=uow_factory, stars_price=250, fake=fake)
    await world.tg.say("/upgrade")
    invoice = fake.stars.by_link(str(world.tg.last().buttons()[0]["url"]))
    assert await world.tg.pay(invoice) is not None
    env = {
        "POSTROOM_DATABASE_URL": db_url,
        "POSTROOM_VAR_DIR": str(tmp_path / "var"),
        "POSTROOM_SECRET_KEYS": generate_key_spec("t1"),
        "POSTROOM_TELEGRAM_TOKEN": TOKEN,
        "POSTROOM_TELEGRAM_API_URL": await serve(fake) + "/bot",
        "POSTROOM_PRO_STARS_PRICE": "250",
        "POSTROOM_DEFAULT_TIER": "free",  # as the world's (the sandbox's default is pro)
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POSTROOM_AYRSHARE_API_KEY", raising=False)
    return world


async def run_cli(*argv: str) -> int:
    # The CLI owns its event loop (asyncio.run); the fake is served from this one.
    return await asyncio.to_thread(main, list(argv))


async def test_admin_refund_refunds_reverts_and_tells_the_user(
    paid: World, engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = paid.fake
    (charge,) = fake.stars.charges.values()
    assert await run_cli("admin", "refund", f"telegram:{ANA.id}") == 0
    assert capsys.readouterr().out == (
        f"telegram:{ANA.id}: refunded 250 Stars (charge {charge.charge_id}); "
        "the profile is on Free now\n"
    )
    assert charge.refunded and charge.canceled
    note, ended = fake.chat_messages(ANA.id)[-2:]
    assert note.text.startswith("Your payment of 250 Stars from")
    assert ended.text.startswith("Your Pro plan has ended")
    async with engine.connect() as conn:
        tier = (await conn.execute(text("SELECT tier FROM profiles"))).scalar_one()
        refunded = (await conn.execute(text("SELECT refunded_at FROM star_charges"))).scalar()
    assert tier == "free" and refunded is not None

    # Again: nothing left to refund, nothing asked of Telegram.
    assert await run_cli("admin", "refund", f"telegram:{ANA.id}") == 1
    assert "has no Stars payment left to refund" in capsys.readouterr().err
    assert len(fake.calls_to("refundStarPayment")) == 1


async def test_admin_refund_of_an_unknown_identity(
    paid: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli("admin", "refund", "telegram:424242") == 1
    assert "no profile for telegram:424242" in capsys.readouterr().err
    assert await run_cli("admin", "refund", "nobody") == 2
    assert "identity must look like" in capsys.readouterr().err
    assert paid.fake.calls_to("refundStarPayment") == []


async def test_admin_show_and_revoke_for_a_star_subscriber(
    paid: World, capsys: pytest.CaptureFixture[str]
) -> None:
    (charge,) = paid.fake.stars.charges.values()
    assert await run_cli("admin", "show", f"telegram:{ANA.id}") == 0
    shown = dict(line.split(": ", 1) for line in capsys.readouterr().out.strip().splitlines())
    assert shown["plan"] == "pro" and shown["provider"] == "telegram_stars"
    assert shown["renews"] == "2026-12-24T10:00+00:00" and shown["ends"] == "-"
    assert shown["posts this month"] == "0 of 1000"
    assert shown["subscription"] == (
        "telegram_stars active plan=pro period_end=2026-12-24T10:00+00:00 "
        f"cancel_at_period_end=false customer={ANA.id} id={charge.charge_id}"
    )
    # Revoking grants leaves what the user pays for alone.
    assert await run_cli("admin", "revoke", f"telegram:{ANA.id}") == 0
    assert "is now Pro" in capsys.readouterr().out
    assert paid.fake.calls_to("refundStarPayment") == []
