"""Regressions from the issue-17 review: a rate-limited refresh stays connected, an expired
login link is still named expired after other users' /connect, an exchange without its
permissions is refused, /me's two ids, a plan changed during the login."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.model import ConnectionStatus, Network, Tier
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import FreeBot, actor, free_bot, link
from tests.e2e.test_instagram_login import IG, assert_nothing_stored
from tests.e2e.test_instagram_refresh import DUE, connected, refresher
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_graph_api import APP_SCOPED_ID, PROFESSIONAL_ID
from tests.fakes.instagram_login import LONG_TOKEN


async def test_expired_link_after_someone_elses_connect_still_tells_the_chat(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        clock.advance(timedelta(minutes=11))
        await bot.say("/connect", actor("bob"))  # a later /connect must not forget ana's link
        page = await bot.back(back)
        assert page.status_code == 400
        assert "expired" in page.text, page.text
        told = bot.told()
        assert told and "expired" in told[-1], told
        # Used up all the same: the same link again is not valid.
        again = await bot.back(back)
        assert again.status_code == 400 and "not valid" in again.text


async def test_a_login_state_is_purged_a_day_after_it_expired(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        clock.advance(timedelta(days=1, minutes=11))
        await bot.say("/connect", actor("bob"))  # a day on: ana's dead state is cleared
        page = await bot.back(back)
        assert page.status_code == 400 and "not valid" in page.text
        assert bot.told() == []


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (400, 4, "Application request limit reached"),
        (403, 17, "User request limit reached"),
        (400, 32, "Page request limit reached"),
        (403, 613, "Calls to this api have exceeded the rate limit."),
        (400, 1, "An unknown error occurred"),
        (400, 2, "Service temporarily unavailable"),
    ],
)
async def test_a_rate_limited_refresh_does_not_break_the_connection(
    make_services: BuildServices, clock: FixedClock, status: int, code: int, message: str
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        bot.instagram.fail_refresh = (status, {"error": {"message": message, "code": code}})
        clock.advance(DUE)
        assert await refresher(bot).run() == 0
        got = (await bot.profile()).connections[Network.INSTAGRAM].status
        assert got is ConnectionStatus.CONNECTED, got
        # Tried again later, and then refreshed.
        bot.instagram.fail_refresh = None
        clock.advance(timedelta(hours=1, minutes=1))
        assert await refresher(bot).run() == 1
        assert bot.instagram.refreshed == [LONG_TOKEN]


@pytest.mark.parametrize("shape", ["data", "flat"])
async def test_an_exchange_that_does_not_list_permissions_connects_nothing(
    make_services: BuildServices, clock: FixedClock, shape: str
) -> None:
    async with free_bot(make_services, clock, shape=shape) as bot:
        bot.instagram.omit_permissions = True
        page = await bot.connect()
        assert page.status_code == 400 and "did not say which permissions" in page.text
        assert bot.told()[-1].startswith("Instagram was not connected: Instagram did not say")
        await assert_nothing_stored(bot)
        assert bot.instagram.tokens == {}  # not even a long-lived token was fetched


@pytest.mark.parametrize("same_ids", [False, True])
async def test_the_professional_account_id_is_stored_whether_me_answers_one_id_or_two(
    make_services: BuildServices, clock: FixedClock, same_ids: bool
) -> None:
    async with free_bot(make_services, clock) as bot:
        bot.instagram.graph.same_ids = same_ids
        assert (bot.instagram.graph.app_scoped_id != APP_SCOPED_ID) is same_ids
        assert (await bot.connect()).status_code == 200
        assert (await bot.profile()).accounts[IG].ref == PROFESSIONAL_ID


async def test_a_profile_moved_to_pro_during_the_code_exchange_stores_nothing(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        bot.instagram.during_exchange = lambda: _upgrade(bot)
        page = await bot.back(back)
        assert bot.instagram.exchanged, "the upgrade must land after the first plan check"
        assert page.status_code == 400 and "no longer connects Instagram" in page.text
        assert bot.told()[-1].startswith("Instagram was not connected: Your plan")
        profile = await bot.profile()
        assert profile.tier is Tier.PRO
        assert IG not in profile.accounts and Network.INSTAGRAM not in profile.connections


async def _upgrade(bot: FreeBot) -> None:
    profile = await bot.profile()
    billing = bot.services.billing
    assert billing is not None  # granted Pro while on Instagram's page: Instagram via Ayrshare
    await billing.grant(profile.id, Tier.PRO, days=30, reason="upgraded meanwhile")
