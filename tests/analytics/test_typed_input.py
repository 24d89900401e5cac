"""What users type into /stats, /track, /campaign and /report: refusals that name what is wrong,
counts in words ("1 view", "an X post"), campaign names in any script, on every store."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from core.analytics_ports import AnalyticsSource
from core.digests.render import render_digest
from core.metrics import AnalyticsItem, ItemKind, Metric, PostMetrics
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
from tests.analytics.test_digests import facts


def measured(store: UnitOfWorkFactory) -> tuple[Env, Chat]:
    """Analytics whose source reports 100 views and 5 likes for every published post."""

    def answer(item: AnalyticsItem) -> PostMetrics:
        return metrics(views=100, likes=5)

    sources: dict[Route, AnalyticsSource] = {
        Route.AYRSHARE: ScriptedSource(Route.AYRSHARE, answer)
    }
    env = make_env(store, sources)
    return env, make_chat(env, sources)


async def test_stats_period_refusals_say_what_is_wrong(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    for typed, shown in (("/stats 99999d", "99,999"), ("/stats 0d", "0")):
        reply = await chat.say(typed)
        assert reply.text == (
            f"I keep numbers for up to 365 days, so {shown} days can't be shown. "
            "Pick between 1 and 365, e.g. /stats 30d."
        ), typed
    huge = await chat.say("/stats " + "9" * 40 + "d")
    assert huge.text.startswith("I keep numbers for up to 365 days, so 99999999999999999999…")
    # A Unicode digit is no post number, and no crash.
    assert (await chat.say("/stats ²")).text == "There is no post ²; /posts lists yours."
    assert (await chat.say("/stats t١")).text == "There is no post t١; /posts lists yours."


async def test_an_empty_window_points_to_the_posts_outside_it(store: UnitOfWorkFactory) -> None:
    env, chat = measured(store)
    profile = await make_profile(store)
    await publish(store, profile, [Network.TIKTOK], at=START - timedelta(days=3, hours=2))
    await env.sync.sweep()
    reply = await chat.say("/stats 1d")
    assert reply.text == (
        "📈 Last 1 day: none of your posts went out in this period; the latest went out "
        "Sat 21 Nov 08:00. Try /stats 4d."
    )
    assert not reply.fields
    assert (await chat.say("/stats 4d")).text.startswith("📈 Last 4 days — 1 post on 1 network")


async def test_counts_are_singular_for_one(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    tracked = await chat.say("/track https://x.com/ana/status/1790000000000000001 views=1 likes=1")
    assert tracked.text.startswith("📌 Tracking t1: an X post.")
    assert "Numbers (entered by hand): 1 view · 1 like · n/a comments" in tracked.text
    await chat.say("/track https://x.com/ana/status/1790000000000000001 comments=1 shares=1")
    one = fields(await chat.say("/stats t1"))["X"]
    assert one.startswith("1 view · 1 like · 1 comment · 1 share · n/a saves")
    week = await chat.say("/stats")
    assert week.text.startswith("📈 Last 7 days — 1 post on 1 network")
    assert fields(week)["X"].startswith("1 post · 1 view · 1 like · 1 comment · 1 share")


async def test_track_refusals_name_the_problem(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    long_id = await chat.say("/track https://x.com/ana/status/" + "1" * 300)
    assert long_id.text == (
        "The post id in that X link is 300 characters long; X's are far shorter (X and TikTok "
        "use up to 19 digits). Check the link."
    )
    long_url = "https://x.com/ana/status/" + "1" * 3000
    assert (await chat.say(f"/track {long_url}")).text == (
        "That link is 3,025 characters; the longest I keep is 2,000."
    )
    # A Unicode digit in a count is not read as a number (float() would take "١٢").
    assert "can't read" in (await chat.say("/track https://x.com/a/status/1 views=١٢")).text
    async with store() as uow:
        assert await uow.analytics.get(1) is None  # nothing was stored


async def test_campaign_names_take_letters_of_any_script(store: UnitOfWorkFactory) -> None:
    env, chat = measured(store)
    profile = await make_profile(store)
    await publish(store, profile, [Network.TIKTOK], at=START - timedelta(days=1))
    await publish(store, profile, [Network.INSTAGRAM], at=START - timedelta(days=1))
    await env.sync.sweep()
    tagged = await chat.say("/campaign 1 Café_été")
    assert tagged.text == "🏷 #1 is in campaign “café_été”. See it with /report café_été."
    assert "“השקה”" in (await chat.say("/campaign 2 השקה")).text
    # Typed decomposed (e + combining accent), it is the same campaign.
    decomposed = unicodedata.normalize("NFD", "café_été")
    assert (await chat.say(f"/report {decomposed}")).text.startswith(
        "📋 Campaign “café_été” — 1 post"
    )
    assert (await chat.say("/report השקה")).text.startswith("📋 Campaign “השקה” — 1 post")
    for bad in ("launch!", "a\u200bb", "🚀", "-x", "x" * 65):
        reply = await chat.say(f"/campaign 1 {bad}")
        assert reply.text.startswith("Campaign names are letters, digits, - and _ (up to 64)"), bad
    async with store() as uow:
        assert (await uow.analytics.tags(1)).campaign == "café_été"


async def test_help_names_each_command_once(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    shown = (await chat.say("/help")).text
    for name in ("/post", "/schedule", "/stats", "/hide", "/unhide", "/campaign", "/digest"):
        starts = [line for line in shown.splitlines() if line.startswith(name + " ")]
        assert len(starts) == 1, (name, shown)
    assert shown.count("/unhide") == 1


async def test_digest_times_are_ascii_digits(store: UnitOfWorkFactory) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    for typed in ("/digest time ²", "/digest time ١٢:٠٠"):
        reply = await chat.say(typed)
        assert reply.text.startswith("I can't read"), typed


def test_a_digest_top_post_seen_once_says_view() -> None:
    item = AnalyticsItem(1, 1, Network.TIKTOK, ItemKind.PUBLISHED, START, title="Hello")
    item.metrics[Metric.VIEWS] = 1
    reply = render_digest(facts(top=(item, 1)), None, private=True)
    assert fields(reply)["Top post"] == "“Hello” on TikTok — 1 view"
