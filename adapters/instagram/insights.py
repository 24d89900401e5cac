"""Instagram media and account insights, sans I/O: what to ask for and what answers mean.

Metric names per media product type, the answer shapes and the error for a metric Instagram
no longer accepts follow https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights
and docs/limits-by-platform.md#instagram-graph-api (insights).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.instagram.graph import Call
from core.metrics import AccountMetric, Metric

__all__ = [
    "ACCOUNT_FIELDS",
    "INSIGHT_METRICS",
    "MEDIA_FIELDS",
    "NOT_ENOUGH_VIEWERS",
    "account",
    "account_values",
    "insights",
    "media",
    "media_values",
    "metrics_for",
    "parse_insights",
    "refused_metric",
]

# Instagram's insight name -> Postroom's metric (docs/metrics-mapping.md#instagram-graph-api).
INSIGHT_METRICS: Mapping[str, Metric] = {
    "views": Metric.VIEWS,
    "reach": Metric.REACH,
    "likes": Metric.LIKES,
    "comments": Metric.COMMENTS,
    "shares": Metric.SHARES,
    "saved": Metric.SAVES,
    "total_interactions": Metric.ENGAGEMENTS,
}
# Stories have no likes, comments or saves (their interactions are replies and navigation).
_STORY = ("views", "reach", "shares", "total_interactions")
MEDIA_FIELDS = "id,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
# The media object's own counters: a fallback when insights leave likes or comments out
# (like_count is omitted when the owner hides like counts).
_MEDIA_COUNTS: Mapping[str, Metric] = {
    "like_count": Metric.LIKES,
    "comments_count": Metric.COMMENTS,
}
ACCOUNT_FIELDS = "followers_count,follows_count,media_count"
_ACCOUNT: Mapping[str, AccountMetric] = {
    "followers_count": AccountMetric.FOLLOWERS,
    "follows_count": AccountMetric.FOLLOWING,
    "media_count": AccountMetric.POSTS,
}
# Graph error code 10 on insights: too few viewers for Instagram to show any numbers.
NOT_ENOUGH_VIEWERS = 10
# Code 100 with a message naming the metric ("The metric shares is not supported for this
# media type", "does not support the views metric…") or its position ("metric[2] must be one
# of the following values: …").
INVALID_PARAMETER = 100
_POSITION = re.compile(r"metric\[(\d+)\]")


def metrics_for(product_type: str | None) -> tuple[str, ...]:
    """The insight names to ask for a media of this product type (FEED, REELS, STORY…)."""
    if product_type == "STORY":
        return _STORY
    return tuple(INSIGHT_METRICS)


def media(media_id: str) -> Call:
    return Call("GET", media_id, {"fields": MEDIA_FIELDS})


def insights(media_id: str, names: Sequence[str]) -> Call:
    return Call("GET", f"{media_id}/insights", {"metric": ",".join(names)})


def account(ig_user: str) -> Call:
    return Call("GET", ig_user, {"fields": ACCOUNT_FIELDS})


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def parse_insights(body: Mapping[str, Any]) -> dict[Metric, int]:
    """The metrics an insights answer carries. Each entry holds `values: [{value}]` (lifetime
    metrics) or `total_value: {value}`; a metric left out, or with no value, stays unknown."""
    found: dict[Metric, int] = {}
    for entry in body.get("data") or []:
        if not isinstance(entry, dict):
            continue
        metric = INSIGHT_METRICS.get(str(entry.get("name")))
        if metric is None:
            continue
        value: object = None
        values = entry.get("values")
        if isinstance(values, list) and values and isinstance(values[-1], dict):
            value = values[-1].get("value")
        total = entry.get("total_value")
        if value is None and isinstance(total, dict):
            value = total.get("value")
        if (count := _count(value)) is not None:
            found[metric] = count
    return found


def media_values(body: Mapping[str, Any]) -> dict[Metric, int]:
    """Likes and comments from the media object itself, where it shows them."""
    return {
        metric: count
        for name, metric in _MEDIA_COUNTS.items()
        if (count := _count(body.get(name))) is not None
    }


def account_values(body: Mapping[str, Any]) -> dict[AccountMetric, int]:
    return {
        metric: count
        for name, metric in _ACCOUNT.items()
        if (count := _count(body.get(name))) is not None
    }


def refused_metric(code: int | None, message: str, asked: Sequence[str]) -> str | None:
    """The one asked-for metric a code-100 refusal is about, when the message tells; None
    when it is not about a metric or names none (or several) of those asked."""
    if code != INVALID_PARAMETER:
        return None
    if (at := _POSITION.search(message)) is not None:
        index = int(at.group(1))
        return asked[index] if index < len(asked) else None
    named = [m for m in asked if re.search(rf"(?<![a-z_]){re.escape(m)}(?![a-z_])", message)]
    return named[0] if len(named) == 1 else None
