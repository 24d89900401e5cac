"""The insights side of the fake Instagram Graph API: media fields, media insights, account
fields, in Meta's wire format, with retired metrics refused as Instagram refuses them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from tests.fakes.graph_wire import error, ok

if TYPE_CHECKING:
    from tests.fakes.instagram_publish import Media

__all__ = ["VALID", "FakeInsights"]

# Metric names each media product type accepts
# (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights).
_COMMON = ("comments", "likes", "reach", "saved", "shares", "total_interactions", "views")
VALID: dict[str, tuple[str, ...]] = {
    "FEED": (*_COMMON, "follows", "profile_activity", "profile_visits"),
    "REELS": (*_COMMON, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time"),
    "STORY": (
        "follows",
        "navigation",
        "profile_activity",
        "profile_visits",
        "reach",
        "replies",
        "shares",
        "total_interactions",
        "views",
    ),
}


def _named(name: str, index: int, valid: Sequence[str]) -> str:
    return (
        f"(#100) The Media Insights API does not support the {name} metric for this media "
        "product type."
    )


def _position(name: str, index: int, valid: Sequence[str]) -> str:
    return f"(#100) metric[{index}] must be one of the following values: {', '.join(valid)}"


def _unnamed(name: str, index: int, valid: Sequence[str]) -> str:
    return "(#100) Param metric contains an unsupported value for this media"


# How Instagram words a refused metric: by name, by position in the list, or neither.
REFUSALS: dict[str, Callable[[str, int, Sequence[str]], str]] = {
    "named": _named,
    "position": _position,
    "unnamed": _unnamed,
}


@dataclass
class FakeInsights:
    """GET /<media>?fields=…, GET /<media>/insights?metric=…, GET /<ig-user>?fields=…"""

    ig_user: str
    media_count: Callable[[], int]
    followers: int | None = 1200  # None: the field is left out of the answer
    follows: int = 150
    # Metrics Instagram retired or refuses, with the wording of its refusal (REFUSALS).
    retired: dict[str, str] = field(default_factory=dict)
    not_enough_viewers: bool = False  # error code 10 for every insights request
    total_value_shape: bool = False  # answer `total_value: {value}` instead of `values: [...]`
    asked: list[list[str]] = field(default_factory=list)  # metric lists, request by request
    body: Any = None  # when set, every insights answer is this JSON (odd shapes)

    def media_fields(self, m: Media, fields: str) -> dict[str, Any]:
        known: dict[str, Any] = {
            "id": m.id,
            "permalink": m.permalink,
            "timestamp": m.timestamp.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "media_type": "VIDEO" if m.product_type == "REELS" else "IMAGE",
            "media_product_type": m.product_type,
            "comments_count": m.comments_count,
        }
        if m.like_count is not None:  # omitted when the owner hides like counts
            known["like_count"] = m.like_count
        return {f: known[f] for f in fields.split(",") if f in known} | {"id": m.id}

    def answer(self, m: Media, metric: str) -> Response:
        names = [n for n in metric.split(",") if n]
        self.asked.append(names)
        if not names:
            return error("(#100) The parameter metric is required", 100, None)
        valid = VALID.get(m.product_type, _COMMON)
        for index, name in enumerate(names):
            if name in self.retired or name not in valid:
                wording = REFUSALS[self.retired.get(name, "named")]
                return error(wording(name, index, valid), 100, None)
        if self.body is not None:
            return ok(self.body)
        if self.not_enough_viewers:
            return error("(#10) Not enough viewers for the media to show insights", 10, None)
        data = []
        for name in names:
            value = m.insights.get(name)
            if value is None:
                continue  # Instagram leaves out what it has no data for (never a 0)
            entry: dict[str, Any] = {
                "name": name,
                "period": "lifetime",
                "title": name.replace("_", " ").title(),
                "description": f"The {name} of the media.",
                "id": f"{m.id}/insights/{name}/lifetime",
            }
            if self.total_value_shape:
                entry["total_value"] = {"value": value}
            else:
                entry["values"] = [{"value": value}]
            data.append(entry)
        return ok({"data": data})

    def account(self, fields: str) -> dict[str, Any]:
        known: dict[str, Any] = {
            "id": self.ig_user,
            "follows_count": self.follows,
            "media_count": self.media_count(),
        }
        if self.followers is not None:
            known["followers_count"] = self.followers
        return {f: known[f] for f in fields.split(",") if f in known} | {"id": self.ig_user}
