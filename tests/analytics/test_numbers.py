"""Numbers that agree with each other (issue 14, items 15, 16, 18, 24): one post is one item
however its link is written, the rate comes from the totals shown with it, /track shows what
is stored, and a tagged post counts in its report before it has numbers."""

from __future__ import annotations

from datetime import timedelta

from core.analytics.engagement import RATE_RULE
from core.metrics import ItemKind
from core.model import ChatPlatform, ChatRef, Network, Post, Route, Target
from core.ports import UnitOfWorkFactory
from tests.analytics.support import (
    START,
    ScriptedSource,
    fields,
    make_chat,
    make_env,
    make_profile,
    metrics,
    publish,
)

VIDEO = "dQw4w9WgXcQ"
STATUS = "1790000000000000001"  # 19 digits
SHARE = "urn:li:share:7012345678901234567"


async def test_track_counts_one_post_once_whatever_the_link_looks_like(
    store: UnitOfWorkFactory,
) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    profile = await make_profile(store)
    first = await chat.say(f"/track https://www.youtube.com/watch?v={VIDEO}&t=10")
    assert first.text.startswith("📌 Tracking t1: a YouTube post.")
    for again in (
        f"https://youtu.be/{VIDEO}?si=Ab12Cd34",
        f"https://youtu.be/{VIDEO}#t=10",
        f"https://m.youtube.com/shorts/{VIDEO}",
    ):
        assert (await chat.say(f"/track {again}")).text.startswith("📌 Updated t1:"), again
    await chat.say(f"/track https://twitter.com/ana/status/{STATUS}?s=20")
    x = await chat.say(f"/track https://x.com/ana/status/{STATUS} launch")
    assert x.text.startswith("📌 Updated t2: an X post in campaign “launch”.")
    async with store() as u:
        items = await u.analytics.items(profile.id)
    assert [(i.network, i.url, i.external_id) for i in items] == [
        (Network.YOUTUBE, f"https://www.youtube.com/watch?v={VIDEO}", VIDEO),
        (Network.X, f"https://x.com/i/status/{STATUS}", STATUS),
    ]


async def test_tracking_a_post_postroom_published_is_that_post_not_a_copy(
    store: UnitOfWorkFactory,
) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    profile = await make_profile(store)
    await publish(
        store,
        profile,
        [Network.YOUTUBE, Network.X, Network.LINKEDIN],
        at=START - timedelta(hours=3),
        text="Launch video",
        links={
            Network.YOUTUBE: (f"https://www.youtube.com/watch?v={VIDEO}", VIDEO),
            Network.X: (f"https://twitter.com/ana/status/{STATUS}", STATUS),
            Network.LINKEDIN: (f"https://www.linkedin.com/feed/update/{SHARE}", SHARE),
        },
    )
    await env.sync.sweep()  # adopts the three published targets
    reply = await chat.say(f"/track https://youtu.be/{VIDEO}?si=xyz launch views=900")
    assert reply.text.splitlines()[:3] == [
        "📌 That is #1, which Postroom published on YouTube: its numbers are read from there, "
        "so it is not added a second time.",
        "🏷 #1 is in campaign “launch”.",
        "Numbers (entered by hand): 900 views · n/a likes · n/a comments · n/a shares"
        " · n/a saves.",
    ]
    assert "That is #1" in (await chat.say(f"/track https://x.com/i/web/status/{STATUS}")).text
    linkedin = await chat.say(f"/track https://www.linkedin.com/feed/update/{SHARE}/?utm=x")
    assert "published on LinkedIn" in linkedin.text
    async with store() as u:
        items = await u.analytics.items(profile.id, include_hidden=True)
        tags = await u.analytics.tags(1)
    assert {i.kind for i in items} == {ItemKind.PUBLISHED} and len(items) == 3
    assert tags.campaign == "launch"
    report = await chat.say("/report launch")
    assert report.text.startswith("📋 Campaign “launch” — 1 post\n")
    assert fields(report)["Views"] == "900"


