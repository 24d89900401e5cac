"""Regressions from the issue-17 review: a rate-limited refresh stays connected, an expired
login link is still named expired after other users' /connect."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.model import ConnectionStatus, Network
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import actor, free_bot, link
from tests.e2e.test_instagram_refresh import DUE, connected, refresher
from tests.fakes.clock import FixedClock
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
