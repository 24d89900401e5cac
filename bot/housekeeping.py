"""The retention pass (core/retention.py) on its own APScheduler job, hourly by default."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.retention import SqlRetentionStore
from bot.media import FileMediaHost
from bot.settings import Settings
from core.ports import Clock, MediaHost
from core.retention import MediaFiles, Retention, RetentionPolicy

log = logging.getLogger(__name__)


def build_retention(
    settings: Settings, engine: AsyncEngine, clock: Clock, media_host: MediaHost
) -> Retention:
    policy = RetentionPolicy(
        media_keep=settings.media_keep, snapshots_hourly_for=settings.snapshots_hourly_for
    )
    # Only media we serve ourselves is ours to delete (Ayrshare keeps its uploads 90 days).
    media: MediaFiles | None = media_host if isinstance(media_host, FileMediaHost) else None
    return Retention(SqlRetentionStore(engine), clock, policy, media)


class Housekeeping:
    """Runs `retention` every `every` seconds, one pass at a time. Each pass is idempotent,
    so every process may run it; nothing is lost by a restart."""

    def __init__(self, retention: Retention, *, every: float = 3600.0) -> None:
        self._retention = retention
        self._every = every
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: asyncio.Task[object] | None = None

    async def run_once(self) -> None:
        if self._running is not None and not self._running.done():
            return
        self._running = asyncio.ensure_future(self._retention.run())
        try:
            await self._running
        except Exception:
            log.exception("retention pass failed; the next one retries")

    def start(self) -> None:
        self._scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self._every,
            id="retention",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            # The first pass soon after start, not an interval later: a bot redeployed more
            # often than hourly still gets its housekeeping done.
            next_run_time=datetime.now(UTC) + timedelta(minutes=1),
        )
        self._scheduler.start()

    async def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
