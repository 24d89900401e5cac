"""Chat updates taken once across processes: the update id per bot, kept a day, in the database."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from core.errors import Conflict
from core.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

# Telegram re-sends an update it got no 2xx for, for up to 24 hours
# (https://core.telegram.org/bots/api#getting-updates); a redelivery later than that cannot be.
KEEP = timedelta(hours=24)
PRUNE_EVERY = timedelta(hours=1)


def key_number(key: str) -> int:
    """A text key (Slack's `event_id`, `trigger_id` or view id) as a signed 64-bit update id:
    the first 8 bytes of its BLAKE2b digest. Two keys share a number with odds of about
    n²/2⁶⁴ for n keys kept at once (under 10⁻⁷ for a million), and then only the later one
    is taken for a repeat."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SeenUpdates:
    """Records each update before it is handled; a second take, by this process or another
    behind the same webhook (Telegram re-sends what it got no answer for in time), is
    refused. Updates are forgotten after `keep`, by a prune at most every `prune_every`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        keep: timedelta = KEEP,
        prune_every: timedelta = PRUNE_EVERY,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._keep = keep
        self._prune_every = prune_every
        self._pruned: datetime | None = None

    async def first_time(self, source: str, update_id: int) -> bool:
        """True the first time `source` (a bot) brings `update_id`: handle it."""
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                fresh = await uow.seen_updates.first_seen(source, update_id, now=now)
                await uow.commit()
        except Conflict:
            return False  # another process recorded it at the same moment
        except Exception:
            # Without the database the update cannot be handled well either; answering it
            # (perhaps twice) beats losing it.
            log.exception(
                "could not record update %s of %s; handling it anyway", update_id, source
            )
            return True
        if self._pruned is None or now - self._pruned >= self._prune_every:
            await self.prune()
        return fresh

    async def first_key(self, source: str, key: str) -> bool:
        """`first_time` for a text key (`key_number`)."""
        return await self.first_time(source, key_number(key))

    async def prune(self) -> int:
        """Forget the updates seen longer than `keep` ago."""
        now = self._clock.now()
        self._pruned = now
        try:
            async with self._uow() as uow:
                gone = await uow.seen_updates.prune(now - self._keep)
                await uow.commit()
        except Exception:
            log.exception("could not prune the updates seen")
            return 0
        return gone
