"""Recorded Ayrshare analytics answers mapped to metrics: one per network, missing fields stay
unknown (never 0), timestamps in ISO, Firestore objects, seconds and milliseconds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.ayrshare.analytics import parse_post_analytics, parse_social_analytics, parse_when
from core.metrics import AccountMetric, Metric
from core.model import Network

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "ayrshare"
CREATED = datetime(2025, 11, 20, 9, 30, tzinfo=UTC)  # 1763631000


def load(name: str) -> dict[str, Any]:
    data = json.loads((PAYLOADS / name).read_text())
    assert isinstance(data, dict)
    return data


def test_youtube_views_likes_comments_and_nothing_it_does_not_report() -> None:
    found = parse_post_analytics(load("analytics_youtube.json"))
    youtube = found[Network.YOUTUBE]
    assert youtube.values == {Metric.VIEWS: 1520, Metric.LIKES: 96, Metric.COMMENTS: 14}
    # YouTube gives no shares or saves: unknown, not zero.
    assert Metric.SHARES not in youtube.values and Metric.SAVES not in youtube.values
    assert youtube.posted_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert youtube.url == "https://youtu.be/dQw4w9WgXcQ"
    assert youtube.external_id == "dQw4w9WgXcQ"


def test_tiktok_uses_seed_004_mapping_and_millisecond_created() -> None:
    tiktok = parse_post_analytics(load("analytics_tiktok_ms.json"))[Network.TIKTOK]
    assert tiktok.values == {
        Metric.VIEWS: 48213,  # videoViews
        Metric.LIKES: 3120,  # likeCount
        Metric.COMMENTS: 211,  # commentsCount
        Metric.SHARES: 388,  # shareCount
        Metric.SAVES: 905,  # favorites
        Metric.REACH: 40110,
    }
    assert tiktok.posted_at == CREATED  # 1763631000000 ms


def test_instagram_older_account_with_missing_views_and_seconds_created() -> None:
    instagram = parse_post_analytics(load("analytics_instagram_missing.json"))[Network.INSTAGRAM]
    assert instagram.values == {
        Metric.LIKES: 230,
        Metric.COMMENTS: 18,
        Metric.REACH: 3804,
        Metric.SAVES: 41,
        Metric.ENGAGEMENTS: 289,
        Metric.IMPRESSIONS: 5120,
    }
    assert Metric.VIEWS not in instagram.values  # no viewsCount on this account
    assert instagram.posted_at == CREATED  # 1763631000 s


def test_facebook_shares_views_and_firestore_created() -> None:
    facebook = parse_post_analytics(load("analytics_facebook.json"))[Network.FACEBOOK]
    assert facebook.values == {
        Metric.VIEWS: 2210,
        Metric.LIKES: 77,
        Metric.COMMENTS: 9,
        Metric.SHARES: 12,
    }
    assert facebook.posted_at == datetime(2025, 11, 20, 9, 30, 0, 120000, tzinfo=UTC)


def test_linkedin_impressions_clicks_and_its_rate_is_not_a_count() -> None:
    linkedin = parse_post_analytics(load("analytics_linkedin.json"))[Network.LINKEDIN]
    assert linkedin.values == {
        Metric.LIKES: 54,
        Metric.COMMENTS: 6,  # commentCount (singular on LinkedIn)
        Metric.SHARES: 4,
        Metric.CLICKS: 31,
        Metric.IMPRESSIONS: 2402,
    }
    assert linkedin.posted_at is None  # no created field: unknown


def test_twitter_public_and_non_public_metrics() -> None:
    x = parse_post_analytics(load("analytics_twitter.json"))[Network.X]
    assert x.values == {
        Metric.LIKES: 41,  # public, not the organic 40
        Metric.COMMENTS: 5,
        Metric.SHARES: 9,  # retweets + quotes
        Metric.SAVES: 3,
        Metric.IMPRESSIONS: 1880,  # nonPublicMetrics
        Metric.CLICKS: 12,
    }
    assert x.posted_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_several_networks_one_in_error_and_odd_values() -> None:
    found = parse_post_analytics(load("analytics_multi_partial.json"))
    assert set(found) == {Network.TIKTOK, Network.INSTAGRAM}  # youtube answered an error
    # Fresh posts report zeros, and those zeros are real.
    assert found[Network.TIKTOK].values == {Metric.LIKES: 0, Metric.COMMENTS: 0}
    assert found[Network.TIKTOK].posted_at == CREATED  # digits in a string, seconds
    # "12" counts; null and a negative count are unknown; 310.0 is a whole number.
    assert found[Network.INSTAGRAM].values == {Metric.LIKES: 12, Metric.VIEWS: 310}
    assert found[Network.INSTAGRAM].posted_at is None


def test_account_numbers_per_network() -> None:
    found = parse_social_analytics(load("analytics_social.json"))
    assert found[Network.INSTAGRAM][AccountMetric.FOLLOWERS] == 8902
    assert found[Network.INSTAGRAM][AccountMetric.POSTS] == 212
    assert found[Network.FACEBOOK][AccountMetric.FOLLOWERS] == 1502  # fanCount
    assert found[Network.TIKTOK][AccountMetric.FOLLOWERS] == 15230
    assert found[Network.YOUTUBE][AccountMetric.FOLLOWERS] == 932  # subscribers
    assert found[Network.LINKEDIN][AccountMetric.FOLLOWERS] == 652  # organic + paid
    assert found[Network.X] == {AccountMetric.POSTS: 1204}  # no follower count given


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1763631000, CREATED),
        (1763631000000, CREATED),
        ("1763631000", CREATED),
        (1763631000.5, datetime(2025, 11, 20, 9, 30, 0, 500000, tzinfo=UTC)),
        ("2025-11-20T09:30:00Z", CREATED),
        ({"_seconds": 1763631000, "_nanoseconds": 0}, CREATED),
        (None, None),
        ("soon", None),
        (True, None),
        (0, None),
    ],
)
def test_timestamps_in_every_unit(raw: object, expected: datetime | None) -> None:
    assert parse_when(raw) == expected
