"""The Ayrshare analytics source against the fake Ayrshare API: one request per post, X only
with the operator's keys, native ids for tracked posts, the per-profile rate limit, and the
sweep's backoff on 5xx and 429 answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.ayrshare.analytics import AyrshareAnalytics
from adapters.ayrshare.client import AyrshareClient
from core.analytics.sync import SyncConfig
from core.errors import PermanentError, TransientError
from core.metrics import AnalyticsItem, ItemKind, Metric
from core.model import AccountKey, Network, Profile, Route, Secret, Tier
from core.ports import UnitOfWorkFactory
from core.request_budget import RequestBudget
from tests.analytics.support import START, make_env, make_profile, publish
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "ayrshare"


def payload(name: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / name).read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture
async def fake() -> FakeAyrshare:
    return FakeAyrshare()


@pytest.fixture
async def client(fake: FakeAyrshare) -> AsyncIterator[AyrshareClient]:
    http = fake.http_client()
    yield AyrshareClient(http, base_url=BASE_URL, api_key=fake.api_key)
    await http.aclose()


def ayrshare_profile(key: str) -> Profile:
    profile = Profile(1, Tier.PRO, "UTC", START)
    profile.accounts[Route.AYRSHARE] = AccountKey("ref", Secret(key))
    return profile


def item(item_id: int, network: Network, **fields: object) -> AnalyticsItem:
    base: dict[str, object] = {
        "kind": ItemKind.PUBLISHED,
        "route": Route.AYRSHARE,
        "provider_post_id": "ayr-1",
    }
    base.update(fields)
    return AnalyticsItem(item_id, 1, network, created_at=START, **base)  # type: ignore[arg-type]


async def test_one_request_reads_every_network_of_a_post(
    fake: FakeAyrshare, client: AyrshareClient
) -> None:
    key = fake.add_profile()
    answer: dict[str, Any] = {"status": "success", "id": "ayr-1"}
    for name in ("analytics_tiktok_ms.json", "analytics_youtube.json", "analytics_twitter.json"):
        answer |= {k: v for k, v in payload(name).items() if k not in ("status", "id")}  # type: ignore[attr-defined]
    fake.fail_next("/analytics/post", status=200, json_body=answer)
    source = AyrshareAnalytics(client)
    items = [item(1, Network.TIKTOK), item(2, Network.YOUTUBE), item(3, Network.X)]
    found = await source.post_metrics(ayrshare_profile(key), items)
    sent = fake.requests_to("POST", "/analytics/post")
    assert len(sent) == 1
    # X is left out without the operator's own X app keys (required since 2026-03-31).
    assert sent[0].json == {"id": "ayr-1", "platforms": ["tiktok", "youtube"]}
    assert sent[0].headers["profile-key"] == key
    assert set(found) == {1, 2}
    assert found[1].values[Metric.SAVES] == 905
    assert found[2].values[Metric.VIEWS] == 1520


async def test_x_is_read_with_the_operators_keys(fake: FakeAyrshare) -> None:
    key = fake.add_profile()
    fake.fail_next("/analytics/post", status=200, json_body=payload("analytics_twitter.json"))
    async with fake.http_client() as http:
        client = AyrshareClient(
            http, base_url=BASE_URL, api_key=fake.api_key, x_api_key="k", x_api_secret="s"
        )
        found = await AyrshareAnalytics(client).post_metrics(
            ayrshare_profile(key), [item(3, Network.X)]
        )
    assert found[3].values[Metric.IMPRESSIONS] == 1880
    assert fake.requests_to("POST", "/analytics/post")[0].json["platforms"] == ["twitter"]


async def test_a_tracked_post_is_looked_up_by_its_native_id(
    fake: FakeAyrshare, client: AyrshareClient
) -> None:
    key = fake.add_profile()
    fake.fail_next("/analytics/post", status=200, json_body=payload("analytics_tiktok_ms.json"))
    tracked = item(
        5, Network.TIKTOK, kind=ItemKind.TRACKED, provider_post_id=None, external_id="7311"
    )
    found = await AyrshareAnalytics(client).post_metrics(ayrshare_profile(key), [tracked])
    assert fake.requests_to("POST", "/analytics/post")[0].json == {
        "id": "7311",
        "platforms": ["tiktok"],
        "searchPlatformId": True,
    }
    assert found[5].values[Metric.VIEWS] == 48213


async def test_a_profile_without_ayrshare_account_is_refused(client: AyrshareClient) -> None:
    with pytest.raises(PermanentError):
        await AyrshareAnalytics(client).post_metrics(
            Profile(1, Tier.PRO, "UTC", START), [item(1, Network.TIKTOK)]
        )


async def test_the_source_waits_briefly_on_the_shared_budget_and_hands_back_long_waits(
    fake: FakeAyrshare, client: AyrshareClient
) -> None:
    key = fake.add_profile()
    clock = FixedClock(START)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    budget = RequestBudget(2, timedelta(seconds=20), analytics_share=2)
    source = AyrshareAnalytics(client, budget, clock=clock, sleep=sleep, max_wait=30.0)
    profile = ayrshare_profile(key)
    await source.account_metrics(profile, [Network.TIKTOK])
    clock.advance(timedelta(seconds=5))
    await source.account_metrics(profile, [Network.TIKTOK])
    assert waits == []
    await source.account_metrics(profile, [Network.TIKTOK])  # the third waits for the first
    assert waits == [15.0]

    slow = RequestBudget(1, timedelta(minutes=5))
    source = AyrshareAnalytics(client, slow, clock=clock, sleep=sleep, max_wait=30.0)
    await source.account_metrics(profile, [Network.TIKTOK])
    with pytest.raises(TransientError) as refused:  # 5 minutes: the sync's next sweep
        await source.account_metrics(profile, [Network.TIKTOK])
    assert refused.value.retry_after == 300.0
    assert waits == [15.0]
    assert len(fake.requests_to("POST", "/analytics/social")) == 4


async def test_sweep_retries_a_5xx_with_jittered_backoff_then_stores(
    fake: FakeAyrshare, client: AyrshareClient, uow_factory: UnitOfWorkFactory
) -> None:
    key = fake.add_profile()
    profile = await make_profile(uow_factory)
    async with uow_factory() as u:
        stored = await u.profiles.get(profile.id)
        assert stored is not None
        stored.accounts[Route.AYRSHARE] = AccountKey("ref", Secret(key))
        await u.profiles.save(stored)
        await u.commit()
    await publish(uow_factory, profile, [Network.TIKTOK], at=START - timedelta(days=1))
    fake.fail_next("/analytics/post", status=503, json_body={"status": "error"}, times=2)
    fake.fail_next("/analytics/post", status=200, json_body=payload("analytics_tiktok_ms.json"))
    env = make_env(uow_factory, {Route.AYRSHARE: AyrshareAnalytics(client)})
    report = await env.sync.sweep()
    assert report.refreshed == 1 and report.failed == 0
    assert len(fake.requests_to("POST", "/analytics/post")) == 3
    # Backoff 1 s then 2 s, each with ±50% jitter.
    assert len(env.sleeps.waits) == 2
    assert 0.5 <= env.sleeps.waits[0] <= 1.5 and 1.0 <= env.sleeps.waits[1] <= 3.0
    async with uow_factory() as u:
        [measured] = await u.analytics.items(profile.id)
    assert measured.metrics[Metric.VIEWS] == 48213


async def test_a_429_asking_for_the_whole_window_defers_instead_of_sleeping(
    fake: FakeAyrshare, client: AyrshareClient, uow_factory: UnitOfWorkFactory
) -> None:
    key = fake.add_profile()
    profile = await make_profile(uow_factory)
    async with uow_factory() as u:
        stored = await u.profiles.get(profile.id)
        assert stored is not None
        stored.accounts[Route.AYRSHARE] = AccountKey("ref", Secret(key))
        await u.profiles.save(stored)
        await u.commit()
    await publish(uow_factory, profile, [Network.TIKTOK], at=START - timedelta(days=1))
    fake.fail_next(
        "/analytics/post",
        status=429,
        json_body={"status": "error", "message": "Rate limit"},
        headers={"x-ratelimit-max": "300", "x-ratelimit-count": "300"},
    )
    env = make_env(uow_factory, {Route.AYRSHARE: AyrshareAnalytics(client)}, config=SyncConfig())
    report = await env.sync.sweep()
    assert report.failed == 1 and env.sleeps.waits == []
    async with uow_factory() as u:
        [measured] = await u.analytics.items(profile.id)
    assert measured.failures == 1 and "rate limit" in (measured.last_error or "")
    assert measured.next_sync_at is not None
    assert measured.next_sync_at >= START + timedelta(seconds=300)
    assert measured.metrics == {}


async def test_a_429_to_analytics_holds_the_profile_for_publishing_too(
    fake: FakeAyrshare, client: AyrshareClient
) -> None:
    key = fake.add_profile()
    clock = FixedClock(START)
    budget = RequestBudget()
    source = AyrshareAnalytics(client, budget, clock=clock)
    fake.fail_next("/analytics/social", status=429, json_body={}, headers={"Retry-After": "60"})
    with pytest.raises(TransientError):
        await source.account_metrics(ayrshare_profile(key), [Network.TIKTOK])
    held = START + timedelta(seconds=60)
    assert budget.reserve((Route.AYRSHARE, 1), START) == held  # publishing waits as well
    assert budget.reserve((Route.AYRSHARE, 1), held) is None
