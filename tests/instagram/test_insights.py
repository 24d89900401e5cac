"""Free insights end to end: a post published through the Instagram Graph route, measured by
the sweep bootstrap wires (daily), shown by /stats; retired and omitted metrics, the 48 h
provisional mark, followers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from core.metrics import AccountMetric, Metric
from core.ports import UnitOfWorkFactory
from tests.analytics.support import fields
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_publish import FakeInstagramPublish, Media
from tests.instagram.support import IG, REEL, FreeBot, free_bot

ALL = ["views", "reach", "likes", "comments", "shares", "saved", "total_interactions"]
NUMBERS = {
    "views": 1500,
    "reach": 900,
    "likes": 80,
    "comments": 12,
    "shares": 5,
    "saved": 30,
    "total_interactions": 127,
}


@pytest.fixture
def ig(clock: FixedClock) -> FakeInstagramPublish:
    return FakeInstagramPublish(clock)


@pytest.fixture
async def bot(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, ig: FakeInstagramPublish
) -> AsyncIterator[FreeBot]:
    async with ig.http_client() as http:
        yield await free_bot(uow_factory, clock, ig, http)


def measured(media: Media, numbers: dict[str, int], *, likes: int | None = None) -> None:
    media.insights = dict(numbers)
    media.like_count = likes
    media.comments_count = numbers.get("comments", 0)


async def items_of(bot: FreeBot, post_id: int) -> dict[Metric, int]:
    async with bot.services.uow() as uow:
        [item] = await uow.analytics.items(bot.profile.id, post_id=post_id)
    return dict(item.metrics)


@pytest.mark.parametrize("shape", ["values", "total_value"])
async def test_a_published_post_is_measured_daily_into_the_analytics_tables(
    bot: FreeBot, ig: FakeInstagramPublish, clock: FixedClock, shape: str
) -> None:
    ig.insights.total_value_shape = shape == "total_value"
    post = await bot.publish()
    [media] = ig.media
    measured(media, NUMBERS, likes=80)

    report = await bot.sweep()

    assert (report.refreshed, report.failed, report.accounts) == (1, 0, 1)
    assert ig.insights.asked == [ALL]
    assert await items_of(bot, post.id) == {
        Metric.VIEWS: 1500,
        Metric.REACH: 900,
        Metric.LIKES: 80,
        Metric.COMMENTS: 12,
        Metric.SHARES: 5,
        Metric.SAVES: 30,
        Metric.ENGAGEMENTS: 127,
    }
    one = fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    for shown in ("1,500 views", "80 likes", "12 comments", "5 shares", "30 saves", "900 reach"):
        assert shown in one
    assert "n/a" not in one

    # Daily on Free: not read again within 24 h, read again after.
    media.insights["views"] = 2100
    clock.advance(timedelta(hours=23))
    assert (await bot.sweep()).refreshed == 0
    clock.advance(timedelta(hours=1, minutes=1))
    assert (await bot.sweep()).refreshed == 1
    assert (await items_of(bot, post.id))[Metric.VIEWS] == 2100


async def test_numbers_under_48_hours_old_are_marked_provisional(
    bot: FreeBot, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    post = await bot.publish()
    measured(ig.media[0], NUMBERS)
    await bot.sweep()

    week = await bot.say("/stats")
    assert "⏳ provisional: 1 post on Instagram under 48 h old" in week.text
    assert (
        "⏳ provisional (under 48 h old)"
        in fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    )

    clock.advance(timedelta(hours=48, minutes=1))
    await bot.sweep()
    assert "provisional" not in (await bot.say("/stats")).text
    assert "provisional" not in fields(await bot.say(f"/stats {post.id}"))["Instagram"]


async def test_metrics_instagram_leaves_out_are_na_never_zero(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    # No shares, saves or likes in the insights, and like counts hidden by the owner.
    left = {k: v for k, v in NUMBERS.items() if k not in ("shares", "saved", "likes")}
    measured(ig.media[0], left, likes=None)

    await bot.sweep()

    values = await items_of(bot, post.id)
    assert Metric.SHARES not in values and Metric.SAVES not in values
    assert Metric.LIKES not in values
    assert values[Metric.COMMENTS] == 12  # from insights (the media's comments_count agrees)
    one = fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    assert "n/a likes" in one and "n/a shares" in one and "n/a saves" in one
    assert "0 shares" not in one and "0 likes" not in one
    week = fields(await bot.say("/stats"))
    assert (week["Shares"], week["Saves"], week["Likes"]) == ("n/a", "n/a", "n/a")


async def test_like_count_fills_likes_when_insights_leave_them_out(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    measured(ig.media[0], {"views": 40}, likes=7)
    await bot.sweep()
    assert (await items_of(bot, post.id))[Metric.LIKES] == 7


@pytest.mark.parametrize("wording", ["named", "position"])
async def test_a_retired_metric_is_dropped_and_the_rest_asked_again(
    bot: FreeBot,
    ig: FakeInstagramPublish,
    caplog: pytest.LogCaptureFixture,
    wording: str,
) -> None:
    post = await bot.publish()
    measured(ig.media[0], NUMBERS)
    ig.insights.retired = {"shares": wording}

    with caplog.at_level(logging.WARNING, logger="adapters.instagram.analytics"):
        report = await bot.sweep()

    assert (report.refreshed, report.failed) == (1, 0)  # the request as a whole succeeded
    rest = [m for m in ALL if m != "shares"]
    assert ig.insights.asked == [ALL, rest]
    values = await items_of(bot, post.id)
    assert Metric.SHARES not in values and values[Metric.VIEWS] == 1500
    assert "metric shares refused for media" in caplog.text
    # Recorded on the item and shown with the post.
    async with bot.services.uow() as uow:
        [item] = await uow.analytics.items(bot.profile.id, post_id=post.id)
    assert (item.failures, item.last_error) == (0, "Instagram refused the metric shares")
    one = fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    assert "n/a shares" in one and "ℹ️ Instagram refused the metric shares" in one
    assert "failed" not in one


async def test_a_refusal_naming_no_metric_asks_one_metric_at_a_time(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    measured(ig.media[0], NUMBERS)
    ig.insights.retired = {"saved": "unnamed", "views": "unnamed"}

    await bot.sweep()

    assert ig.insights.asked == [ALL, *([m] for m in ALL)]
    values = await items_of(bot, post.id)
    assert Metric.SAVES not in values and Metric.VIEWS not in values
    assert values[Metric.REACH] == 900 and values[Metric.SHARES] == 5
    async with bot.services.uow() as uow:
        [item] = await uow.analytics.items(bot.profile.id, post_id=post.id)
    assert item.last_error == "Instagram refused the metric views, saved"


async def test_every_metric_refused_leaves_the_counts_of_the_media_itself(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    measured(ig.media[0], NUMBERS, likes=80)
    ig.insights.retired = dict.fromkeys(ALL, "named")
    report = await bot.sweep()
    assert report.failed == 0
    assert len(ig.insights.asked) == len(ALL)  # one fewer each time, never more
    assert await items_of(bot, post.id) == {Metric.LIKES: 80, Metric.COMMENTS: 12}


async def test_too_few_viewers_is_unknown_with_a_note(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    measured(ig.media[0], NUMBERS, likes=None)
    ig.media[0].comments_count = 0
    ig.insights.not_enough_viewers = True
    await bot.sweep()
    assert await items_of(bot, post.id) == {Metric.COMMENTS: 0}
    one = fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    assert "n/a views" in one and "too few viewers" in one


async def test_a_dead_token_fails_the_item_with_reconnect(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    ig.token = "a-newer-token-we-do-not-have"
    report = await bot.sweep()
    assert report.failed == 1
    async with bot.services.uow() as uow:
        [item] = await uow.analytics.items(bot.profile.id, post_id=post.id)
    assert item.failures == 1 and item.last_error is not None
    assert "reconnect Instagram" in item.last_error
    one = fields(await bot.say(f"/stats {post.id}"))["Instagram"]
    assert "⚠️ last refresh failed" in one


async def test_a_reel_is_asked_for_the_same_metrics(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish(REEL)
    [media] = ig.media
    assert media.product_type == "REELS"
    measured(media, NUMBERS)
    await bot.sweep()
    assert ig.insights.asked == [ALL]
    assert (await items_of(bot, post.id))[Metric.SHARES] == 5


async def test_followers_are_snapshotted_daily(
    bot: FreeBot, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    await bot.publish()
    ig.insights.followers = 1200
    await bot.sweep()
    ig.insights.followers = 1234
    clock.advance(timedelta(hours=12))
    await bot.sweep()  # not due yet: still the morning's number
    clock.advance(timedelta(hours=12, minutes=1))
    await bot.sweep()

    async with bot.services.uow() as uow:
        history = await uow.analytics.account_history(
            bot.profile.id,
            since=(clock.now() - timedelta(days=2)).date(),
            until=clock.now().date(),
        )
    assert [(h.network, h.values) for h in history] == [
        (
            IG,
            {AccountMetric.FOLLOWERS: 1200, AccountMetric.FOLLOWING: 150, AccountMetric.POSTS: 1},
        ),
        (
            IG,
            {AccountMetric.FOLLOWERS: 1234, AccountMetric.FOLLOWING: 150, AccountMetric.POSTS: 1},
        ),
    ]
    assert fields(await bot.say("/stats"))["Followers"] == "1,234 (▲ 34 in 7 days)"


async def test_followers_left_out_stay_unknown(bot: FreeBot, ig: FakeInstagramPublish) -> None:
    await bot.publish()
    ig.insights.followers = None
    await bot.sweep()
    async with bot.services.uow() as uow:
        [row] = await uow.analytics.account_history(
            bot.profile.id, since=bot.clock.now().date(), until=bot.clock.now().date()
        )
    assert AccountMetric.FOLLOWERS not in row.values
    assert "Followers" not in fields(await bot.say("/stats"))


async def test_a_refused_metric_is_not_asked_again_for_a_day(
    bot: FreeBot, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    first = await bot.publish(text="first")
    measured(ig.media[0], NUMBERS)
    ig.insights.retired = {"shares": "named"}
    await bot.sweep()
    rest = [m for m in ALL if m != "shares"]
    assert ig.insights.asked == [ALL, rest]

    clock.advance(timedelta(hours=1))
    second = await bot.publish(text="second")
    measured(ig.media[1], NUMBERS)
    ig.insights.asked.clear()
    await bot.sweep()
    assert ig.insights.asked == [rest]  # known refused: one request, not two
    for post in (first, second):
        async with bot.services.uow() as uow:
            [item] = await uow.analytics.items(bot.profile.id, post_id=post.id)
        assert item.last_error == "Instagram refused the metric shares"

    clock.advance(timedelta(hours=24))  # a day later it is asked for again
    ig.insights.retired = {}
    ig.insights.asked.clear()
    await bot.sweep()
    assert ig.insights.asked == [ALL, ALL]
    assert (await items_of(bot, second.id))[Metric.SHARES] == 5


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": "not a list"}, {}),
        ({"data": [7, None, {"name": "views"}]}, {}),
        ({"data": [{"name": "views", "values": []}]}, {}),
        ({"data": [{"name": "views", "values": [{"value": -3}]}]}, {}),
        ({"data": [{"name": "views", "values": [{"value": True}]}]}, {}),
        ({"data": [{"name": "views", "values": [{"value": 2.5}]}]}, {}),
        ({"data": [{"name": "views", "values": [{"value": "41"}]}]}, {Metric.VIEWS: 41}),
        ({"data": [{"name": "plays", "values": [{"value": 9}]}]}, {}),  # not asked, not ours
        ({"data": [{"name": "reach", "total_value": {"value": 0}}]}, {Metric.REACH: 0}),
        ([1, 2, 3], {}),
    ],
    ids=[
        "data-not-list",
        "entries-not-objects",
        "no-values",
        "negative",
        "boolean",
        "fraction",
        "digits",
        "unknown-name",
        "zero-is-known",
        "not-an-object",
    ],
)
async def test_odd_insights_answers_keep_only_real_counts(
    bot: FreeBot, ig: FakeInstagramPublish, body: object, expected: dict[Metric, int]
) -> None:
    post = await bot.publish()
    measured(ig.media[0], {}, likes=None)
    ig.media[0].comments_count = 3
    ig.insights.body = body
    report = await bot.sweep()
    assert report.failed == 0
    assert await items_of(bot, post.id) == {Metric.COMMENTS: 3, **expected}


async def test_a_post_deleted_on_instagram_fails_its_refresh_with_instagrams_reason(
    bot: FreeBot, ig: FakeInstagramPublish
) -> None:
    post = await bot.publish()
    ig.media.clear()  # deleted in the app
    report = await bot.sweep()
    assert (report.refreshed, report.failed) == (0, 1)
    async with bot.services.uow() as uow:
        [item] = await uow.analytics.items(bot.profile.id, post_id=post.id)
    assert item.last_error == "Instagram refused to give this post's numbers: Unsupported request."
    assert ig.insights.asked == []  # its insights were not asked for
