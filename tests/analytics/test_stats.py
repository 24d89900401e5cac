"""Numbers people can compare: deltas and engagement rate on known snapshots, /stats, /report,
/track, /campaign and /hide, with "n/a" where a network reports nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.analytics.engagement import RATE_RULE, engagement, format_engagement
from core.metrics import (
    AnalyticsItem,
    Metric,
    PostMetrics,
    delta_count,
    delta_percent,
    delta_points,
    format_count,
    subtract,
)
from core.model import Network, Route
from core.ports import UnitOfWorkFactory
from tests.analytics.support import (
    START,
    Chat,
    Env,
    ScriptedSource,
    fields,
    make_chat,
    make_env,
    make_profile,
    metrics,
    publish,
)

V, L, C, S, SV, IMP = (
    Metric.VIEWS,
    Metric.LIKES,
    Metric.COMMENTS,
    Metric.SHARES,
    Metric.SAVES,
    Metric.IMPRESSIONS,
)


def test_engagement_rate_counts_only_posts_with_both_sides_and_shows_its_totals() -> None:
    rows = [
        {V: 1000, L: 50, C: 10, S: 5},  # TikTok: no saves reported
        {IMP: 500, L: 20},  # LinkedIn: impressions instead of views
        {L: 7},  # nothing seen reported: left out of both sides
        {V: 0, L: 50},  # seen 0 times: nothing to divide by, left out too
    ]
    found = engagement(rows)
    assert found.rate == pytest.approx(85 / 1500)
    assert format_engagement(found) == "5.7% (85 ÷ 1,500 views and impressions, 2 of 4 posts)"
    assert engagement([{L: 3}]).rate is None
    assert format_engagement(engagement([{V: 0, L: 0}])) == "n/a"  # no rate, not 0%
    # One post's likes never meet another post's views (this was "1000.0%").
    assert format_engagement(engagement([{V: 5, L: 0}, {V: 0, L: 50}])) == (
        "0.0% (0 ÷ 5 views, 1 of 2 posts)"
    )


def test_deltas_with_arrows_and_unknown_is_never_zero() -> None:
    assert delta_percent(12480, 10576) == "▲ 18%"
    assert delta_percent(900, 1000) == "▼ 10%"
    assert delta_percent(5, 0) == "▲ new"
    assert delta_percent(100, 100) == "= 0%"
    assert delta_percent(None, 100) == "n/a"
    assert delta_points(0.041, 0.044) == "▼ 0.3 pt"
    assert delta_points(0.05, None) == "n/a"
    assert delta_count(8902, 8838) == "▲ 64"
    assert format_count(None) == "n/a"
    assert format_count(0) == "0"
    assert format_count(12480) == "12,480"


def test_subtract_what_a_day_added() -> None:
    assert subtract({V: 1500, L: 60}, {V: 1000, L: 40, C: 5}) == {V: 500, L: 20}
    assert subtract({V: 1500}, None) == {V: 1500}
    assert subtract({V: 900}, {V: 1000}) == {V: 0}  # a recount never goes negative


KNOWN = {
    (1, Network.TIKTOK): metrics(views=6210, likes=410, comments=35, shares=22),
    (1, Network.INSTAGRAM): metrics(views=1800, likes=150, comments=12, shares=3, saves=40),
    (2, Network.LINKEDIN): PostMetrics({IMP: 2400, L: 54, C: 6, S: 4}),
    (3, Network.YOUTUBE): metrics(views=300, likes=20, comments=2),
}


Answers = dict[tuple[int, Network], PostMetrics]


async def scene(store: UnitOfWorkFactory) -> tuple[Env, Chat, Answers]:
    """Three posts of Ana's: two this week, one 20 days ago; numbers refreshed now."""
    profile = await make_profile(store)
    await publish(
        store,
        profile,
        [Network.TIKTOK, Network.INSTAGRAM],
        at=START - timedelta(days=2),
        text="Behind the scenes of our launch",
    )
    await publish(
        store, profile, [Network.LINKEDIN], at=START - timedelta(days=1), provider_post_id="b"
    )
    await publish(
        store, profile, [Network.YOUTUBE], at=START - timedelta(days=20), provider_post_id="c"
    )
    answers = dict(KNOWN)

    def known(item: AnalyticsItem) -> PostMetrics | None:
        assert item.post_id is not None
        return answers.get((item.post_id, item.network))

    source = ScriptedSource(Route.AYRSHARE, known)
    env = make_env(store, {Route.AYRSHARE: source})
    await env.sync.sweep()
    return env, make_chat(env, {Route.AYRSHARE: source}), answers


