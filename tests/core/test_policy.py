"""The tier policy table: networks, routes, limits and refusals that name the way out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import PolicyRefusal
from core.model import Network, Route, Tier
from core.policy import Policy


def test_free_is_instagram_only_through_the_graph_api() -> None:
    policy = Policy.default()
    assert policy.route(Tier.FREE, Network.INSTAGRAM) is Route.INSTAGRAM_GRAPH
    assert [n for n in Network if policy.allows(Tier.FREE, n)] == [Network.INSTAGRAM]


def test_pro_reaches_all_six_through_ayrshare() -> None:
    policy = Policy.default()
    assert {policy.route(Tier.PRO, n) for n in Network} == {Route.AYRSHARE}


def test_refusal_names_the_upgrade() -> None:
    with pytest.raises(PolicyRefusal, match="Upgrade to Pro to post to TikTok"):
        Policy.default().route(Tier.FREE, Network.TIKTOK)


def test_analytics_cadence_is_hourly_for_pro_daily_for_free() -> None:
    policy = Policy.default()
    assert policy[Tier.PRO].analytics_refresh == timedelta(hours=1)
    assert policy[Tier.FREE].analytics_refresh == timedelta(hours=24)


def test_limits_are_overridable_without_touching_other_tiers() -> None:
    policy = Policy.default().with_limits(Tier.FREE, max_scheduled=2)
    assert policy[Tier.FREE].max_scheduled == 2
    assert policy[Tier.PRO] == Policy.default()[Tier.PRO]
    policy.check_scheduled(Tier.FREE, 1)
    with pytest.raises(PolicyRefusal, match="limit is 2"):
        policy.check_scheduled(Tier.FREE, 2)


def test_monthly_quota_refusal_points_free_users_to_upgrade() -> None:
    policy = Policy.default().with_limits(Tier.FREE, posts_per_month=3)
    with pytest.raises(PolicyRefusal, match="/upgrade"):
        policy.check_monthly(Tier.FREE, 3)
