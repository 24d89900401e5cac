"""Digest figures (issue 14, item 17): a profile's first day counts from zero, the day after
compares with it, and publishing outcomes are counted in posts with repeated reasons grouped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.digest_schedule import DigestSubscription, next_occurrence
from core.metrics import DailyTotal, Metric, PostMetrics
from core.model import ChatPlatform, ChatRef, Network, Route
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


async def test_digests_composed_ahead_in_batches_match_one_composed_alone(
    store: UnitOfWorkFactory,
) -> None:
    """The wave path (numbers read for many profiles at once, one chart per profile) says
    exactly what a digest composed on its own says, across time zones."""
    ana = await make_profile(store, "ana", name="Ana's bakery")
    bo = await make_profile(store, "bo", timezone="Europe/Berlin", name="Bo's bikes")
    for n, profile in enumerate((ana, bo)):
        await publish(
            store,
            profile,
            [Network.TIKTOK, Network.INSTAGRAM],
            at=MONDAY - timedelta(hours=2 + n),
            text=f"Post of {profile.display_name}",
            provider_post_id=f"p{n}",
            failed={Network.X: "duplicate content"},
        )
    views = {"now": 300}
    source = ScriptedSource(
        Route.AYRSHARE, lambda item: metrics(views=views["now"] + item.id, likes=9)
    )
    charts = FakeCharts()
    env = make_env(store, {Route.AYRSHARE: source}, charts=charts, start=MONDAY)
    await env.sync.sweep()
    views["now"] = 800
    env.clock.set(MONDAY + timedelta(days=1))
    await env.sync.sweep()
    async with store() as u:
        for profile, minute in ((ana, 9 * 60), (bo, 10 * 60)):  # both 09:00 UTC
            for k in range(2):
                sub = DigestSubscription(
                    0,
                    profile.id,
                    ChatRef(ChatPlatform.CONSOLE, f"-100{profile.id}{k}"),
                    created_at=MONDAY,
                    minute_of_day=minute,
                )
                tz = ZoneInfo(profile.timezone)
                sub.next_due_at = next_occurrence(env.clock.now(), minute, False, tz)
                await u.digests.save(sub)
        await u.commit()
    runner = env.runner("w1")
    env.clock.set(datetime(2026, 11, 25, 8, 50, tzinfo=UTC))
    assert await runner.prepare() == 4
    assert len(charts.drawn) == 2  # one chart per profile, shared by its two chats
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert (await runner.tick()).sent == 4
    by_profile = {str(p.id): p for p in (ana, bo)}
    for chat, sent, _ in env.messenger.sent:
        profile = by_profile[chat.chat[4:-1]]
        alone = await env.composer.compose(
            profile, WEDNESDAY, weekly=False, named=True, private=False
        )
        assert (sent.text, sent.fields, sent.image) == (alone.text, alone.fields, alone.image)
        assert fields(sent)["Views"] != "n/a  n/a"
