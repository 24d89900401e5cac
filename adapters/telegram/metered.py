"""Counts every Bot API request PTB makes through the rate limiter: upstream calls, their
429s and errors, and messages sent or edited (core's Telemetry port)."""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import BaseRateLimiter

from core.telemetry import Telemetry

Result = bool | dict[str, Any] | list[dict[str, Any]]

# Calls that put a message into a chat (or change one there).
_MESSAGE_PREFIXES = ("send", "edit", "copy", "forward")


def status_of(error: Exception) -> int | None:
    """The HTTP status the Bot API answered with, as PTB's exception tells; None when no
    answer came (a timeout or a lost connection)."""
    match error:
        case RetryAfter():
            return 429
        case InvalidToken():
            return 401
        case Forbidden():
            return 403
        case Conflict():
            return 409
        case BadRequest():  # before NetworkError: PTB derives BadRequest from it
            return 400
        case NetworkError():
            return None
        case TelegramError():
            return 500
    return None


class MeteredRateLimiter(BaseRateLimiter[Any]):
    """Wraps the real rate limiter. It hands PTB's request callback to the inner limiter
    wrapped, so each attempt is seen, retries after a 429 included."""

    def __init__(self, inner: BaseRateLimiter[Any], telemetry: Telemetry) -> None:
        self._inner = inner
        self._telemetry = telemetry

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> Result:
        telemetry = self._telemetry
        message = endpoint.lower().startswith(_MESSAGE_PREFIXES)

        async def metered(*a: Any, **kw: Any) -> Result:
            started = time.monotonic()
            status: int | None = None
            try:
                result = await callback(*a, **kw)
            except Exception as e:
                status = status_of(e)
                raise
            else:
                status = 200
                if message:
                    telemetry.message_sent("telegram")
                return result
            finally:
                telemetry.upstream_call("telegram", status, time.monotonic() - started)

        return await self._inner.process_request(
            metered, args, kwargs, endpoint, data, rate_limit_args
        )
