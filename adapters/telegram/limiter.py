"""Outgoing Bot API calls kept under Telegram's flood limits, with waits on 429 answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Result = bool | dict[str, Any] | list[dict[str, Any]]

# Only calls that put a message into a chat count against its per-chat limit; reading a
# chat member or answering a button tap must not wait behind them.
_PACED_PREFIXES = ("send", "edit", "copy", "forward")
_MAX_TRACKED_CHATS = 4096


class TelegramRateLimiter(AIORateLimiter):
    """PTB's AIORateLimiter (about 30 messages/s overall, 20/min per group or channel) plus
    what it lacks (docs/platform-limits.md#telegram):

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
        overall_max_rate: float = FloodLimit.MESSAGES_PER_SECOND,
        group_max_rate: float = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        # The parent throttles only; its own retry loop sleeps on the real clock, so the
        # retries live here.
        super().__init__(
            overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=0
        )
        self.max_retries = max_retries
        self._interval = per_chat_interval
        self._tolerance = per_chat_interval * max(burst - 1, 0)
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}  # per chat: when its next message is due
        self._paused_until = 0.0

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
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, None)
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
