"""Ayrshare post and account analytics mapped to Postroom's metrics, within the rate limit.

Field mapping (docs/metrics-mapping.md): videoViews→views, likeCount→likes,
commentsCount→comments, shareCount→shares, favorites→saves, created→postedAt, plus impressions,
reach, clicks and engagement counts where a network gives them. A metric a network leaves out
stays unknown (never 0). Timestamps may be ISO text, {_seconds,_nanoseconds}, or epoch seconds
or milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from adapters.ayrshare import records, refusals, wire
from adapters.ayrshare.budgeted import Budgeted, Sleep
from adapters.ayrshare.client import AyrshareClient
from core.errors import PermanentError
from core.metrics import AccountMetric, AnalyticsItem, ItemKind, Metric, PostMetrics
from core.model import Network, Profile, Route
from core.ports import Clock
from core.request_budget import Lane, RequestBudget

__all__ = [
    "AyrshareAnalytics",
    "parse_post_analytics",
    "parse_social_analytics",
    "parse_when",
]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

# Keys any network may use (docs/metrics-mapping.md), then each network's own names.
_COMMON: dict[str, Metric] = {
    "videoViews": Metric.VIEWS,
    "likeCount": Metric.LIKES,
    "commentsCount": Metric.COMMENTS,
    "shareCount": Metric.SHARES,
    "favorites": Metric.SAVES,
    "impressions": Metric.IMPRESSIONS,
    "impressionCount": Metric.IMPRESSIONS,
    "impressionsCount": Metric.IMPRESSIONS,
    "reach": Metric.REACH,
    "reachCount": Metric.REACH,
    "engagementCount": Metric.ENGAGEMENTS,
    "clickCount": Metric.CLICKS,
}
_PER_NETWORK: dict[Network, dict[str, Metric]] = {
    Network.YOUTUBE: {"views": Metric.VIEWS, "likes": Metric.LIKES, "comments": Metric.COMMENTS},
    Network.INSTAGRAM: {
        "viewsCount": Metric.VIEWS,
        "savedCount": Metric.SAVES,
        "sharesCount": Metric.SHARES,
        "playsCount": Metric.VIEWS,
    },
    Network.FACEBOOK: {"sharesCount": Metric.SHARES},
    Network.LINKEDIN: {"commentCount": Metric.COMMENTS},
    Network.TIKTOK: {"shares": Metric.SHARES, "comments": Metric.COMMENTS},
    Network.X: {},
}
# X nests its counters; the public ones first, then the private and organic ones fill gaps.
_X_GROUPS = ("publicMetrics", "nonPublicMetrics", "organicMetrics")
_X_KEYS: dict[str, Metric] = {
    "likeCount": Metric.LIKES,
    "replyCount": Metric.COMMENTS,
    "impressionCount": Metric.IMPRESSIONS,
    "bookmarkCount": Metric.SAVES,
    "userProfileClicks": Metric.CLICKS,
    "urlLinkClicks": Metric.CLICKS,
}

_SOCIAL: dict[str, AccountMetric] = {
    "followersCount": AccountMetric.FOLLOWERS,
    "followerCount": AccountMetric.FOLLOWERS,
    "subscriberCount": AccountMetric.FOLLOWERS,
    "followsCount": AccountMetric.FOLLOWING,
    "followingCount": AccountMetric.FOLLOWING,
    "mediaCount": AccountMetric.POSTS,
    "videoCount": AccountMetric.POSTS,
    "videoCountTotal": AccountMetric.POSTS,
    "tweetCount": AccountMetric.POSTS,
    "viewCount": AccountMetric.VIEWS,
    "viewCountTotal": AccountMetric.VIEWS,
    "viewsCount": AccountMetric.VIEWS,
    "reachCount": AccountMetric.REACH,
    "impressionCount": AccountMetric.IMPRESSIONS,
    "impressionsCount": AccountMetric.IMPRESSIONS,
    "pagePostsImpressions": AccountMetric.IMPRESSIONS,
}

# Epoch values above this are milliseconds (1e12 ms is 2001; 1e12 s is year 33658).
_MS_THRESHOLD = 10**12


def _count(value: object) -> int | None:
    """A non-negative whole count, or None for anything else (rates, text, booleans)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_when(value: object) -> datetime | None:
    """ISO text, a Firestore {_seconds,…} object, or epoch seconds/milliseconds (number or
    digits) as aware UTC; None when unreadable."""
    if isinstance(value, bool):
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = float(value.strip())
    if number is not None:
        if number <= 0:
            return None
        seconds = number / 1000 if number >= _MS_THRESHOLD else number
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return records.parse_timestamp(value)


def _metrics(network: Network, analytics: Mapping[str, Any]) -> dict[Metric, int]:
    found: dict[Metric, int] = {}
    names = {**_COMMON, **_PER_NETWORK.get(network, {})}
    for key, metric in names.items():
        value = _count(analytics.get(key))
        if value is not None and metric not in found:
            found[metric] = value
    if network is Network.X:
        shares = None
        for group in _X_GROUPS:
            counters = analytics.get(group)
            if not isinstance(counters, dict):
                continue
            for key, metric in _X_KEYS.items():
                value = _count(counters.get(key))
                if value is not None and metric not in found:
                    found[metric] = value
            if shares is None:
                # Retweets and quotes are X's shares.
                parts = [_count(counters.get(k)) for k in ("retweetCount", "quoteCount")]
                known = [p for p in parts if p is not None]
                shares = sum(known) if known else None
        if shares is not None and Metric.SHARES not in found:
            found[Metric.SHARES] = shares
    return found


