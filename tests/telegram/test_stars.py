"""Pro for Telegram Stars against the fake Bot API, on SQL: invoice → pre-checkout → payment →
Pro, renewals, forged and foreign payments, replays, refunds, /terms and /paysupport."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.telegram.messenger import chat_ref
from core.errors import DomainError
from core.handlers import Actor
from core.invoice_payload import InvoiceTerms, PayloadSigner
from core.model import ChatPlatform, Identity, Profile, Tier
from tests.fakes.telegram_stars import SUBSCRIPTION_PERIOD, FakeCharge, FakeInvoice
from tests.telegram.conftest import START, MakeWorld, World
from tests.telegram.driver import ANA, BEN, User

PRICE = 250
MONTH = timedelta(days=30)


@pytest.fixture
async def shop(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    return await make_world(tier=Tier.FREE, uow=uow_factory, stars_price=PRICE)


async def _profile(world: World, user: User = ANA) -> Profile:
    who = Actor(Identity(ChatPlatform.TELEGRAM, str(user.id)), chat_ref(user.id))
    return await world.postroom.profile_for(who)


async def _pro_until(world: World, user: User = ANA) -> Any:
    profile = await _profile(world, user)
    sub = profile.subscription
    return (profile.tier, None if sub is None else sub.current_period_end)


async def _invoice(world: World, user: User = ANA) -> FakeInvoice:
    await world.tg.say("/upgrade", user=user)
    button = world.tg.last(user.id).buttons()[0]
    return world.fake.stars.by_link(str(button["url"]))


async def _subscribed(world: World) -> FakeCharge:
    charge = await world.tg.pay(await _invoice(world))
    assert charge is not None
    return charge


def _sent_since(world: World, count: int, chat_id: int = ANA.id) -> list[str]:
    sent = world.fake.calls_to("sendMessage")[count:]
    return [str(c.params["text"]) for c in sent if int(c.params["chat_id"]) == chat_id]


async def test_upgrade_offers_a_monthly_star_subscription_and_paying_makes_pro(
    shop: World,
) -> None:
    tg, fake = shop.tg, shop.fake
    await tg.say("/upgrade")
    (link_call,) = fake.calls_to("createInvoiceLink")
    p = link_call.params
    assert p["currency"] == "XTR" and not p.get("provider_token")
    assert p["subscription_period"] == SUBSCRIPTION_PERIOD
    assert [price["amount"] for price in p["prices"]] == [PRICE]
    offer = tg.last()
    assert "⭐ 250 Stars per 30 days (Telegram)" in offer.text
    (button,) = offer.buttons()
    assert button == {"text": "⭐ Subscribe: 250 Stars a month", "url": link_call.result}

    charge = await tg.pay(fake.stars.by_link(str(button["url"])))
    assert charge is not None
    assert fake.stars.answers["pcq1"] == {"ok": True, "error_message": None}
    assert await _pro_until(shop) == (Tier.PRO, START + MONTH)
    assert tg.last().text == (
        "Thank you for your 250 Stars! You're on Pro; it renews Thu 24 Dec 2026, 10:00 (UTC). "
        "It renews every 30 days; cancel any time in Telegram's Settings → My Stars."
    )
    await tg.say("/connect")
    assert "TikTok" in tg.last().labels()  # no longer 🔒


async def test_a_renewal_extends_pro_by_its_period(shop: World) -> None:
    first = await _subscribed(shop)
    shop.clock.advance(MONTH)
    await shop.tg.renew(first)
    assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)
    assert shop.tg.last().text == (
        "Thank you! Your Pro subscription renewed until Sat 23 Jan 2027, 10:00 (UTC)."
    )


async def test_a_replayed_payment_changes_nothing_in_any_worker(
    shop: World, make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    charge = await _subscribed(shop)
    before = len(shop.fake.calls_to("sendMessage"))
    update = await shop.tg.paid(charge, first=True)  # the same charge in a new update
    await shop.tg.deliver(update)  # and that update delivered twice
    # Another worker behind the same webhook, on the same database, gets it too.
    other = await make_world(tier=Tier.FREE, uow=uow_factory, stars_price=PRICE)
    update["update_id"] += 1
    await other.tg.deliver(update)
    assert _sent_since(shop, before) == [] and other.fake.calls_to("sendMessage") == []
    assert await _pro_until(shop) == (Tier.PRO, START + MONTH)
    async with uow_factory() as uow:
        assert len(await uow.star_charges.recent((await _profile(shop)).id, limit=9)) == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda p: p.replace(".pro.", ".max."),  # another plan, old signature
        lambda p: p.split(".", 2)[0] + ".2." + p.split(".", 2)[2],  # another profile
        lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"),  # signature changed
        lambda p: "hello",  # malformed
        lambda p: "p1." + "x" * 200,  # oversized
        lambda p: "",  # empty
    ],
)
async def test_a_forged_payload_is_refused_at_pre_checkout(shop: World, forge: Any) -> None:
    invoice = await _invoice(shop)
    answer = await shop.tg.pre_checkout(invoice, payload=forge(invoice.payload))
    assert answer["ok"] is False
    assert answer["error_message"].startswith("This invoice isn't one I made")
    assert await _pro_until(shop) == (Tier.FREE, None)


async def test_a_forged_payment_message_grants_nothing(shop: World) -> None:
    invoice = await _invoice(shop)
    invoice.payload = invoice.payload.replace(".pro.", ".max.")
    charge = shop.fake.stars.charge(ANA.id, invoice)
    await shop.tg.paid(charge, first=True)
    assert await _pro_until(shop) == (Tier.FREE, None)
    assert "can't match to an invoice" in shop.tg.last().text
    assert charge.charge_id in shop.tg.last().text


async def test_pre_checkout_for_another_users_invoice_is_refused(shop: World) -> None:
    invoice = await _invoice(shop, ANA)
    answer = await shop.tg.pre_checkout(invoice, user=BEN)
    assert answer == {
        "ok": False,
        "error_message": "This invoice was made for another Postroom account. "
        "Send /upgrade for yours.",
    }
    assert await _pro_until(shop, BEN) == (Tier.FREE, None)


async def test_a_changed_amount_or_currency_is_refused(shop: World) -> None:
    invoice = await _invoice(shop)
    for forged in ({"amount": 1}, {"currency": "USD"}):
        answer = await shop.tg.pre_checkout(invoice, **forged)  # type: ignore[arg-type]
        assert answer["ok"] is False
        assert answer["error_message"].startswith("This payment doesn't match its invoice")


async def test_an_invoice_at_an_old_price_is_refused(
    shop: World, make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    invoice = await _invoice(shop)
    repriced = await make_world(tier=Tier.FREE, uow=uow_factory, stars_price=300)
    answer = await repriced.tg.pre_checkout(invoice)
    assert answer["ok"] is False
    assert answer["error_message"] == (
        "Pro costs 300 Stars a month now, not 250; nothing was charged. "
        "Send /upgrade for a new invoice."
    )


async def test_a_running_subscription_is_not_sold_twice(shop: World) -> None:
    await _subscribed(shop)
    invoice = shop.fake.stars.invoices[0]
    links = len(shop.fake.calls_to("createInvoiceLink"))
    await shop.tg.say("/upgrade")
    assert shop.tg.last().text.startswith("You're already on Pro; it renews Thu 24 Dec 2026")
    assert len(shop.fake.calls_to("createInvoiceLink")) == links
    answer = await shop.tg.pre_checkout(invoice)  # the old link tapped again
    assert answer == {
        "ok": False,
        "error_message": "You're on Pro already, and it renews; nothing was charged.",
    }


async def test_without_subscriptions_a_one_period_invoice_is_offered(shop: World) -> None:
    shop.fake.stars.subscriptions = False  # Telegram makes no subscription link
    invoice = await _invoice(shop)
    calls = [c for c in shop.fake.calls if c.method == "createInvoiceLink"]
    assert [c.error for c in calls] == ["Bad Request: SUBSCRIPTION_PERIOD_INVALID", None]
    made = calls[1].params  # the one-period invoice
    assert made.get("subscription_period") is None
    assert made["currency"] == "XTR" and not made.get("provider_token")
    assert invoice.period is None
    assert shop.tg.last().labels() == ["⭐ Pay 250 Stars for 30 days"]
    assert await shop.tg.pay(invoice) is not None
    assert await _pro_until(shop) == (Tier.PRO, START + MONTH)
    assert shop.tg.last().text.endswith("Pay again before then to add 30 days: /upgrade.")
    # A second period bought early starts where the first ends.
    assert await shop.tg.pay(await _invoice(shop)) is not None
    assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)


async def test_the_operator_refund_reverts_the_period_and_tells_the_user(shop: World) -> None:
    stars = shop.services.stars
    assert stars is not None
    first = await _subscribed(shop)
    shop.clock.advance(MONTH)
    renewal = await shop.tg.renew(first)
    before = len(shop.fake.calls_to("sendMessage"))

    said = await stars.refund(await _profile(shop))
    assert said == f"refunded 250 Stars (charge {renewal.charge_id}); the profile is on Free now"
    (refund,) = shop.fake.calls_to("refundStarPayment")
    assert refund.params == {"user_id": ANA.id, "telegram_payment_charge_id": renewal.charge_id}
    assert renewal.refunded and renewal.canceled  # and it renews no more
    # The renewal's month is taken back; the first month had ended: Free.
    assert (await _profile(shop)).tier is Tier.FREE
    told = _sent_since(shop, before)
    assert told[0].startswith("Your payment of 250 Stars from Thu 24 Dec 2026")
    assert "refunded to your Stars balance" in told[0]
    assert told[1:] == ["Your Pro plan has ended; you're on Free now. Your connections stay."]

    # Telegram's refunded_payment message that follows says nothing more.
    await shop.tg.refunded(renewal)
    assert len(shop.fake.calls_to("sendMessage")) == before + 2
    # The next refund takes the month before; then there is nothing left to refund.
    assert first.charge_id in await stars.refund(await _profile(shop))
    with pytest.raises(DomainError, match="no Stars payment left to refund"):
        await stars.refund(await _profile(shop))


async def test_a_refund_telegram_reports_reverts_the_period(shop: World) -> None:
    charge = await _subscribed(shop)
    charge.refunded = True  # refunded some other way (another tool holding the bot token)
    await shop.tg.refunded(charge)
    assert (await _profile(shop)).tier is Tier.FREE
    note, ended = shop.fake.chat_messages(ANA.id)[-2:]
    assert "was refunded to your Stars balance" in note.text
    assert ended.text.startswith("Your Pro plan has ended") and ended.labels() == ["🔁 Renew"]


async def test_refund_refusals(shop: World) -> None:
    stars = shop.services.stars
    assert stars is not None
    with pytest.raises(DomainError, match="no Stars payment left to refund"):
        await stars.refund(await _profile(shop))
    charge = await _subscribed(shop)
    charge.refunded = True  # Telegram already refunded it: CHARGE_ALREADY_REFUNDED is a success
    assert (await stars.refund(await _profile(shop))).startswith("refunded 250 Stars")
    assert (await _profile(shop)).tier is Tier.FREE


async def test_locked_network_offers_the_upgrade(shop: World) -> None:
    await shop.tg.say("/connect")
    await shop.tg.tap("TikTok")
    assert shop.fake.calls_to("answerCallbackQuery")[-1].params["text"] == "🔒 TikTok is Pro"
    await shop.tg.tap("Upgrade to Pro")
    assert shop.tg.last().labels() == ["⭐ Subscribe: 250 Stars a month"]


async def test_terms_and_paysupport(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await make_world(
        tier=Tier.FREE, uow=uow_factory, stars_price=PRICE, terms_url="https://example.com/t"
    )
    commands = [c["command"] for c in world.fake.commands]
    assert "terms" in commands and "paysupport" in commands
    await world.tg.say("/terms")
    assert "Pro costs 250 Telegram Stars for 30 days" in world.tg.last().text
    assert world.tg.last().buttons()[0]["url"] == "https://example.com/t"
    await world.tg.say("/paysupport")
    assert "I have no Stars payment from you on record." in world.tg.last().text
    charge = await _subscribed(world)
    await world.tg.say("/paysupport")
    assert f"250 Stars, code {charge.charge_id}" in world.tg.last().text


async def test_a_renewal_signed_with_an_old_key_counts_for_its_payer_only(shop: World) -> None:
    first = await _subscribed(shop)
    old_key = PayloadSigner(b"the key of an earlier bot token")
    profile = (await _profile(shop)).id
    for owner, counts in ((profile, True), (profile + 1, False)):
        terms = InvoiceTerms(owner, "pro", PRICE, 0)
        first.invoice.payload = old_key.sign(terms)
        await shop.tg.renew(first)
        shop.clock.advance(MONTH)
        if counts:
            assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)
        else:
            assert "can't match to an invoice" in shop.tg.last().text
            assert await _pro_until(shop) == (Tier.PRO, START + 2 * MONTH)


async def test_pro_from_elsewhere_is_not_sold_again(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await make_world(tier=Tier.PRO, uow=uow_factory, stars_price=PRICE)
    await world.tg.say("/upgrade")
    assert world.tg.last().text == "You're already on Pro: all six networks are yours."
    assert world.fake.calls_to("createInvoiceLink") == []


class _Breakable:
    """The database, until `broken`: then every unit of work fails to open."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self.inner = inner
        self.broken = False

    def __call__(self) -> Any:
        if self.broken:
            raise ConnectionError("the database is down")
        return self.inner()


async def test_pre_checkout_is_answered_even_when_the_check_fails(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    db = _Breakable(uow_factory)
    world = await make_world(tier=Tier.FREE, uow=db, stars_price=PRICE)
    invoice = await _invoice(world)
    db.broken = True
    answer = await world.tg.pre_checkout(invoice)
    assert answer["ok"] is False
    assert answer["error_message"].startswith("I can't check this payment right now")


async def test_a_bot_that_sells_nothing_refuses_a_payment(
    shop: World, make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    invoice = await _invoice(shop)
    closed = await make_world(tier=Tier.FREE, uow=uow_factory)  # no Stars price any more
    answer = await closed.tg.pre_checkout(invoice)
    assert answer == {
        "ok": False,
        "error_message": "Nothing is sold here at the moment, so nothing was charged.",
    }
