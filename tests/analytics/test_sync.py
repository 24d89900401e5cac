"""The sync sweep: tier cadences, one bad item never stops it, removed metrics, concurrency
per profile, history snapshots, daily and campaign totals, account numbers."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from core.analytics.sync import SyncConfig
from core.metrics import AccountMetric, AnalyticsItem, Metric, PostMetrics, PostTags
from core.model import Network, Route, Tier
from core.ports import UnitOfWorkFactory
from tests.analytics.support import (
    START,
    ScriptedSource,
    make_env,
    make_profile,
    metrics,
    publish,
)

DAY = START.date()


def steady(item: AnalyticsItem) -> PostMetrics:
    return metrics(views=100 * item.id, likes=10 * item.id, comments=item.id)


async def items_of(uow: UnitOfWorkFactory, profile_id: int) -> dict[int, AnalyticsItem]:
    async with uow() as u:
        return {i.id: i for i in await u.analytics.items(profile_id, include_hidden=True)}


async def test_one_failing_item_never_stops_the_sweep(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    for n in range(3):
        at = START - timedelta(hours=5 - n)
        await publish(store, profile, [Network.TIKTOK], at=at, provider_post_id=f"ayr-{n}")
    broken = {2}

    def answer(item: AnalyticsItem) -> PostMetrics | Exception:
        if item.id in broken:
            return KeyError("the network changed its answer")
        return steady(item)

    source = ScriptedSource(Route.AYRSHARE, answer)
    env = make_env(store, {Route.AYRSHARE: source})
    report = await env.sync.sweep()
    assert (report.adopted, report.refreshed, report.failed) == (3, 2, 1)
    found = await items_of(store, profile.id)
    assert found[1].metrics[Metric.VIEWS] == 100 and found[3].metrics[Metric.VIEWS] == 300
    assert found[2].metrics == {} and found[2].failures == 1
    assert "KeyError" in (found[2].last_error or "")
    assert found[2].next_sync_at == START + timedelta(minutes=15)  # retried soon
    assert found[1].next_sync_at == START + timedelta(hours=1)  # Pro: hourly

    broken.clear()
    env.clock.advance(timedelta(minutes=20))
    report = await env.sync.sweep()
    assert (report.refreshed, report.failed) == (1, 0)  # only the one that failed was due
    found = await items_of(store, profile.id)
    assert found[2].metrics[Metric.VIEWS] == 200 and found[2].failures == 0


async def test_a_removed_metric_keeps_its_last_value_and_unknown_stays_unknown(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await publish(store, profile, [Network.YOUTUBE], at=START - timedelta(hours=3))
    answers = [metrics(views=500, likes=40), metrics(views=650)]
    source = ScriptedSource(Route.AYRSHARE, lambda item: answers.pop(0))
    env = make_env(store, {Route.AYRSHARE: source})
    await env.sync.sweep()
    env.clock.advance(timedelta(hours=1))
    report = await env.sync.sweep()
    assert report.refreshed == 1 and report.failed == 0
    [item] = (await items_of(store, profile.id)).values()
    assert item.metrics == {Metric.VIEWS: 650, Metric.LIKES: 40}
    assert Metric.SHARES not in item.metrics  # never reported: shown as n/a
    async with store() as u:
        history = await u.analytics.snapshots(
            [item.id], since=START - timedelta(days=1), until=env.clock.now()
        )
    assert [dict(s.values) for s in history] == [
        {Metric.VIEWS: 500, Metric.LIKES: 40},
        {Metric.VIEWS: 650},
    ]
    assert [s.taken_at for s in history] == [START, START + timedelta(hours=1)]


async def test_each_tier_on_its_cadence_and_a_route_without_source_is_skipped(
    store: UnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    pro = await make_profile(store, "ana")
    free = await make_profile(store, "bo", tier=Tier.FREE, connected=[Network.INSTAGRAM])
    await publish(store, pro, [Network.TIKTOK], at=START - timedelta(hours=2))
    await publish(
        store,
        free,
        [Network.INSTAGRAM],
        at=START - timedelta(hours=2),
        route=Route.INSTAGRAM_GRAPH,
    )
    source = ScriptedSource(Route.AYRSHARE, steady)
    env = make_env(store, {Route.AYRSHARE: source})
    with caplog.at_level(logging.WARNING, logger="core.analytics.sync"):
        report = await env.sync.sweep()
    assert (report.refreshed, report.skipped) == (1, 1)
    assert "no source for route instagram_graph" in caplog.text
    skipped = next(iter((await items_of(store, free.id)).values()))
    assert skipped.next_sync_at == START + timedelta(hours=24)  # looked at again daily
    assert skipped.failures == 0 and skipped.metrics == {}

    graph = ScriptedSource(Route.INSTAGRAM_GRAPH, steady)
    env = make_env(store, {Route.AYRSHARE: source, Route.INSTAGRAM_GRAPH: graph}, start=START)
    for hours in (1, 23, 24):
        env.clock.set(START + timedelta(hours=hours))
        await env.sync.sweep()
    # Pro refreshed at 0 h, 1 h, 23 h and 24 h; Free only once its 24 hours had passed.
    assert len(source.calls) == 4
    assert len(graph.calls) == 1


@pytest.mark.parametrize("page", [1000, 7])
async def test_at_most_five_requests_in_flight_per_profile(
    store: UnitOfWorkFactory, page: int
) -> None:
    ana = await make_profile(store, "ana")
    bo = await make_profile(store, "bo")
    for n in range(12):
        for profile in (ana, bo):
            await publish(
                store,
                profile,
                [Network.TIKTOK],
                at=START - timedelta(minutes=n + 1),
                provider_post_id=f"{profile.id}-{n}",
            )
    source = ScriptedSource(Route.AYRSHARE, steady, gate=asyncio.Event())
    # With small pages a profile's items arrive in several groups that share its limit.
    env = make_env(store, {Route.AYRSHARE: source}, config=SyncConfig(page=page))
    sweep = asyncio.create_task(env.sync.sweep())
    await source.until_in_flight(10)
    for _ in range(20):
        await asyncio.sleep(0)  # give an eleventh request every chance to start
    assert source.in_flight == 10  # 5 for each of the two profiles
    assert source.gate is not None
    source.gate.set()
    report = await sweep
    assert report.refreshed == 24
    assert source.most_in_flight == 10


async def test_targets_of_one_post_are_read_with_one_request(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    networks = [Network.TIKTOK, Network.INSTAGRAM, Network.LINKEDIN]
    await publish(store, profile, networks, at=START - timedelta(hours=1))
    source = ScriptedSource(Route.AYRSHARE, steady)
    await make_env(store, {Route.AYRSHARE: source}).sync.sweep()
    assert [sorted(c) for c in source.calls] == [[1, 2, 3]]


async def test_only_published_targets_are_measured(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    await publish(
        store,
        profile,
        [Network.TIKTOK],
        at=START - timedelta(hours=1),
        failed={Network.INSTAGRAM: "the image's aspect ratio is not supported"},
    )
    env = make_env(store, {Route.AYRSHARE: ScriptedSource(Route.AYRSHARE, steady)})
    assert (await env.sync.sweep()).adopted == 1
    assert (await env.sync.sweep()).adopted == 0  # adopted once
    assert [i.network for i in (await items_of(store, profile.id)).values()] == [Network.TIKTOK]


async def test_daily_totals_per_network_and_campaign_without_hidden_posts(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    launch = await publish(
        store, profile, [Network.TIKTOK, Network.INSTAGRAM], at=START - timedelta(hours=3)
    )
    await publish(
        store, profile, [Network.TIKTOK], at=START - timedelta(hours=2), provider_post_id="b"
    )
    hidden = await publish(
        store, profile, [Network.TIKTOK], at=START - timedelta(hours=1), provider_post_id="c"
    )
    async with store() as u:
        await u.analytics.set_tags(launch.id, PostTags(campaign="launch"))
        await u.analytics.set_tags(hidden.id, PostTags(campaign="launch", hidden=True))
        await u.commit()

    def answer(item: AnalyticsItem) -> PostMetrics:
        assert item.post_id is not None
        bonus = 10 if item.network is Network.INSTAGRAM else 0
        return metrics(views=100 * item.post_id + bonus, saves=1)

    env = make_env(store, {Route.AYRSHARE: ScriptedSource(Route.AYRSHARE, answer)})
    await env.sync.sweep()
    async with store() as u:
        everything = await u.analytics.daily(profile.id, since=DAY, until=DAY)
        campaign = await u.analytics.daily(profile.id, since=DAY, until=DAY, campaign="launch")
    # Post 1 is the launch (TikTok 100, Instagram 110), post 2 TikTok 200; post 3 is hidden.
    assert {(r.network, r.posts): dict(r.values) for r in everything} == {
        (Network.INSTAGRAM, 1): {Metric.VIEWS: 110, Metric.SAVES: 1},
        (Network.TIKTOK, 2): {Metric.VIEWS: 300, Metric.SAVES: 2},
    }
    assert {(r.network, r.posts): r.values[Metric.VIEWS] for r in campaign} == {
        (Network.INSTAGRAM, 1): 110,
        (Network.TIKTOK, 1): 100,
    }


async def test_account_numbers_are_read_once_a_day(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store, connected=[Network.TIKTOK, Network.INSTAGRAM])
    source = ScriptedSource(
        Route.AYRSHARE, steady, followers={Network.TIKTOK: 1500, Network.INSTAGRAM: 900}
    )
    env = make_env(store, {Route.AYRSHARE: source})
    assert (await env.sync.sweep()).accounts == 1
    env.clock.advance(timedelta(hours=2))
    assert (await env.sync.sweep()).accounts == 0
    env.clock.advance(timedelta(hours=22))
    source.followers = {Network.TIKTOK: 1530, Network.INSTAGRAM: 905}
    assert (await env.sync.sweep()).accounts == 1
    async with store() as u:
        history = await u.analytics.account_history(
            profile.id, since=DAY, until=DAY + timedelta(days=1)
        )
    assert [(r.day, r.network, r.values[AccountMetric.FOLLOWERS]) for r in history] == [
        (DAY, Network.INSTAGRAM, 900),
        (DAY, Network.TIKTOK, 1500),
        (DAY + timedelta(days=1), Network.INSTAGRAM, 905),
        (DAY + timedelta(days=1), Network.TIKTOK, 1530),
    ]
