"""The scheduler tick: APScheduler 3 runs the publishing pipeline every second, in process.

APScheduler holds nothing durable: all due work lives in the database (platform-limits.md §6).
"""

from __future__ import annotations

import asyncio
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.pipeline import Pipeline

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, pipeline: Pipeline, *, interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._interval = interval
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        try:
            await self._pipeline.tick()
        except Exception:
            log.exception("pipeline tick failed; the next tick retries")

    async def _loop_once(self) -> None:
        if self._running is not None and not self._running.done():
            return  # one tick at a time; APScheduler's max_instances guards the schedule too
        self._running = asyncio.ensure_future(self._tick())
        await self._running

    def wake(self) -> None:
        """Run a tick now (after a user's "Publish now") instead of waiting for the interval."""
        asyncio.get_running_loop().create_task(self._loop_once())

    def start(self) -> None:
        self._scheduler.add_job(
            self._loop_once,
            "interval",
            seconds=self._interval,
            id="pipeline-tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling, let the tick in flight finish, hand back unsent claims."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
        await self._pipeline.release()
