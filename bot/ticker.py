"""The scheduler tick: APScheduler 3 runs the publishing pipeline every second, in process.

APScheduler holds nothing durable: all due work lives in the database, since APScheduler 3
cannot share a job store between processes (docs/limits-by-platform.md#apscheduler).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.publishing.pipeline import Pipeline

log = logging.getLogger(__name__)

RETRY_SOON = 0.1  # seconds: how soon to look again at work due but not taken by a pass
# Seconds at least between wake-ups: posts falling due a few milliseconds apart are claimed
# together, one query for many, instead of one pass each.
GATHER = 0.05


async def stop_scheduler(
    scheduler: AsyncIOScheduler, running: Callable[[], Iterable[asyncio.Future[Any]]]
) -> None:
    """Stop an AsyncIOScheduler once the runs in flight (`running()`) have finished.

    APScheduler's shutdown cancels every job run it still has pending, which would cut a
    pass off mid-transaction and log each as failed. So: no new runs, let those already
    handed to the event loop start and finish, then shut down.
    """
    if not scheduler.running:
        return
    scheduler.pause()
    await asyncio.sleep(0)  # runs already submitted take their first step
    while busy := [f for f in running() if not f.done()]:
        await asyncio.gather(*busy, return_exceptions=True)
    await asyncio.sleep(0)  # their APScheduler wrappers return
    scheduler.shutdown(wait=False)


async def run_alone(
    running: dict[str, asyncio.Task[object]], name: str, job: Callable[[], Awaitable[object]]
) -> None:
    """Run `job` unless its last run (kept in `running` under `name`) is still going; a
    failure is logged, and the next scheduled run retries."""
    current = running.get(name)
    if current is not None and not current.done():
        return
    task: asyncio.Task[object] = asyncio.ensure_future(job())
    running[name] = task
    try:
        await task
    except Exception:
        log.exception("%s failed; the next run retries", name)


class Ticker:
    """Runs a pipeline pass every `interval` seconds, and also wakes when the next scheduled
    target falls due within the interval, so posts go out on time rather than up to a tick
    late. Requests run on between passes: one slow request never holds up the next claim."""

    def __init__(self, pipeline: Pipeline, *, interval: float = 1.0) -> None:
        self._pipeline = pipeline
        self._interval = interval
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: asyncio.Task[None] | None = None
        self._alarm: asyncio.TimerHandle | None = None
        self._stopped = False
        self._started = False

    async def _take_back(self) -> None:
        """A process that ran with this worker id died holding leases: take them back now
        instead of when they run out (nothing of this process holds any yet)."""
        self._started = True
        await self._pipeline.release()

    async def _tick(self, full: bool) -> None:
        try:
            if not self._started:
                await self._take_back()
            # A wake-up between ticks only publishes; recovery and lookups keep to the ticks.
            done = await (self._pipeline.step() if full else self._pipeline.dispatch())
            wait = await self._pipeline.until_next_due()
        except Exception:
            log.exception("pipeline tick failed; the next tick retries")
            return
        if wait is None or wait >= timedelta(seconds=self._interval):
            return
        if wait > timedelta():
            self._wake_in(max(wait.total_seconds(), GATHER))
        else:
            # More fell due while this pass ran: go again soon. If this pass did nothing, no
            # request is free, or a claim is running, or another worker holds it: look again
            # a little later rather than spin.
            self._wake_in(GATHER if done else min(self._interval, RETRY_SOON))

    def _wake_in(self, seconds: float) -> None:
        if self._stopped:
            return
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm = asyncio.get_running_loop().call_later(seconds, self._publish_due)

    async def _loop_once(self, full: bool = True) -> None:
        if self._running is not None and not self._running.done():
            return  # one pass at a time; APScheduler's max_instances guards the schedule too
        self._running = asyncio.ensure_future(self._tick(full))
        await self._running

    def _publish_due(self) -> None:
        if not self._stopped:
            asyncio.get_running_loop().create_task(self._loop_once(full=False))

    def wake(self) -> None:
        """Run a pass now (after a user's "Publish now") instead of waiting for the interval."""
        if not self._stopped:
            asyncio.get_running_loop().create_task(self._loop_once())

    def start(self) -> None:
        self._scheduler.add_job(
            self._loop_once,
            "interval",
            seconds=self._interval,
            id="pipeline-tick",
            max_instances=1,
            coalesce=True,
            # A tick that runs late still runs: due work lives in the database, not here.
            misfire_grace_time=None,
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop claiming, let the pass and the requests in flight finish, then hand back what
        this worker still holds (SIGTERM)."""
        self._stopped = True
        if self._alarm is not None:
            self._alarm.cancel()
        self._pipeline.stop()
        await stop_scheduler(self._scheduler, lambda: [self._running] if self._running else [])
        await self._pipeline.drain()
        await self._pipeline.release()