async def test_the_rate_is_computed_from_the_totals_shown_beside_it(
    store: UnitOfWorkFactory,
) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    tiktok = "https://www.tiktok.com/@ana/video/"
    await chat.say(f"/track {tiktok}7311234567890123456 views=1000 likes=10")
    await chat.say(f"/track {tiktok}7311234567890123457 likes=500")  # no views known
    await chat.say("/track https://www.instagram.com/p/C4xYz12AbCd/ views=0 likes=50")
    await chat.say("/track https://www.instagram.com/p/C4xYz12AbCe/ views=5 likes=0")
    reply = await chat.say("/stats")
    assert RATE_RULE in reply.text
    shown = fields(reply)
    # Was "rate 1.0%" beside 510 likes, and "rate 1000.0%" for Instagram.
    assert shown["TikTok"] == (
        "2 posts · 1,000 views · 510 likes · n/a comments · n/a shares · n/a saves"
        " · rate 1.0% (10 ÷ 1,000 views, 1 of 2 posts)"
    )
    assert shown["Instagram"].endswith("rate 0.0% (0 ÷ 5 views, 1 of 2 posts)")
    assert shown["Engagement rate"] == "1.0% (10 ÷ 1,005 views, 2 of 4 posts)"
    one = await chat.say("/stats t3")
    assert "engagement rate n/a" in one.text and "rate n/a" in fields(one)["Instagram"]


async def test_a_track_update_shows_what_is_stored_not_just_the_message(
    store: UnitOfWorkFactory,
) -> None:
    env = make_env(store, {})
    chat = make_chat(env, {})
    await make_profile(store)
    url = "https://www.tiktok.com/@ana/video/7311234567890123456"
    await chat.say(f"/track {url} likes=10")
    updated = await chat.say(f"/track {url} views=2000")
    assert "Numbers (entered by hand): 2,000 views · 10 likes · n/a comments" in updated.text
    stats = fields(await chat.say("/stats t1"))["TikTok"]
    assert stats.startswith("2,000 views · 10 likes · n/a comments")


async def test_a_tagged_post_counts_in_its_report_before_it_has_numbers(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await publish(store, profile, [Network.TIKTOK], at=START - timedelta(hours=1), text="Fresh")
    draft = Post(
        0, profile.id, "Next week's teaser", (), START, ChatRef(ChatPlatform.CONSOLE, "ana")
    )
    draft.targets[Network.INSTAGRAM] = Target(Network.INSTAGRAM, Route.AYRSHARE)
    async with store() as u:
        await u.posts.add(draft)
        await u.commit()
    source = ScriptedSource(Route.AYRSHARE, lambda item: metrics(views=700, likes=35))
    env = make_env(store, {Route.AYRSHARE: source})
    chat = make_chat(env, {Route.AYRSHARE: source})
    await chat.say("/campaign 1 launch")
    await chat.say("/campaign 2 launch")
    await chat.say("/track https://www.tiktok.com/@ana/video/7311234567890123456 launch views=100")
    assert (await chat.say("/report")).text.startswith("Campaigns: launch")
    report = await chat.say("/report launch")
    lines = report.text.splitlines()
    # Was "1 post (1 tracked by hand)": the tagged posts were left out.
    assert lines[0] == "📋 Campaign “launch” — 3 posts (1 tracked by hand, 2 not measured yet)"
    assert "#1 TikTok — n/a (published, numbers after the next refresh) · “Fresh”" in lines
    assert "#2 Instagram — n/a (draft, not published yet) · “Next week's teaser”" in lines
    assert fields(report)["Views"] == "100"
    one = await chat.say("/stats 1")
    assert "has no numbers yet" in one.text and "In campaign “launch”: /report launch" in one.text
    week = await chat.say("/stats")
    assert week.text.startswith(
        "📈 Last 7 days — 2 posts on 1 network (1 not measured yet: n/a until the next refresh)"
    )
    await env.sync.sweep()  # #1 is measured now
    report = await chat.say("/report launch")
    assert report.text.startswith(
        "📋 Campaign “launch” — 3 posts (1 tracked by hand, 1 not measured yet)"
    )
    assert fields(report)["Views"] == "800"
