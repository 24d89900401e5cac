"""How long an album is collected: until a quiet window passes with no new item."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sized

# An album arrives as one update per item, usually within a second of each other but at times
# further apart (1.7 s seen). It is composed once no item came for QUIET_SECONDS, or once it
# has the 10 items an album holds at most (sendMediaGroup takes 2–10:
# https://core.telegram.org/bots/api#sendmediagroup); MOST_SECONDS bounds the wait.
QUIET_SECONDS = 3.0
MOST_SECONDS = 30.0
MAX_ITEMS = 10

Sleep = Callable[[float], Awaitable[None]]


async def until_complete(collected: Sized, sleep: Sleep) -> None:
    """Return once a whole window passed in which `collected` (filled elsewhere) did not grow.

    Any gap shorter than a window is bridged: an item arriving at the end of one window is
    followed by a full window more."""
    waited = 0.0
    while True:
        seen = len(collected)
        await sleep(QUIET_SECONDS)
        waited += QUIET_SECONDS
        quiet = len(collected) == seen
        if quiet or len(collected) >= MAX_ITEMS or waited >= MOST_SECONDS:
            return
