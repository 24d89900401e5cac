"""Wires analytics into the bot: sources per route, /stats /report /track /campaign /hide
/digest, and the periodic jobs (sync sweep, digest delivery) on their own APScheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from adapters.ayrshare.analytics import AyrshareAnalytics
from adapters.ayrshare.client import AyrshareClient
from adapters.charts import LineCharts
from adapters.instagram.analytics import InstagramGraphAnalytics
from adapters.sandbox.analytics import SandboxAnalytics
from bot.settings import Settings
from bot.ticker import run_alone, stop_scheduler
from core.actions import Action
from core.analytics.campaigns import CampaignCommands
from core.analytics.stats import StatsCommands
from core.analytics.sync import AnalyticsSync, SyncConfig
from core.analytics_ports import AnalyticsSource, ChartRenderer
from core.chat.entry import Postroom
from core.digests.command import DigestCommands
from core.digests.compose import DigestComposer
from core.digests.delivery import DigestConfig, DigestRunner
from core.model import Route
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWorkFactory
from core.request_budget import RequestBudget
from core.roles import Capability

__all__ = ["AnalyticsJobs", "AnalyticsServices", "build_analytics", "build_sources"]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass
class AnalyticsServices:
    sync: AnalyticsSync
    composer: DigestComposer
    runner: DigestRunner
    stats: StatsCommands
    campaigns: CampaignCommands
    digests: DigestCommands


def build_sources(
    settings: Settings,
    client: AyrshareClient | None,
    budget: RequestBudget,
    clock: Clock,
    sleep: Sleep = asyncio.sleep,
    http: httpx.AsyncClient | None = None,
) -> dict[Route, AnalyticsSource]:
    """The sandbox's; else Ayrshare's when it is configured, on the budget publishing uses
    too, and the free tier's Instagram Graph insights with each profile's own token (as its
    publisher)."""
    if settings.sandbox:
        return {route: SandboxAnalytics(route, clock) for route in Route}
    sources: dict[Route, AnalyticsSource] = {}
    if client is not None:
        sources[Route.AYRSHARE] = AyrshareAnalytics(client, budget, clock=clock, sleep=sleep)
    if http is not None:
        sources[Route.INSTAGRAM_GRAPH] = InstagramGraphAnalytics(
            http, base_url=settings.instagram_api_url, clock=clock
        )
    return sources


def build_analytics(
    settings: Settings,
    *,
    uow: UnitOfWorkFactory,
    postroom: Postroom,
    policy: Policy,
    clock: Clock,
    messengers: Messengers,
    worker: str,
    sources: Mapping[Route, AnalyticsSource],
    charts: ChartRenderer | None = None,
    sleep: Sleep = asyncio.sleep,
) -> AnalyticsServices:
    """The analytics use cases, with their commands registered on `postroom`."""
    # SQLite has one writer at a time: queue the sweep's writes rather than let it poll.
    sqlite = settings.resolved_database_url.startswith("sqlite")
    config = SyncConfig(writers=1 if sqlite else 0)
    sync = AnalyticsSync(uow, sources, policy, clock, config, sleep=sleep)
    composer = DigestComposer(uow, policy, clock, charts if charts is not None else LineCharts())
    runner = DigestRunner(uow, messengers, composer, clock, DigestConfig(worker=worker))
    stats = StatsCommands(uow, clock)
    campaigns = CampaignCommands(uow, policy, clock)
    digests = DigestCommands(uow, composer, clock, stats)
    # What a team member's role must hold for each (core.roles): viewers read numbers,
    # reports and digests; editors change what is tracked and counted.
    view, compose = Capability.VIEW, Capability.COMPOSE
    postroom.add_command(
        "stats",
        stats.stats,
        "/stats [30d | <post id>] — views, engagement, best post",
        capability=view,
    )
    postroom.add_command(
        "report", stats.report, "/report <campaign> — a campaign's totals", capability=view
    )
    postroom.add_command(
        "track",
        campaigns.track,
        "/track <url> [campaign] [views=…] — a post made elsewhere",
        capability=compose,
    )
    postroom.add_command(
        "campaign",
        campaigns.campaign,
        "/campaign <post id> <name> — tag a post for /report",
        capability=compose,
    )
    postroom.add_command(
        "hide",
        campaigns.hide,
        "/hide <post id> — keep a post out of reports",
        capability=compose,
    )
    postroom.add_command(
        "unhide", campaigns.unhide, "/unhide <post id> — count it again", capability=compose
    )
    postroom.add_command(
        "digest",
        digests.command,
        "/digest on | off | time 09:00 | here | weekly | now",
        capability=view,
    )
    postroom.add_tap(Action.DIGEST, digests.tap, capability=view)
    return AnalyticsServices(sync, composer, runner, stats, campaigns, digests)


class AnalyticsJobs:
    """The sync sweep and the digest tick on their own APScheduler, one run of each at a time.

    APScheduler holds nothing durable: what is due lives in the database (item next_sync_at,
    subscription next_due_at, delivery claims), so a restart loses nothing.
    """

    def __init__(
        self, services: AnalyticsServices, *, sync_every: float = 60.0, digest_every: float = 20.0
    ) -> None:
        self._services = services
        self._sync_every = sync_every
        self._digest_every = digest_every
        self._scheduler = AsyncIOScheduler(timezone="UTC")
        self._running: dict[str, asyncio.Task[object]] = {}

    async def sync_once(self) -> None:
        await run_alone(self._running, "analytics sync", self._services.sync.sweep)

    async def digests_once(self) -> None:
        async def both() -> None:
            await self._services.runner.tick()
            await self._services.runner.prepare()

        await run_alone(self._running, "digest tick", both)

    def start(self) -> None:
        common = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self._scheduler.add_job(
            self.sync_once, "interval", seconds=self._sync_every, id="analytics-sync", **common
        )
        self._scheduler.add_job(
            self.digests_once, "interval", seconds=self._digest_every, id="digest-tick", **common
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling, let runs in flight finish, hand back unsent digest claims."""
        await stop_scheduler(self._scheduler, self._running.values)
        try:
            released = await self._services.runner.release()
        except Exception:
            log.exception("could not hand back digest claims; their leases will run out")
            return
        if released:
            log.info("handed back %d unsent digest(s)", released)
