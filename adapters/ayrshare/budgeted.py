"""Each Ayrshare request counted in its profile's one request budget, and a 429 holding it."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from core.errors import TransientError
from core.model import Route
from core.ports import Clock
from core.request_budget import BudgetKey, Lane, RequestBudget

__all__ = [
    "CHAT_MAX_WAIT",
    "PRIMARY",
    "Budgeted",
    "Sleep",
    "busy_for_profile",
    "busy_for_server",
]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

# Requests made with the API key alone (no Profile-Key header: creating a User Profile,
# generateJWT, media uploads) act as the Primary Profile, so Ayrshare counts them in its
# window (300 per 5 minutes per User Profile, https://www.ayrshare.com/docs/errors/errors-http).
# Postroom profile ids start at 1, so 0 names it.
PRIMARY: BudgetKey = (Route.AYRSHARE, 0)
# How long a user in chat is kept waiting for a free slot before being told when to retry.
CHAT_MAX_WAIT = 5.0


def busy_for_profile(seconds: float) -> str:
    return f"Ayrshare is busy for your profile; try again in {_seconds(seconds)} s."


def busy_for_server(seconds: float) -> str:
    """For requests in the Primary Profile's window, which every user of this server shares."""
    return f"Ayrshare is busy for this server; try again in {_seconds(seconds)} s."


def _seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


class _WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class Budgeted:
    """Runs one Ayrshare request once `budget` has a slot for it in `lane`, waiting at most
    `max_wait` seconds (else a TransientError saying when); a 429's wait blocks the profile."""

    def __init__(
        self,
        budget: RequestBudget | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.budget = budget or RequestBudget()
        self.clock: Clock = clock or _WallClock()
        self._sleep = sleep

    async def call(
        self,
        key: BudgetKey,
        lane: Lane,
        request: Callable[[], Awaitable[T]],
        *,
        max_wait: float = CHAT_MAX_WAIT,
        busy: Callable[[float], str] | None = None,
    ) -> T:
        await self.take(key, lane, max_wait=max_wait, busy=busy)
        return await self.counted(key, request)

    async def counted(self, key: BudgetKey, request: Callable[[], Awaitable[T]]) -> T:
        """`request`, whose slot is already taken: only its 429 is looked at."""
        try:
            return await request()
        except TransientError as e:
            if e.retry_after is not None:  # whatever was asked, the profile waits
                self.budget.block(key, self.clock.now() + timedelta(seconds=e.retry_after))
            raise

    async def take(
        self,
        key: BudgetKey,
        lane: Lane,
        *,
        max_wait: float = CHAT_MAX_WAIT,
        busy: Callable[[float], str] | None = None,
    ) -> None:
        """A slot for `key` in `lane`; `busy` words the refusal (default: who is waiting)."""
        wording = busy or (busy_for_server if key == PRIMARY else busy_for_profile)
        waited = 0.0
        while True:
            now = self.clock.now()
            at = self.budget.reserve(key, now, lane)
            if at is None:
                return
            wait = max((at - now).total_seconds(), 0.001)
            if waited + wait > max_wait:
                raise TransientError(wording(wait), retry_after=wait)
            waited += wait
            await self._sleep(wait)
