"""Instagram tokens are refreshed 10 days ahead by the housekeeping pass, once across workers;
a token Instagram refuses marks the connection broken."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.housekeeping import Housekeeping
from core.model import ConnectionStatus, Network, Route
from core.publishing.token_refresh import TokenRefresh
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import FreeBot, free_bot
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import LONG_TOKEN, SIXTY_DAYS

IG = Route.INSTAGRAM_GRAPH
# Connected at t0; the token ends at t0 + 60 days and is due from 10 days before.
DUE = timedelta(seconds=SIXTY_DAYS) - timedelta(days=10) + timedelta(minutes=1)
REFUSED = (400, {"error": {"message": "Error validating access token", "code": 190}})
DOWN = (503, {"error": {"message": "Service temporarily unavailable", "code": 2}})


def refresher(bot: FreeBot) -> TokenRefresh:
    assert bot.services.token_refresh is not None
    return bot.services.token_refresh


async def connected(bot: FreeBot) -> None:
    assert (await bot.connect()).status_code == 200


async def test_a_token_due_within_10_days_is_refreshed_for_another_60(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        clock.advance(DUE - timedelta(minutes=2))  # not yet due
        assert await refresher(bot).run() == 0 and bot.instagram.refreshed == []
        clock.advance(timedelta(minutes=2))
        assert await refresher(bot).run() == 1
        assert bot.instagram.refreshed == [LONG_TOKEN]
        account = (await bot.profile()).accounts[IG]
        assert account.key.value == f"{LONG_TOKEN}-2"
        assert account.expires_at == clock.now() + timedelta(seconds=SIXTY_DAYS)
        assert account.issued_at == clock.now()
        assert (await bot.profile()).connections[Network.INSTAGRAM].expires_at == (
            account.expires_at
        )
        assert await refresher(bot).run() == 0  # the new token is not due for 50 days
        assert await bot.status() == "✅ connected, 60 days left · @postroom.test"


async def test_a_token_instagram_refuses_marks_the_connection_broken(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        bot.instagram.fail_refresh = REFUSED
        clock.advance(DUE)
        assert await refresher(bot).run() == 0
        profile = await bot.profile()
        assert profile.connections[Network.INSTAGRAM].status is ConnectionStatus.BROKEN
        assert profile.accounts[IG].key.value == LONG_TOKEN  # kept until reconnected
        assert await bot.status() == "⚠️ broken — reconnect"
        clock.advance(timedelta(hours=2))
        bot.instagram.fail_refresh = None
        assert await refresher(bot).run() == 0 and bot.instagram.refreshed == []  # not retried
        # Reconnecting gives a fresh token, refreshed on its own dates again.
        await connected(bot)
        assert (await bot.profile()).connections[Network.INSTAGRAM].status is (
            ConnectionStatus.CONNECTED
        )
        clock.advance(DUE)
        assert await refresher(bot).run() == 1


async def test_instagram_down_is_retried_an_hour_later_until_the_token_would_expire(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        bot.instagram.fail_refresh = DOWN
        clock.advance(DUE)
        assert await refresher(bot).run() == 0
        profile = await bot.profile()
        assert profile.connections[Network.INSTAGRAM].status is ConnectionStatus.CONNECTED
        bot.instagram.fail_refresh = None
        clock.advance(timedelta(minutes=30))
        assert await refresher(bot).run() == 0 and bot.instagram.refreshed == []  # held
        clock.advance(timedelta(minutes=31))
        assert await refresher(bot).run() == 1
        # Down again in the token's last hour: it cannot wait for another try.
        bot.instagram.fail_refresh = DOWN
        clock.advance(timedelta(seconds=SIXTY_DAYS) - timedelta(minutes=30))
        assert await refresher(bot).run() == 0
        profile = await bot.profile()
        assert profile.connections[Network.INSTAGRAM].status is ConnectionStatus.BROKEN


async def test_two_workers_refresh_a_token_once(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as one, free_bot(make_services, clock) as two:
        await connected(one)
        # The second bot is another process on the same database (and the same Instagram).
        two.instagram.tokens = one.instagram.tokens
        two.instagram.refreshed = one.instagram.refreshed
        clock.advance(DUE)
        results = await asyncio.gather(refresher(one).run(), refresher(two).run())
        assert sorted(results) == [0, 1]
        assert one.instagram.refreshed == [LONG_TOKEN]


async def test_a_claim_left_by_a_worker_that_died_is_taken_after_an_hour(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        clock.advance(DUE)
        now = clock.now()
        async with bot.services.uow() as uow:  # a worker claims, then is killed
            taken = await uow.logins.claim_refresh(
                IG,
                Network.INSTAGRAM,
                now=now,
                expiring_before=now + timedelta(days=10),
                issued_before=now - timedelta(hours=24),
                retry_at=now + timedelta(hours=1),
                limit=10,
            )
            await uow.commit()
        assert len(taken) == 1
        assert await refresher(bot).run() == 0  # held by the claim
        clock.advance(timedelta(hours=1))
        assert await refresher(bot).run() == 1  # a restarted bot finds it in the database


async def test_housekeeping_runs_every_pass_even_when_one_fails(
    make_services: BuildServices, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with free_bot(make_services, clock) as bot:
        await connected(bot)
        clock.advance(DUE)

        async def broken() -> None:
            raise RuntimeError("retention is down")

        housekeeping = Housekeeping({"retention": broken, "refresh": refresher(bot).run})
        await housekeeping.run_once()
        assert bot.instagram.refreshed == [LONG_TOKEN]
        assert "retention pass failed" in caplog.text
        await housekeeping.stop()
