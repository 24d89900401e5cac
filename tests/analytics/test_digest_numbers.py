"""Digest figures (issue 14, item 17): a profile's first day counts from zero, the day after
compares with it, and publishing outcomes are counted in posts with repeated reasons grouped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.metrics import DailyTotal, Metric, PostMetrics
from core.model import Network, Route
from core.ports import UnitOfWorkFactory
from tests.analytics.support import (
    FakeCharts,
    ScriptedSource,
    fields,
    make_env,
    make_profile,
    metrics,
    publish,
)

MONDAY = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TUESDAY, WEDNESDAY = date(2026, 11, 24), date(2026, 11, 25)


async def test_a_profiles_first_day_counts_from_zero_and_the_next_day_compares(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await publish(store, profile, [Network.TIKTOK], at=MONDAY - timedelta(hours=2), text="Bake")
    answer: dict[str, PostMetrics] = {"now": metrics(views=352, likes=20)}
    source = ScriptedSource(Route.AYRSHARE, lambda item: answer["now"])
    charts = FakeCharts()
    env = make_env(store, {Route.AYRSHARE: source}, charts=charts, start=MONDAY)
    await env.sync.sweep()  # the profile's first numbers, on Monday
    first = await env.composer.compose(profile, TUESDAY, weekly=False, named=False, private=True)
    shown = fields(first)
    # Was "Views n/a" beside "Top post … 352 views".
    assert shown["Views"] == "352  ▲ new"
    assert shown["Top post"] == "“Bake” on TikTok — 352 views"
    assert shown["Engagement"] == "5.7% (20 ÷ 352 views)  n/a"
    assert "No numbers for this period yet" not in first.text
    answer["now"] = metrics(views=500, likes=30)
    env.clock.set(MONDAY + timedelta(days=1))
    await env.sync.sweep()
    second = fields(
        await env.composer.compose(profile, WEDNESDAY, weekly=False, named=False, private=True)
    )
    # Was "n/a" against the first day.
    assert second["Views"] == "148  ▼ 58%"
    assert second["Engagement"] == "6.8% (10 ÷ 148 views)  ▲ 1.1 pt"
    assert charts.drawn[-1].lines[Network.TIKTOK][-2:] == (352, 148)  # type: ignore[attr-defined]


async def test_a_day_missing_after_the_first_numbers_stays_unknown(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await publish(store, profile, [Network.TIKTOK], at=MONDAY - timedelta(days=3))
    env = make_env(store, {}, start=MONDAY - timedelta(days=3))
    await env.sync.sweep()  # the item is known from Friday
    async with store() as u:
        await u.analytics.save_daily(
            [
                DailyTotal(profile.id, d, Network.TIKTOK, "", 1, {Metric.VIEWS: v})
                for d, v in ((date(2026, 11, 20), 100), (date(2026, 11, 23), 400))
            ],
            updated_at=MONDAY,
        )
        await u.commit()
    env.clock.set(MONDAY)
    reply = await env.composer.compose(profile, TUESDAY, weekly=False, named=False, private=True)
    assert fields(reply)["Views"] == "n/a  n/a"  # Sunday was not measured (the bot was down)


async def test_posts_are_counted_as_posts_with_repeated_reasons_grouped(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    networks = [Network.TIKTOK, Network.INSTAGRAM, Network.FACEBOOK, Network.LINKEDIN]
    await publish(store, profile, networks, at=MONDAY)
    await publish(
        store,
        profile,
        [],
        at=MONDAY + timedelta(hours=1),
        failed={Network.X: "duplicate content", Network.LINKEDIN: "duplicate  content"},
        provider_post_id="b",
    )
    env = make_env(store, {}, start=MONDAY)
    reply = await env.composer.compose(profile, TUESDAY, weekly=False, named=False, private=True)
    # Was "Published 4 · Failed 2 (X: duplicate content; LinkedIn: duplicate content)".
    assert fields(reply)["Posts"] == (
        "1 post published (Instagram, Facebook, TikTok, LinkedIn) · 1 post failed — "
        "duplicate content: LinkedIn, X · /posts"
    )
