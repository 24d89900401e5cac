"""Outgoing Bot API calls kept under Telegram's flood limits, with waits on 429 answers."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Result = bool | dict[str, Any] | list[dict[str, Any]]

# Only calls that put a message into a chat count against its per-chat limit; reading a
# chat member or answering a button tap must not wait behind them.
_PACED_PREFIXES = ("send", "edit", "copy", "forward")
_MAX_TRACKED_CHATS = 4096
_MAX_TRACKED_GROUPS = 512
# One below Telegram's 30/s: requests leave 1/29 s apart but reach Telegram with the jitter of
# the event loop and the network, and 30 paced at exactly 1/30 s arrive as 31 within some
# second often enough to draw 429s (bench/send_pacing.py; docs/benchmarks.md).
OVERALL_RATE = FloodLimit.MESSAGES_PER_SECOND - 1


class Pacer:
    """At most `count` calls in any `window` seconds, on an injected clock.

    With a `spacing`, calls also keep that far apart, so a wave starts at the ceiling's
    pace instead of with a burst of `count` (a leaky bucket that starts full lets `count` go
    at once and then `count` more within the same second: Telegram answers 429). The window
    check keeps the count exact whatever the timing of the wake-ups. Waiters go in turn.
    """

    def __init__(
        self,
        count: int,
        window: float,
        *,
        spacing: float = 0.0,
        clock: Callable[[], float],
        sleep: Sleep,
    ) -> None:
        self._count = count
        self._window = window
        self._spacing = spacing
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()  # when the calls of the last window went
        self._next = -math.inf
        self._turn = asyncio.Lock()

    @property
    def idle(self) -> bool:
        """Nothing sent within the window and nobody waiting: the pacer can be dropped."""
        return not self._turn.locked() and (
            not self._sent or self._sent[-1] <= self._clock() - self._window
        )

    async def wait(self) -> None:
        async with self._turn:
            slot: float | None = None  # the time waited for, if any
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self._window:
                    self._sent.popleft()
                due = self._next
                if len(self._sent) >= self._count:
                    due = max(due, self._sent[0] + self._window)
                if due <= now:
                    break
                slot = due
                await self._sleep(due - now)
            self._sent.append(now)
            # After a wait the next slot follows the one waited for (a late wake-up does not
            # slow the wave down); after an idle spell it follows now.
            self._next = (now if slot is None else slot) + self._spacing


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Telegram's flood limits (docs/limits-by-platform.md#telegram), all on the injected clock:

    - `overall_max_rate` messages/s overall (29, under Telegram's 30), evenly spaced, with no
      burst at the start of a wave and never more than that within any one second;
    - at most 20 messages in any minute per group or channel;
    - about 1 message/s per chat, allowing a burst of `burst` (a reply, then an edit or two,
      goes out at once; a longer run is spaced out);
    - a 429 pauses every call for `retry_after` (+0.1 s) and retries up to `max_retries`
      times. The wait goes through `sleep` and the pacing reads `clock`, so tests run
      them on virtual time.
    """

    def __init__(
        self,
        *,
        max_retries: int = 3,
        per_chat_interval: float = 1.0 / FloodLimit.MESSAGES_PER_SECOND_PER_CHAT,
        burst: int = 3,
        overall_max_rate: float = OVERALL_RATE,
        group_max_rate: int = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.max_retries = max_retries
        self._interval = per_chat_interval
        self._tolerance = per_chat_interval * max(burst - 1, 0)
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}  # per chat: when its next message is due
        self._paused_until = 0.0
        # A fractional rate (29.5/s) spaces calls 1/29.5 s apart and allows 29 in a second.
        self._overall = Pacer(
            max(1, math.floor(overall_max_rate)),
            1.0,
            spacing=1.0 / overall_max_rate,
            clock=clock,
            sleep=sleep,
        )
        self._group_max_rate = group_max_rate
        self._groups: dict[str, Pacer] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat = data.get("chat_id")
        paced = chat is not None and endpoint.lower().startswith(_PACED_PREFIXES)
        for attempt in range(retries + 1):
            await self._wait_for_pause()
            if paced:
                await self._pace(str(chat))
            if chat is not None:
                # As PTB's AIORateLimiter: negative ids and @usernames are groups or channels,
                # and every call naming a chat counts against the overall rate.
                group = _group(chat)
                if group is not None:
                    await self._group(group).wait()
                await self._overall.wait()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as e:
                if attempt == retries:
                    log.warning("%s: still rate limited after %s retries", endpoint, retries)
                    raise
                # As PTB's own limiter does: the public `retry_after` warns about its type
                # changing in PTB 23.
                seconds = e._retry_after.total_seconds()
                log.info("%s: rate limited, retrying in %.1f s", endpoint, seconds)
                self._paused_until = max(self._paused_until, self._clock() + seconds + 0.1)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _wait_for_pause(self) -> None:
        while (wait := self._paused_until - self._clock()) > 0:
            await self._sleep(wait)

    def _group(self, group: str) -> Pacer:
        if len(self._groups) > _MAX_TRACKED_GROUPS:
            self._groups = {g: p for g, p in self._groups.items() if not p.idle}
        pacer = self._groups.get(group)
        if pacer is None:
            pacer = Pacer(self._group_max_rate, 60.0, clock=self._clock, sleep=self._sleep)
            self._groups[group] = pacer
        return pacer

    async def _pace(self, chat: str) -> None:
        """Generic cell rate: each message reserves the chat's next slot before waiting, so
        concurrent sends to one chat queue up in order."""
        now = self._clock()
        if len(self._next_slot) > _MAX_TRACKED_CHATS:
            self._next_slot = {c: t for c, t in self._next_slot.items() if t > now}
        slot = max(self._next_slot.get(chat, now), now)
        self._next_slot[chat] = slot + self._interval
        wait = slot - self._tolerance - now
        if wait > 0:
            await self._sleep(wait)


def _group(chat: object) -> str | None:
    """The chat as a group key, or None for a private chat (a positive id)."""
    try:
        return str(chat) if int(str(chat)) < 0 else None
    except ValueError:
        return str(chat)  # an @username: a channel or supergroup