async def test_stats_last_seven_days(store: UnitOfWorkFactory) -> None:
    _, chat, _ = await scene(store)
    reply = await chat.say("/stats")
    assert reply.text.startswith("📈 Last 7 days — 2 posts on 3 networks")
    assert RATE_RULE in reply.text
    shown = fields(reply)
    assert shown["Views"] == "8,010"  # LinkedIn reports impressions, listed apart
    assert shown["Impressions"] == "2,400"
    assert shown["Likes"] == "614"
    assert shown["Saves"] == "40"
    # (614 + 53 + 29 + 40) / (8,010 + 2,400)
    assert shown["Engagement rate"] == "7.1% (736 ÷ 10,410 views and impressions)"
    assert shown["Best post"].startswith("#1 TikTok “Behind the scenes of our launch” — 6,210")
    assert shown["LinkedIn"] == (
        "1 post · n/a views · 54 likes · 6 comments · 4 shares · n/a saves · 2,400 impressions"
        " · rate 2.7% (64 ÷ 2,400 impressions)"
    )
    assert "YouTube" not in shown  # 20 days old
    month = fields(await chat.say("/stats 30d"))
    assert month["Views"] == "8,310" and "YouTube" in month


async def test_stats_of_one_post_with_its_24_hour_deltas(store: UnitOfWorkFactory) -> None:
    env, chat, answers = await scene(store)
    answers[(1, Network.TIKTOK)] = metrics(views=6330, likes=415, comments=35, shares=22)
    env.clock.advance(timedelta(hours=25))
    await env.sync.sweep()
    reply = await chat.say("/stats 1")
    assert reply.text.startswith("📈 #1 “Behind the scenes of our launch” — engagement rate")
    tiktok = fields(reply)["TikTok"]
    assert tiktok.startswith("6,330 views (▲ 120 in 24 h) · 415 likes (▲ 5 in 24 h) · 35 comments")
    assert "n/a saves" in tiktok


async def test_stats_refuses_someone_elses_post(store: UnitOfWorkFactory) -> None:
    _, chat, _ = await scene(store)
    await make_profile(store, "bo")
    reply = await chat.say("/stats 1", user="bo")
    assert reply.text == "Post #1 isn't one of yours. /posts lists them."
    assert "number like 12" in (await chat.say("/stats yesterday")).text


async def test_stats_without_posts(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    reply = await chat.say("/stats")
    assert "no posts to measure yet" in reply.text and not reply.fields


async def test_report_merges_tracked_and_published_and_leaves_hidden_out(
    store: UnitOfWorkFactory,
) -> None:
    _, chat, _ = await scene(store)
    assert "in campaign “launch”" in (await chat.say("/campaign 1 launch")).text
    await chat.say("/campaign 2 launch")
    tracked = await chat.say(
        "/track https://www.tiktok.com/@ana/video/7311234567890123456 launch views=1.2k likes=40"
    )
    assert tracked.text.startswith("📌 Tracking t5: a TikTok post in campaign “launch”.")
    assert "1,200 views · 40 likes · n/a comments" in tracked.text
    assert "hidden" in (await chat.say("/hide 2")).text
    reply = await chat.say("/report launch")
    assert reply.text.startswith(
        # Posts, not post × network: #1 went to TikTok and Instagram.
        "📋 Campaign “launch” — 2 posts (1 tracked by hand, 1 hidden, not counted)"
    )
    shown = fields(reply)
    assert shown["Views"] == "9,210"  # 6,210 + 1,800 + 1,200; LinkedIn hidden
    assert shown["Saves"] == "40"
    assert "t5 TikTok (tracked) — 1,200 views" in reply.text
    await chat.say("/unhide 2")
    assert "Impressions" in fields(await chat.say("/report launch"))
    assert (await chat.say("/hide t5")).text.startswith("🙈 t5 is hidden")
    after = await chat.say("/report launch")
    assert "1 hidden, not counted" in after.text and "t5 TikTok" not in after.text
    assert (await chat.say("/campaign t5 off")).text == "t5 is in no campaign now."
    assert (await chat.say("/report")).text.startswith("Campaigns: launch")


async def test_track_reads_links_and_numbers(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    fetched = await chat.say("/track https://youtu.be/dQw4w9WgXcQ")
    assert "fetched with the next refresh" in fetched.text
    manual = await chat.say("/track https://www.instagram.com/p/C4xYz12AbCd/ saves=12")
    assert "can't read" not in manual.text and "12 saves" in manual.text
    updated = await chat.say("/track https://www.instagram.com/p/C4xYz12AbCd/ saves=15 bf")
    assert updated.text.startswith("📌 Updated t2: an Instagram post in campaign “bf”.")
    async with store() as u:
        item = await u.analytics.get(2)
        first = await u.analytics.get(1)
    assert item is not None and item.metrics == {SV: 15} and item.campaign == "bf"
    assert first is not None and first.auto_sync and first.external_id == "dQw4w9WgXcQ"
    assert "link" in (await chat.say("/track ftp://x.example/1")).text
    assert "none of them" in (await chat.say("/track https://example.com/post/1")).text
    assert "can't read" in (await chat.say("/track https://x.com/a/status/1 stars=5")).text


async def test_malformed_links_and_huge_numbers_get_a_clear_answer(
    store: UnitOfWorkFactory,
) -> None:
    _, chat, _ = await scene(store)
    assert (
        "The first word must be the post's link" in (await chat.say("/track https://[oops")).text
    )
    assert (await chat.say("/stats 99999999999")).text.startswith("There is no post 99999999999")
    assert (await chat.say("/hide 3000000000")).text.startswith("There is no post 3000000000")
