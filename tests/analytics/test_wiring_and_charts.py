"""The real wiring in the sandbox: commands registered, a post measured by the sync, a digest
with a real matplotlib chart delivered through the messenger; the chart adapter; migration."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.charts import LineCharts
from adapters.db.cipher import generate_key_spec
from adapters.db.engine import make_engine
from adapters.db.migrate import current_revision, downgrade, upgrade
from bot.analytics import AnalyticsJobs
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.handlers import Actor
from core.metrics import ChartSeries
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network, Route
from core.replies import Reply
from tests.analytics.support import START
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VIDEO = "https://cdn.example.com/launch.mp4"


@pytest.fixture
async def services(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, FixedClock, RecordingMessenger]]:
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": generate_key_spec("t1"),
            "http_port": 0,
        }
    )
    clock = FixedClock(START)
    messenger = RecordingMessenger()
    built = bootstrap(settings, clock=clock, messengers={ChatPlatform.CONSOLE: messenger})
    yield built, clock, messenger
    await built.aclose()


ANA = Actor(
    Identity(ChatPlatform.CONSOLE, "ana"),
    ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE),
    "ana",
)


async def say(services: Services, text: str) -> Reply:
    reply = await services.postroom.handle_text(ANA, text)
    assert reply is not None
    return reply


async def tap(services: Services, reply: Reply, label: str) -> Reply:
    button = next(b for row in reply.buttons for b in row if label in b.label)
    return await services.postroom.handle_tap(ANA, button.callback_data, None)


async def test_a_sandbox_post_is_measured_and_digested_with_a_chart(
    services: tuple[Services, FixedClock, RecordingMessenger],
) -> None:
    built, clock, messenger = services
    assert built.analytics is not None
    assert "/stats [30d | <post id>]" in (await say(built, "/help")).text
    connect = await say(built, "/connect")
    for network in ("TikTok", "YouTube"):
        connect = await tap(built, connect, network)
    draft = await say(built, f"/post Launch day! media: {VIDEO}")
    await tap(built, draft, "Publish now")
    await built.pipeline.run_until_idle()
    await say(built, "/digest on")
    sync = built.analytics.sync
    for _ in range(3 * 24):  # three days of hourly sweeps
        clock.advance(timedelta(hours=1))
        await sync.sweep()
        await built.analytics.runner.tick()
    stats = await say(built, "/stats")
    assert stats.text.startswith("📈 Last 7 days — 1 post on 2 networks")
    views = {f.label: f.value for f in stats.fields}["Views"]
    assert views != "n/a" and int(views.replace(",", "")) > 0
    digests = [reply for _, reply, _ in messenger.sent if reply.text.startswith("📊")]
    assert len(digests) == 3  # Wed, Thu and Fri at 09:00
    last = digests[-1]
    assert last.image is not None and last.image.startswith(PNG_MAGIC)
    assert {f.label for f in last.fields} >= {"Views", "Engagement", "Followers", "Top post"}


async def test_ayrshare_and_instagram_graph_sources_outside_the_sandbox(
    engine: AsyncEngine, db_url: str, tmp_path: Path
) -> None:
    from bot.analytics import build_sources
    from bot.wiring import ayrshare_client
    from core.request_budget import RequestBudget
    from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare

    fake = FakeAyrshare()
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "ayrshare_api_key": fake.api_key,
            "ayrshare_base_url": BASE_URL,
            "secret_keys": generate_key_spec("t1"),
        }
    )
    async with fake.http_client() as http:
        client = ayrshare_client(settings, http)
        sources = build_sources(settings, client, RequestBudget(), FixedClock(START))
        assert set(sources) == {Route.AYRSHARE}  # no HTTP client for Instagram: no source
        both = build_sources(settings, client, RequestBudget(), FixedClock(START), http=http)
    assert set(both) == {Route.AYRSHARE, Route.INSTAGRAM_GRAPH}
    assert both[Route.INSTAGRAM_GRAPH].route is Route.INSTAGRAM_GRAPH


async def test_jobs_start_and_stop_cleanly(
    services: tuple[Services, FixedClock, RecordingMessenger],
) -> None:
    built, _, _ = services
    assert built.analytics is not None
    jobs = AnalyticsJobs(built.analytics, sync_every=3600, digest_every=3600)
    jobs.start()
    await jobs.sync_once()
    await jobs.digests_once()
    await jobs.stop()


async def test_chart_is_a_png_drawn_off_the_event_loop() -> None:
    days = tuple(date(2026, 11, 17) + timedelta(days=i) for i in range(7))
    chart = ChartSeries(
        "Views per network, last 7 days",
        days,
        {
            Network.TIKTOK: (None, None, 1000, 1200, 900, 1500, 1700),
            Network.INSTAGRAM: (100, 120, None, 140, 180, 90, 300),
        },
    )
    charts = LineCharts()
    drawing = asyncio.create_task(charts.render(chart))
    turns = 0
    while not drawing.done():
        turns += 1
        await asyncio.sleep(0)
    png = await drawing
    assert png is not None and png.startswith(PNG_MAGIC) and len(png) < 100_000
    assert turns > 10  # the loop kept running while the chart was drawn
    empty = ChartSeries("x", days, {Network.TIKTOK: (None,) * 7})
    assert await charts.render(empty) is None


async def test_migration_0002_upgrades_from_0001_and_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite'}")
    try:
        await upgrade(engine, "0001")
        await upgrade(engine, "0002_analytics")
        assert await current_revision(engine) == "0002_analytics"
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert {"analytics_items", "digest_deliveries", "daily_totals", "post_tags"} <= tables
        await downgrade(engine, "0001")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "analytics_items" not in tables and "posts" in tables
    finally:
        await engine.dispose()


def test_a_reused_chart_figure_draws_each_chart_as_a_fresh_one_would() -> None:
    """LineCharts redraws one figure (cheaper than one per chart): nothing of the previous
    chart (its networks, scale, days) may show in the next."""
    week = tuple(date(2026, 11, 17) + timedelta(days=i) for i in range(7))
    later = tuple(d + timedelta(days=3) for d in week)
    first = ChartSeries(
        "Views per network, last 7 days",
        week,
        {Network.TIKTOK: (10**6,) * 7, Network.INSTAGRAM: (5, None, 7, 8, 9, 10, 11)},
    )
    second = ChartSeries("Views per network, last 7 days", later, {Network.YOUTUBE: (1,) * 7})
    reused = LineCharts()
    reused.draw(first)
    assert reused.draw(second) == LineCharts().draw(second)
    assert reused.draw(first) == LineCharts().draw(first)