def parse_post_analytics(data: Mapping[str, Any]) -> dict[Network, PostMetrics]:
    """POST /analytics/post's answer, per network that answered with analytics."""
    found: dict[Network, PostMetrics] = {}
    for key, entry in data.items():
        network = wire.network_of(key)
        if network is None or not isinstance(entry, dict):
            continue
        if entry.get("status") == "error":
            log.info("ayrshare analytics for %s: %s", key, str(entry.get("message"))[:200])
            continue
        analytics = entry.get("analytics")
        if not isinstance(analytics, dict):
            continue
        posted = parse_when(analytics.get("created")) or parse_when(entry.get("created"))
        url = entry.get("postUrl") or analytics.get("postUrl")
        native = entry.get("id")
        found[network] = PostMetrics(
            values=_metrics(network, analytics),
            posted_at=posted,
            url=url if isinstance(url, str) and url.startswith("http") else None,
            external_id=str(native) if isinstance(native, str | int) and native else None,
        )
    return found


def parse_social_analytics(data: Mapping[str, Any]) -> dict[Network, dict[AccountMetric, int]]:
    """POST /analytics/social's answer: account numbers per network."""
    found: dict[Network, dict[AccountMetric, int]] = {}
    for key, entry in data.items():
        network = wire.network_of(key)
        if network is None or not isinstance(entry, dict):
            continue
        analytics = entry.get("analytics")
        if not isinstance(analytics, dict):
            continue
        values: dict[AccountMetric, int] = {}
        for name, metric in _SOCIAL.items():
            value = _count(analytics.get(name))
            if value is not None and metric not in values:
                values[metric] = value
        followers = analytics.get("followers")
        if AccountMetric.FOLLOWERS not in values:
            if isinstance(followers, dict):
                # LinkedIn: organic and paid followers.
                parts = [_count(v) for v in followers.values()]
                known = [p for p in parts if p is not None]
                if known:
                    values[AccountMetric.FOLLOWERS] = sum(known)
            elif (plain := _count(followers)) is not None:
                values[AccountMetric.FOLLOWERS] = plain
        fans = _count(analytics.get("fanCount"))
        if AccountMetric.FOLLOWERS not in values and fans is not None:
            values[AccountMetric.FOLLOWERS] = fans
        found[network] = values
    return found


BUSY = "The profile's Ayrshare requests are in use by publishing; reading its numbers later."


class AyrshareAnalytics:
    """core.analytics_ports.AnalyticsSource for the Ayrshare route (Premium plan or higher)."""

    route = Route.AYRSHARE

    def __init__(
        self,
        client: AyrshareClient,
        budget: RequestBudget | None = None,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        max_wait: float = 30.0,
    ) -> None:
        self._client = client
        # The profile's one budget, shared with publishing and chat (which go first).
        self._budgeted = Budgeted(budget, clock=clock, sleep=sleep)
        self._max_wait = max_wait

    async def _request(self, profile: Profile, call: Callable[[], Awaitable[JSON]]) -> JSON:
        """Wait (up to `max_wait` in all) for what publishing leaves of the budget; a longer
        wait goes back to the sync as a rate limit, which moves the profile's items on. A 429
        holds the profile for publishing too."""
        key = (Route.AYRSHARE, profile.id)
        return await self._budgeted.call(
            key, Lane.ANALYTICS, call, max_wait=self._max_wait, busy=lambda _: BUSY
        )

    def _key(self, profile: Profile) -> str:
        account = profile.accounts.get(Route.AYRSHARE)
        if account is None:
            raise PermanentError("This profile has no Ayrshare account yet.")
        return account.key.value

    def _usable(self, networks: Sequence[Network]) -> list[Network]:
        # Every X-bound call needs the operator's own X app keys (since 2026-03-31).
        return [n for n in networks if n is not Network.X or self._client.has_x_keys]

    async def post_metrics(
        self, profile: Profile, items: Sequence[AnalyticsItem]
    ) -> Mapping[int, PostMetrics]:
        key = self._key(profile)
        networks = self._usable([i.network for i in items])
        if not networks:
            return {}
        first = items[0]
        platforms = [wire.platform_of(n) for n in networks]
        if first.kind is ItemKind.PUBLISHED and first.provider_post_id:
            post_id = first.provider_post_id
            data = await self._request(
                profile, lambda: self._client.analytics_post(post_id, key, platforms)
            )
        elif first.external_id:
            native, network = first.external_id, first.network
            data = await self._request(profile, lambda: self._native(native, network, key))
        else:
            raise PermanentError("Ayrshare can't find this post: it has no post id.")
        found = parse_post_analytics(data)
        return {
            i.id: found[i.network] for i in items if i.network in found and i.network in networks
        }

    async def _native(self, native_id: str, network: Network, key: str) -> JSON:
        # A post published outside Ayrshare, looked up by the network's own id.
        body = {
            "id": native_id,
            "platforms": [wire.platform_of(network)],
            "searchPlatformId": True,
        }
        # The client's one-exchange helper, shared inside this package.
        raw = await self._client._send("POST", "/analytics/post", profile_key=key, json=body)
        data = refusals.check(raw, "reading the post's analytics")
        return data if isinstance(data, dict) else {}

    async def account_metrics(
        self, profile: Profile, networks: Sequence[Network]
    ) -> Mapping[Network, Mapping[AccountMetric, int]]:
        key = self._key(profile)
        usable = self._usable(networks)
        if not usable:
            return {}
        platforms = [wire.platform_of(n) for n in usable]
        data = await self._request(profile, lambda: self._client.analytics_social(key, platforms))
        found = parse_social_analytics(data)
        return {n: v for n, v in found.items() if n in usable and v}
