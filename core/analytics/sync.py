"""The analytics sync: refreshes post and account numbers on each tier's cadence."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.analytics.daily import daily_totals, local_day
from core.analytics_ports import AnalyticsSource
from core.errors import PermanentError, PublishError, TransientError
from core.metrics import AccountMetric, AnalyticsItem, ItemKind, PostMetrics, Reading
from core.model import Network, Profile, Route
from core.policy import Policy
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Write = Callable[[UnitOfWork], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SyncConfig:
    page: int = 1000  # due items read per query; memory stays flat however many are due
    # Requests in flight per profile (docs/product-rules.md#analytics-refresh).
    per_profile: int = 5
    # Item groups (one profile's share of a page) in flight; also bounds what is held in
    # memory. Profiles run side by side, so the per-profile rate limits are what bind.
    profiles_at_once: int = 500
    retries: int = 2  # quick retries of a transient error within one sweep
    backoff_base: float = 1.0  # seconds, doubled per retry, with ±50% jitter
    backoff_cap: float = 30.0
    # A wait longer than this (Ayrshare's 429 can ask for the whole 5-minute window) is not
    # slept through: the profile's remaining items move to the next sweep instead.
    max_wait: float = 30.0
    failure_backoff: timedelta = timedelta(minutes=15)  # doubled per consecutive failure
    max_failure_backoff: timedelta = timedelta(days=7)
    # Write transactions at once; 0 = no limit. SQLite has one writer at a time and makes
    # the others poll with growing sleeps, so queueing them here (1) is much faster there.
    writers: int = 0
    accounts_every: timedelta = timedelta(hours=24)
    accounts_retry: timedelta = timedelta(hours=1)


@dataclass(slots=True)
class SweepReport:
    adopted: int = 0
    refreshed: int = 0
    failed: int = 0
    skipped: int = 0  # no analytics source for their route
    accounts: int = 0
    account_failures: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _ProfileRun:
    """One profile during one sweep: its request gate, and whether a 429 paused it."""

    profile: Profile
    cadence: timedelta
    gate: asyncio.Semaphore
    paused_until: datetime | None = None


class AnalyticsSync:
    """One sweep refreshes every due item and every due account, then the daily totals."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sources: Mapping[Route, AnalyticsSource],
        policy: Policy,
        clock: Clock,
        config: SyncConfig | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._uow = uow
        self._sources = sources
        self._policy = policy
        self._clock = clock
        self.config = config or SyncConfig()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._warned_routes: set[Route] = set()
        self._writing = asyncio.Semaphore(self.config.writers or 1_000_000)

    async def sweep(self) -> SweepReport:
        started = time.monotonic()
        report = SweepReport()
        now = self._clock.now()
        async with self._uow() as uow:
            report.adopted = await uow.analytics.adopt_published(now, limit=10_000)
            await uow.commit()
        # Account numbers (daily) go alongside the posts: both spend the same budgets.
        await asyncio.gather(self._refresh_posts(now, report), self._refresh_accounts(now, report))
        report.seconds = time.monotonic() - started
        if report.refreshed or report.failed or report.accounts or report.skipped:
            log.info(
                "analytics sweep: %d refreshed, %d failed, %d skipped, %d accounts in %.1fs",
                report.refreshed,
                report.failed,
                report.skipped,
                report.accounts,
                report.seconds,
            )
        return report

    async def totals(self, profile: Profile) -> None:
        """Rewrite today's daily totals of one profile from its items' latest values."""
        async with self._uow() as uow:
            await self._totals(uow, profile, self._clock.now())
            await uow.commit()

    @staticmethod
    async def _totals(uow: UnitOfWork, profile: Profile, now: datetime) -> None:
        items = await uow.analytics.items(profile.id)
        day = local_day(now, profile.timezone)
        await uow.analytics.save_daily(daily_totals(profile.id, day, items), updated_at=now)

    async def _safely(self, what: str, report: SweepReport, work: Awaitable[object]) -> None:
        try:
            await work
        except Exception as e:
            log.exception("analytics: %s failed; retried next sweep", what)
            report.errors.append(f"{what}: {type(e).__name__}")

    async def _refresh_posts(self, now: datetime, report: SweepReport) -> None:
        runs: dict[int, _ProfileRun] = {}
        gate = asyncio.Semaphore(self.config.profiles_at_once)
        running: set[asyncio.Task[None]] = set()
        after: tuple[datetime, int] | None = None
        while True:
            async with self._uow() as uow:
                page = await uow.analytics.due(now, limit=self.config.page, after=after)
                if not page:
                    break
                last = page[-1]
                after = (last.next_sync_at or now, last.id)
                by_profile: dict[int, list[AnalyticsItem]] = defaultdict(list)
                for item in page:
                    by_profile[item.profile_id].append(item)
                for profile_id in by_profile:
                    if profile_id not in runs:
                        profile = await uow.profiles.get(profile_id)
                        if profile is not None:
                            cadence = self._policy[profile.tier].analytics_refresh
                            limit = asyncio.Semaphore(self.config.per_profile)
                            runs[profile_id] = _ProfileRun(profile, cadence, limit)
            for profile_id, members in by_profile.items():
                run = runs.get(profile_id)
                if run is None:
                    continue
                # Back-pressure: the next page is read only when a group has finished.
                await gate.acquire()
                task = asyncio.create_task(self._group(run, members, now, report))
                running.add(task)
                task.add_done_callback(running.discard)
                task.add_done_callback(lambda _: gate.release())
            if len(page) < self.config.page:
                break
        if running:
            await asyncio.gather(*running)

    async def _group(
        self, run: _ProfileRun, items: list[AnalyticsItem], now: datetime, report: SweepReport
    ) -> None:
        what = f"refreshing profile {run.profile.id}"
        await self._safely(what, report, self._refresh(run, items, now, report))

    async def _refresh(
        self, run: _ProfileRun, items: list[AnalyticsItem], now: datetime, report: SweepReport
    ) -> None:
        groups: dict[tuple[Route | None, str], list[AnalyticsItem]] = defaultdict(list)
        for item in items:
            # Targets of one Ayrshare post are read with one request (300 requests per 5 min).
            key = item.provider_post_id if item.kind is ItemKind.PUBLISHED else None
            groups[(item.route, key or f"item:{item.id}")].append(item)
        skipped: list[AnalyticsItem] = []
        work: list[tuple[AnalyticsSource, list[AnalyticsItem]]] = []
        for (route, _), members in groups.items():
            source = self._sources.get(route) if route is not None else None
            if source is None:
                skipped += members
            else:
                work.append((source, members))
        if skipped:
            await self._skip(skipped, run, now, report)
        results: dict[int, PostMetrics | None] = {}
        errors: dict[int, tuple[str, bool]] = {}  # item id -> (reason, permanent)

        async def fetch(source: AnalyticsSource, members: list[AnalyticsItem]) -> None:
            async with run.gate:
                if run.paused_until is not None:
                    for item in members:
                        errors[item.id] = ("rate limited; waiting for the next sweep", False)
                    return
                try:
                    got = await self._fetch(source, run, members)
                except PublishError as e:
                    permanent = isinstance(e, PermanentError)
                    for item in members:
                        errors[item.id] = (e.reason, permanent)
                    return
                except Exception as e:
                    # A parsing bug or an unexpected answer: this group only.
                    log.exception("analytics: reading items %s failed", [i.id for i in members])
                    for item in members:
                        errors[item.id] = (f"unexpected error ({type(e).__name__})", False)
                    return
                for item in members:
                    results[item.id] = got.get(item.id)

        await asyncio.gather(*(fetch(source, members) for source, members in work))
        await self._store(run, items, results, errors, now, report)

    async def _fetch(
        self, source: AnalyticsSource, run: _ProfileRun, members: list[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        attempt = 0
        while True:
            try:
                return await source.post_metrics(run.profile, members)
            except TransientError as e:
                attempt += 1
                if e.retry_after is not None:
                    wait = e.retry_after + self._rng.uniform(0.0, 1.0)
                else:
                    base = self.config.backoff_base * 2 ** (attempt - 1)
                    wait = min(self.config.backoff_cap, base) * self._rng.uniform(0.5, 1.5)
                if e.retry_after is not None and wait > self.config.max_wait:
                    run.paused_until = self._clock.now() + timedelta(seconds=wait)
                    raise
                if attempt > self.config.retries:
                    raise
                log.info(
                    "analytics: %s for profile %s; retry %d in %.1fs",
                    e.reason,
                    run.profile.id,
                    attempt,
                    wait,
                )
                await self._sleep(wait)

    async def _skip(
        self, items: list[AnalyticsItem], run: _ProfileRun, now: datetime, report: SweepReport
    ) -> None:
        routes = {i.route for i in items}
        for route in routes:
            if route is not None and route not in self._warned_routes:
                self._warned_routes.add(route)
                log.warning(
                    "analytics: no source for route %s on this server: its items are skipped "
                    "and looked at again after their cadence",
                    route.value,
                )
        report.skipped += len(items)
        async with self._uow() as uow:
            await uow.analytics.defer([i.id for i in items], now + run.cadence)
            await uow.commit()

    async def _store(
        self,
        run: _ProfileRun,
        members: list[AnalyticsItem],
        results: Mapping[int, PostMetrics | None],
        errors: Mapping[int, tuple[str, bool]],
        now: datetime,
        report: SweepReport,
    ) -> None:
        items = {i.id: i for i in members}
        readings = [self._reading(item_id, got, run, now) for item_id, got in results.items()]
        try:
            async with self._writing, self._uow() as uow:
                await uow.analytics.record_many(readings, taken_at=now)
                for item_id, (reason, permanent) in errors.items():
                    await self._failed(items[item_id], reason, permanent, run, now)(uow)
                # Today's totals in the same transaction: they always match the items.
                await self._totals(uow, run.profile, now)
                await uow.commit()
        except Exception:
            # One row refused (or a lost connection): store item by item, so the rest count.
            log.exception("analytics: storing profile %s's batch failed", run.profile.id)
            for item_id, got in results.items():
                write = self._record(items[item_id], got, run, now)
                await self._safely(f"storing item {item_id}", report, self._one(write))
            for item_id, (reason, permanent) in errors.items():
                write = self._failed(items[item_id], reason, permanent, run, now)
                await self._safely(f"storing item {item_id}'s failure", report, self._one(write))
            totals = self.totals(run.profile)
            await self._safely(f"daily totals of profile {run.profile.id}", report, totals)
        report.refreshed += len(results)
        report.failed += len(errors)
        for item_id, (reason, _) in errors.items():
            report.errors.append(f"item {item_id}: {reason}")

    async def _one(self, write: Callable[[UnitOfWork], Awaitable[None]]) -> None:
        async with self._uow() as uow:
            await write(uow)
            await uow.commit()

    @staticmethod
    def _reading(
        item_id: int, got: PostMetrics | None, run: _ProfileRun, now: datetime
    ) -> Reading:
        if got is None:
            return Reading(item_id, {}, now + run.cadence)
        return Reading(
            item_id,
            got.values,
            now + run.cadence,
            got.url,
            got.posted_at,
            got.external_id,
            got.note,
        )

    def _record(
        self, item: AnalyticsItem, got: PostMetrics | None, run: _ProfileRun, now: datetime
    ) -> Write:
        async def write(uow: UnitOfWork) -> None:
            await uow.analytics.record_many([self._reading(item.id, got, run, now)], taken_at=now)

        return write

    def _failed(
        self, item: AnalyticsItem, reason: str, permanent: bool, run: _ProfileRun, now: datetime
    ) -> Write:
        if run.paused_until is not None and not permanent:
            retry_at = max(run.paused_until, now + timedelta(minutes=1))
        else:
            wait = self.config.failure_backoff * 2 ** min(item.failures, 20)
            limit = self.config.max_failure_backoff if permanent else run.cadence
            retry_at = now + min(wait, max(limit, self.config.failure_backoff))

        async def write(uow: UnitOfWork) -> None:
            log.warning(
                "analytics: item %s (%s, profile %s) not refreshed: %s; next try %s",
                item.id,
                item.network.value,
                item.profile_id,
                reason,
                retry_at.isoformat(timespec="minutes"),
            )
            await uow.analytics.failed(item.id, error=reason[:500], next_sync_at=retry_at)

        return write

    async def _refresh_accounts(self, now: datetime, report: SweepReport) -> None:
        async with self._uow() as uow:
            due = await uow.analytics.accounts_due(now, limit=self.config.page)
        gate = asyncio.Semaphore(self.config.profiles_at_once)

        async def one(profile_id: int) -> None:
            async with gate:
                await self._safely(
                    f"account numbers of profile {profile_id}",
                    report,
                    self._account(profile_id, now, report),
                )

        await asyncio.gather(*(one(p) for p in due))

    async def _account(self, profile_id: int, now: datetime, report: SweepReport) -> None:
        async with self._uow() as uow:
            profile = await uow.profiles.get(profile_id)
        if profile is None:
            return
        by_route: dict[Route, list[Network]] = defaultdict(list)
        for network in sorted(profile.connected(), key=lambda n: n.rank):
            route = self._policy[profile.tier].routes.get(network)
            if route is not None:
                by_route[route].append(network)
        day = local_day(now, profile.timezone)
        found: dict[Network, Mapping[AccountMetric, int]] = {}
        problems: list[str] = []
        for route, networks in by_route.items():
            source = self._sources.get(route)
            if source is None:
                continue
            try:
                found |= await source.account_metrics(profile, networks)
            except PublishError as e:
                problems.append(e.reason)
        async with self._writing, self._uow() as uow:
            for network, values in found.items():
                await uow.analytics.record_account(profile.id, network, day, values, taken_at=now)
            error = "; ".join(problems)[:500] or None
            wait = self.config.accounts_retry if error else self.config.accounts_every
            await uow.analytics.accounts_synced(
                profile.id, now=now, next_at=now + wait, error=error
            )
            await uow.commit()
        if error:
            report.account_failures += 1
            log.warning("analytics: account numbers of profile %s: %s", profile.id, error)
        else:
            report.accounts += 1
