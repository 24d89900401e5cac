"""Telegram Stars against the fake Bot API, on SQL, where money could go wrong: /forget stops
the subscription and keeps its charges known, a new subscription never shortens a paid
period, a renewal must belong to a recorded subscription, a refund is reverted whole."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import Tier
from tests.telegram.conftest import START, MakeWorld, World
from tests.telegram.driver import ANA, BEN
from tests.telegram.test_stars import PRICE, _invoice, _pro_until, _profile, _subscribed

MONTH = timedelta(days=30)


@pytest.fixture
async def shop(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    return await make_world(tier=Tier.FREE, uow=uow_factory, stars_price=PRICE)


async def test_forget_stops_the_star_subscription_and_its_charge_stays_known(
    shop: World, engine: AsyncEngine
) -> None:
    charge = await _subscribed(shop)
    await shop.tg.say("/forget")
    assert "• your Pro Star subscription: cancelled first" in shop.tg.last().text
    await shop.tg.tap("Yes, delete everything")
    assert shop.tg.last().text.startswith("Done: your profile and everything")
    (stop,) = shop.fake.calls_to("editUserStarSubscription")
    assert stop.params == {
        "user_id": ANA.id,
        "telegram_payment_charge_id": charge.charge_id,
        "is_canceled": True,
    }
    assert charge.canceled and not charge.refunded
    async with engine.connect() as conn:
        kept = (await conn.execute(text("SELECT * FROM star_charges"))).mappings().all()
    assert [(r["charge_id"], r["profile_id"], r["telegram_user"]) for r in kept] == [
        (charge.charge_id, None, "")
    ]
    # The same payment delivered again to a fresh profile: nothing granted, nothing said.
    await shop.tg.say("/start")
    sent = len(shop.fake.calls_to("sendMessage"))
    await shop.tg.paid(charge, first=True)
    assert len(shop.fake.calls_to("sendMessage")) == sent
    assert await _pro_until(shop) == (Tier.FREE, None)


async def test_forget_of_a_one_period_purchase_has_nothing_to_stop(shop: World) -> None:
    shop.fake.stars.subscriptions = False
    assert await shop.tg.pay(await _invoice(shop)) is not None
    await shop.tg.say("/forget")
    assert "Star subscription" not in shop.tg.last().text
    await shop.tg.tap("Yes, delete everything")
    assert shop.tg.last().text.startswith("Done:")
    assert shop.fake.calls_to("editUserStarSubscription") == []


async def test_a_subscription_bought_on_paid_periods_never_shortens_them(shop: World) -> None:
    shop.fake.stars.subscriptions = False  # one-period invoices only, for now
    for _ in range(2):
        assert await shop.tg.pay(await _invoice(shop)) is not None
    assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)
    shop.fake.stars.subscriptions = True
    invoice = await _invoice(shop)  # more Stars on a period bought in Stars: offered
    assert invoice.period is not None
    assert await shop.tg.pay(invoice) is not None  # its first period ends in 30 days
    assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)


async def test_a_renewal_of_no_recorded_subscription_grants_nothing(shop: World) -> None:
    invoice = await _invoice(shop, BEN)  # an invoice of Ben's, never paid
    renewal = shop.fake.stars.charge(BEN.id, invoice)
    await shop.tg.paid(renewal, first=False, user=BEN)  # "a renewal" of nothing we know
    assert "can't match to an invoice" in shop.tg.last(BEN.id).text
    assert await _pro_until(shop, BEN) == (Tier.FREE, None)


async def test_a_renewal_after_the_lapse_pass_renews_the_same_subscription(shop: World) -> None:
    first = await _subscribed(shop)
    shop.clock.advance(MONTH + timedelta(minutes=5))  # Telegram renews a little late
    assert shop.services.billing_pass is not None
    assert (await shop.services.billing_pass.run()).lapsed == 1
    await shop.tg.renew(first)
    assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)
    assert shop.tg.last().text.startswith("Thank you! Your Pro subscription renewed until")


class _CrashOnRevert:
    """The database, with one crash armed: the transaction that reverts a refund fails at
    its commit (as a process killed there would leave it)."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self.inner = inner
        self.armed = False

    def __call__(self) -> Any:
        return _Unit(self, self.inner())


class _Unit:
    def __init__(self, owner: _CrashOnRevert, inner: Any) -> None:
        self._owner, self._inner, self._uow, self._revert = owner, inner, None, False

    async def __aenter__(self) -> _Unit:
        self._uow = await self._inner.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> Any:
        return await self._inner.__aexit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    @property
    def billing(self) -> Any:
        unit, billing = self, self._uow.billing  # type: ignore[attr-defined]

        class Watched:
            def __getattr__(self, name: str) -> Any:
                return getattr(billing, name)

            async def record_event(self, source: str, event_id: str, **kw: Any) -> bool:
                unit._revert |= event_id.startswith("refund:")
                return bool(await billing.record_event(source, event_id, **kw))

        return Watched()

    async def commit(self) -> None:
        if self._owner.armed and self._revert:
            self._owner.armed = False
            raise ConnectionError("the database went away")
        await self._uow.commit()  # type: ignore[attr-defined]


async def test_a_refund_interrupted_by_a_crash_is_redone_whole(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    db = _CrashOnRevert(uow_factory)
    world = await make_world(tier=Tier.FREE, uow=db, stars_price=PRICE)
    stars = world.services.stars
    assert stars is not None
    await _subscribed(world)
    db.armed = True
    with pytest.raises(ConnectionError):
        await stars.refund(await _profile(world))  # Telegram refunded; our revert crashed
    assert not db.armed
    # Nothing of the revert stayed: the operator's command again finishes it (Telegram
    # answers CHARGE_ALREADY_REFUNDED, which counts as done).
    said = await stars.refund(await _profile(world))
    assert said.endswith("the profile is on Free now")
    assert await _pro_until(world) == (Tier.FREE, START)
