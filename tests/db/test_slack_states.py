"""Slack OAuth states: random, stored hashed, single use, gone after ten minutes."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_session_factory
from adapters.db.slack_states import SqlOAuthStateStore
from tests.fakes.clock import FixedClock


@pytest.fixture
def states(engine: AsyncEngine, clock: FixedClock) -> SqlOAuthStateStore:
    return SqlOAuthStateStore(make_session_factory(engine), clock)


async def _stored(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as c:
        return list((await c.scalars(text("SELECT digest FROM slack_oauth_states"))).all())


async def test_a_state_is_random_stored_hashed_and_used_once(
    states: SqlOAuthStateStore, engine: AsyncEngine
) -> None:
    issued = {await states.async_issue() for _ in range(20)}
    assert len(issued) == 20
    state = issued.pop()
    assert len(state) >= 43  # token_urlsafe(32): 256 random bits
    stored = await _stored(engine)
    assert hashlib.sha256(state.encode()).hexdigest() in stored
    assert not any(s in stored for s in issued | {state})

    assert await states.async_consume(state) is True
    assert await states.async_consume(state) is False  # replayed redirect
    assert len(await _stored(engine)) == 19


async def test_a_state_expires_after_ten_minutes(
    states: SqlOAuthStateStore, clock: FixedClock, engine: AsyncEngine
) -> None:
    fresh, stale = await states.async_issue(), await states.async_issue()
    clock.advance(timedelta(minutes=9, seconds=59))
    assert await states.async_consume(fresh) is True
    clock.advance(timedelta(seconds=1))
    assert await states.async_consume(stale) is False
    assert await _stored(engine) == []  # the expired one was deleted as well

    # Issuing clears states nobody came back with.
    await states.async_issue()
    clock.advance(timedelta(minutes=10))
    kept = await states.async_issue()
    assert await _stored(engine) == [hashlib.sha256(kept.encode()).hexdigest()]


@pytest.mark.parametrize("state", ["", "not-issued", "x" * 10_000])
async def test_an_unknown_state_is_refused(states: SqlOAuthStateStore, state: str) -> None:
    await states.async_issue()
    assert await states.async_consume(state) is False


async def test_concurrent_consumes_succeed_once(states: SqlOAuthStateStore) -> None:
    for _ in range(5):
        state = await states.async_issue()
        results = await asyncio.gather(*(states.async_consume(state) for _ in range(4)))
        assert sorted(results) == [False, False, False, True]
