"""/tier, /upgrade and the Renew button through the chat entry, on SQL (both databases)."""

from __future__ import annotations

from datetime import timedelta

from core.actions import Action
from core.billing_ports import Offer
from core.errors import PublishError
from core.model import ChatPlatform, Identity, Profile, Provider, Tier
from core.ports import UnitOfWorkFactory
from core.tiers import Plan
from tests.core.harness import Harness, field_values, find_button

DAY = timedelta(days=1)


class FakeStars:
    """A payment provider as core sees one: it sells in one chat platform only (the harness's
    console, as Stars sell in Telegram), a link per offer, or it is down."""

    provider = Provider.TELEGRAM_STARS

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.offers: list[tuple[int, Identity, str]] = []

    def unavailable(self, platform: ChatPlatform, plan: Plan) -> str | None:
        if plan.stars is None:
            return "no Stars price"
        return None if platform is ChatPlatform.CONSOLE else "not sold in this chat"

    async def offer(self, profile: Profile, identity: Identity, plan: Plan) -> Offer:
        if self.down:
            raise PublishError("Telegram is not answering")
        self.offers.append((profile.id, identity, plan.key))
        return Offer(f"⭐ Pay {plan.stars} Stars", f"https://t.me/$invoice-{profile.id}")


def harness(
    uow: UnitOfWorkFactory, stars: FakeStars | None = None, price: int | None = 250
) -> Harness:
    return Harness(
        tier=Tier.FREE,
        uow=uow,
        settings={"pro_stars_price": price},
        payments={Provider.TELEGRAM_STARS: stars} if stars is not None else None,
    )


async def test_tier_shows_plan_usage_and_renewal(uow_factory: UnitOfWorkFactory) -> None:
    h = harness(uow_factory)
    free = await h.say("/tier")
    assert free.text == "You're on Free."
    values = field_values(free)
    assert values["Networks"] == "Instagram"
    assert values["Scheduled posts"] == "0 of 10"
    assert values["Posts this month"] == "0 of 30"
    assert values["Analytics refresh"] == "every 24 h"
    assert "Renews" not in values and "Ends" not in values
    find_button(free, "Upgrade")

    me = (await h.accounts.profile_for(h.actor().identity)).id
    assert h.services.billing is not None
    await h.services.billing.activate(
        me,
        provider=Provider.TELEGRAM_STARS,
        event_id="charge-1",
        plan=Plan("pro", Tier.PRO, stars=250),
        period_end=h.clock.now() + 30 * DAY,
    )
    await h.compose("Launch day", *[])
    pro = await h.say("/tier")
    assert pro.text == "You're on Pro (Telegram Stars)."
    values = field_values(pro)
    assert values["Scheduled posts"] == "0 of 500"
    assert values["Posts this month"] == "0 of 1000"
    assert values["Renews"].startswith("Thu 24 Dec 2026")
    assert not pro.buttons  # renews by itself: nothing to do

    await h.services.billing.cancel(me, provider=Provider.TELEGRAM_STARS, event_id="cancel-1")
    ending = await h.say("/tier")
    assert field_values(ending)["Ends"].startswith("Thu 24 Dec 2026")
    find_button(ending, "Renew")


async def test_upgrade_shows_configured_prices_and_the_providers_links(
    uow_factory: UnitOfWorkFactory,
) -> None:
    stars = FakeStars()
    h = harness(uow_factory, stars)
    reply = await h.say("/upgrade")
    assert "⭐ 250 Stars per 30 days (Telegram)" in reply.text
    link = find_button(reply, "Pay 250 Stars")
    me = (await h.accounts.profile_for(h.actor().identity)).id
    assert link.url == f"https://t.me/$invoice-{me}"
    assert stars.offers == [(me, h.actor().identity, "pro")]
    assert "postroom admin grant" not in reply.text


async def test_upgrade_without_a_way_to_pay_names_the_operator(
    uow_factory: UnitOfWorkFactory,
) -> None:
    for h in (
        harness(uow_factory, None, price=None),  # nothing configured
        harness(uow_factory, FakeStars(down=True)),  # the provider is down
    ):
        reply = await h.say("/upgrade")
        assert "postroom admin grant console:ana pro --days 30" in reply.text
        assert not any(b.url for row in reply.buttons for b in row)


async def test_renew_button_foreign_stale_repeated_and_malformed(
    uow_factory: UnitOfWorkFactory,
) -> None:
    stars = FakeStars()
    h = harness(uow_factory, stars)
    await h.say("/start")
    me = (await h.accounts.profile_for(h.actor().identity)).id
    assert h.services.billing is not None
    await h.services.billing.grant(me, Tier.PRO, days=30, reason="test")
    h.clock.advance(31 * DAY)
    assert h.services.billing_pass is not None
    await h.services.billing_pass.run()
    ended = next(r for _, r, _ in h.messenger.sent if "plan has ended" in r.text)

    # Another user taps Ana's Renew (a group sees every button): refused, nothing offered.
    await h.say("/start", user="ben")
    foreign = await h.tap(ended, "Renew", user="ben")
    assert (
        foreign.toast == "Only the author can do that."
        or foreign.text == "Only the author can do that."
    )
    assert stars.offers == []

    # Ana taps it: the ways to pay; again: the same, nothing changes or is charged.
    first = await h.tap(ended, "Renew")
    second = await h.tap(ended, "Renew")
    assert find_button(first, "Pay 250 Stars").url == find_button(second, "Pay 250 Stars").url
    assert len(stars.offers) == 2

    # After renewing, the old button answers with the plan as it is now.
    await h.services.billing.grant(me, Tier.PRO, days=None, reason="test")
    stale = await h.tap(ended, "Renew")
    assert "already on Pro" in (stale.text or stale.toast or "")
    assert len(stars.offers) == 2

    # Unsealed, forged, oversized: refused without touching anything.
    message = h.message_of(ended)
    for data in (Action.RENEW.data(), Action.RENEW.data("x" * 80), "rn:" + "é" * 40):
        answer = await h.app.handle_tap(h.actor(), data, message)
        assert answer.toast or answer.text
        assert "Pay" not in (answer.text or "")
    assert len(stars.offers) == 2
