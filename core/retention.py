"""Retention: served media deleted a set time after every target that needs it has finished;
metric snapshots kept hourly for a while, then thinned to one a day."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.ports import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    # A post's media stays this long after the last of its targets finished (published or
    # failed for good), so a retry after a failure still finds it; a file no post names (a
    # discarded draft) goes this long after it was stored.
    media_keep: timedelta = timedelta(days=7)
    # Snapshots younger than this are kept as taken (hourly for Pro); older ones are thinned
    # to the last of each item's UTC day, which keeps every day's change and /stats 30d.
    snapshots_hourly_for: timedelta = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class StoredMedia:
    url: str
    stored_at: datetime


class RetentionStore(Protocol):
    async def media_in_use(self, finished_since: datetime) -> Collection[str]:
        """Media URLs of every post that may still need them: a target not finished
        (draft, scheduled, queued, publishing, unconfirmed), or the post's last activity
        (created, scheduled, sent, due or published) at or after `finished_since`."""
        ...

    async def thin_snapshots(self, before: datetime) -> int:
        """Of the snapshots taken before `before`, keep the last of each item and UTC day
        and delete the others; returns how many were deleted."""
        ...


class MediaFiles(Protocol):
    """Media the bot itself serves (var/media)."""

    async def stored(self) -> Sequence[StoredMedia]: ...

    async def remove(self, url: str) -> None: ...


@dataclass(frozen=True, slots=True)
class RetentionReport:
    media_removed: int
    snapshots_removed: int


class Retention:
    """One pass of both rules; the scheduler runs it periodically (idempotent, so several
    processes may run it)."""

    def __init__(
        self,
        store: RetentionStore,
        clock: Clock,
        policy: RetentionPolicy | None = None,
        media: MediaFiles | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self.policy = policy or RetentionPolicy()
        self._media = media

    async def run(self) -> RetentionReport:
        now = self._clock.now()
        removed = await self.prune_media(now)
        thinned = await self._store.thin_snapshots(now - self.policy.snapshots_hourly_for)
        if removed or thinned:
            log.info(
                "retention: %d media file(s) deleted, %d snapshot(s) thinned", removed, thinned
            )
        return RetentionReport(removed, thinned)

    async def prune_media(self, now: datetime) -> int:
        if self._media is None:
            return 0
        cutoff = now - self.policy.media_keep
        stored = [m for m in await self._media.stored() if m.stored_at < cutoff]
        if not stored:
            return 0
        in_use = set(await self._store.media_in_use(cutoff))
        removed = 0
        for media in stored:
            if media.url not in in_use:
                await self._media.remove(media.url)
                removed += 1
        return removed
