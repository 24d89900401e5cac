"""Tests for the sandbox's synthetic metrics and follower counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from adapters.sandbox import synthetic_followers, synthetic_metrics
from core.model import Network

PUBLISHED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
METRICS = {"views", "likes", "comments", "shares", "saves"}
IDS = [f"{7_400_000_000_000_000_000 + i * 7919}" for i in range(25)]


def at(hours: float) -> datetime:
    return PUBLISHED + timedelta(hours=hours)


def test_metrics_are_deterministic_per_id() -> None:
    for network in Network:
        for external_id in IDS:
            first = synthetic_metrics(external_id, PUBLISHED, at(30), network)
            assert synthetic_metrics(external_id, PUBLISHED, at(30), network) == first
    views = {synthetic_metrics(i, PUBLISHED, at(30), Network.TIKTOK)["views"] for i in IDS}
    assert len(views) > len(IDS) // 2  # ids get their own curves


def test_a_fresh_post_has_zero_counts_and_a_week_later_it_has_some() -> None:
    for external_id in IDS:
        fresh = synthetic_metrics(external_id, PUBLISHED, PUBLISHED, Network.INSTAGRAM)
        assert fresh == dict.fromkeys(METRICS, 0)
        # A clock a little behind the publish time is not negative growth.
        early = synthetic_metrics(external_id, PUBLISHED, at(-1), Network.INSTAGRAM)
        assert early == fresh
    week = [synthetic_metrics(i, PUBLISHED, at(24 * 7), Network.INSTAGRAM) for i in IDS]
    assert all((m["views"] or 0) > 0 for m in week)
    assert sum(m["likes"] or 0 for m in week) > 0
    assert all((m["likes"] or 0) <= (m["views"] or 0) for m in week)


def test_growth_saturates() -> None:
    for network in Network:
        for external_id in IDS:
            month = synthetic_metrics(external_id, PUBLISHED, at(24 * 30), network)
            later = synthetic_metrics(external_id, PUBLISHED, at(24 * 365), network)
            for name in METRICS:
                if month[name] is not None:
                    assert (later[name] or 0) - (month[name] or 0) <= 1, (network, name)


def test_metrics_a_network_does_not_report_are_none() -> None:
    x = synthetic_metrics(IDS[0], PUBLISHED, at(48), Network.X)
    youtube = synthetic_metrics(IDS[0], PUBLISHED, at(48), Network.YOUTUBE)
    instagram = synthetic_metrics(IDS[0], PUBLISHED, at(48), Network.INSTAGRAM)

    assert set(x) == set(youtube) == set(instagram) == METRICS
    assert x["saves"] is None
    assert all(x[name] is not None for name in METRICS - {"saves"})
    assert youtube["shares"] is None and youtube["saves"] is None
    assert youtube["views"] is not None
    assert all(isinstance(instagram[name], int) for name in METRICS)


@given(
    external_id=st.text(min_size=1, max_size=30),
    network=st.sampled_from(list(Network)),
    earlier=st.floats(min_value=-48, max_value=24 * 400, allow_nan=False),
    extra=st.floats(min_value=0, max_value=24 * 400, allow_nan=False),
)
def test_metrics_never_go_down(
    external_id: str, network: Network, earlier: float, extra: float
) -> None:
    before = synthetic_metrics(external_id, PUBLISHED, at(earlier), network)
    after = synthetic_metrics(external_id, PUBLISHED, at(earlier + extra), network)
    for name in METRICS:
        was, now = before[name], after[name]
        if was is None:
            assert now is None
        else:
            assert now is not None
            assert now >= was


def test_followers_are_deterministic_and_grow_slowly_by_day() -> None:
    day = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    for network in Network:
        for profile_id in range(1, 20):
            series = [
                synthetic_followers(profile_id, network, day + timedelta(days=d))
                for d in range(60)
            ]
            assert series[0] > 0
            assert series == sorted(series)
            assert series[-1] > series[0]
            # Slowly: under 1% a day on average.
            assert series[-1] - series[0] < series[0] * 0.01 * 60
            assert synthetic_followers(profile_id, network, day) == series[0]
            # Within one day the count holds still.
            assert synthetic_followers(profile_id, network, day + timedelta(hours=23)) == series[0]
