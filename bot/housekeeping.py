"""Housekeeping passes on their own APScheduler job, hourly by default: retention
(core/retention.py) and the login token refresh (core/publishing/token_refresh.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.retention import SqlRetentionStore
from bot.media import FileMediaHost
from bot.settings import Settings
from bot.ticker import run_alone
from core.ports import Clock, MediaHost
from core.retention import MediaFiles, Retention, RetentionPolicy


def build_retention(
    settings: Settings, engine: AsyncEngine, clock: Clock, media_host: MediaHost
) -> Retention:
    policy = RetentionPolicy(
        media_keep=settings.media_keep, snapshots_hourly_for=settings.snapshots_hourly_for
    )
    # Only media we serve ourselves is ours to delete (Ayrshare keeps its uploads 90 days).
    media: MediaFiles | None = media_host if isinstance(media_host, FileMediaHost) else None
    return Retention(SqlRetentionStore(engine), clock, policy, media)


Pass = Callable[[], Awaitable[object]]


class Housekeeping:
    """Runs each named pass every `every` seconds, one run of each at a time: retention, and
    the login token refresh. Each is safe on every process at once (retention is idempotent;
    the refresh claims each token in the database for one worker), and each keeps what is
    due in the database, so nothing is lost by a restart."""

    def __init__(self, passes: Mapping[str, Pass], *, every: float = 3600.0) -> None:
        self._passes = dict(passes)
        self._every = every
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: dict[str, asyncio.Task[object]] = {}

    async def run_once(self) -> None:
        for name, run in self._passes.items():
            await run_alone(self._running, f"{name} pass", run)

    def start(self) -> None:
        self._scheduler.add_job(
            self.run_once,
            "interval",
            seconds=self._every,
            id="housekeeping",
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
        await asyncio.gather(*self._running.values(), return_exceptions=True)
