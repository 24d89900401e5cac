"""Outgoing Slack messages paced per channel, and 429 Retry-After waits on injected time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
_MAX_TRACKED_CHANNELS = 4096


class ChannelPace:
    """About one message per second per channel, allowing a burst of `burst`
    (https://api.slack.com/apis/rate-limits#special: chat.postMessage "generally allows
    posting one message per second per channel, while also allowing bursts over that limit
    for short periods").

    One instance is shared by everything that posts (replies, progress, notices), so they
    queue up in order: each message reserves its channel's next slot before waiting (a
    generic cell rate). `clock` and `sleep` are injected so tests run on virtual time.
    """

    def __init__(
        self,
        *,
        interval: float = 1.0,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._interval = interval
        self._tolerance = interval * max(burst - 1, 0)
        self._clock = clock
        self.sleep = sleep
        self._next_slot: dict[str, float] = {}
        self.waited = 0.0  # seconds spent waiting in all (benchmarks, tests)

    async def wait(self, channel: str) -> None:
        now = self._clock()
        if len(self._next_slot) > _MAX_TRACKED_CHANNELS:
            self._next_slot = {c: t for c, t in self._next_slot.items() if t > now}
        slot = max(self._next_slot.get(channel, now), now)
        self._next_slot[channel] = slot + self._interval
        wait = slot - self._tolerance - now
        if wait > 0:
            self.waited += wait
            await self.sleep(wait)

    def sent(self, channel: str) -> None:
        """A post to `channel` was just taken. Slack counted it when it arrived, at the latest
        now: a post that went out late (a busy loop, a slow network) moves the channel's
        pace on with it, or the next ones would reach Slack closer together than planned and
        get 429s."""
        after = self._clock() + self._interval
        if self._next_slot.get(channel, after) < after:
            self._next_slot[channel] = after


class RetryAfter(AsyncRateLimitErrorRetryHandler):
    """slack_sdk's handler for 429 answers, waiting `Retry-After` seconds through `sleep`
    (the library's own sleeps on the real clock with up to a second of jitter on top)
    (https://api.slack.com/apis/rate-limits#headers)."""

    def __init__(self, *, max_retry_count: int = 3, sleep: Sleep = asyncio.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._sleep = sleep

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error or RuntimeError("a retry without a response")
        state.next_attempt_requested = True
        seconds = 1.0
        for name, values in response.headers.items():
            if name.lower() == "retry-after" and values:
                with contextlib.suppress(ValueError):
                    seconds = float(values[0])
        log.info("slack: rate limited, retrying in %.1f s", seconds)
        await self._sleep(seconds)
        state.increment_current_attempt()


def retry_handlers(sleep: Sleep = asyncio.sleep) -> list[AsyncRetryHandler]:
    return [RetryAfter(sleep=sleep)]
