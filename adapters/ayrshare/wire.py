"""Ayrshare's wire format without I/O: request bodies, platform names, JSON readers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core import limits
from core.model import Network

__all__ = [
    "RATE_WINDOW",
    "YOUTUBE_TITLE_MAX",
    "RawResponse",
    "network_of",
    "platform_of",
    "post_body",
    "youtube_title",
]


JSON = dict[str, Any]

# 300 requests per 5 minutes per User Profile; the headers give no reset time.
RATE_WINDOW = 300.0
YOUTUBE_TITLE_MAX = 100  # YouTube rejects longer titles; Ayrshare requires one

_VIDEO_ONLY = frozenset({Network.YOUTUBE, Network.TIKTOK})

_PLATFORMS = {n: ("twitter" if n is Network.X else n.value) for n in Network}
_NETWORKS = {name: n for n, name in _PLATFORMS.items()}


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An HTTP answer as the parsers need it; header names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def platform_of(network: Network) -> str:
    """Ayrshare's platform name: the same as ours, except X, which Ayrshare calls twitter."""
    return _PLATFORMS[network]


def network_of(platform: object) -> Network | None:
    return _NETWORKS.get(platform.lower()) if isinstance(platform, str) else None


def youtube_title(text: str) -> str:
    """The post's first line as a YouTube title: ≤100 characters, no angle brackets."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    # YouTube refuses titles containing < or >.
    title = " ".join(first.replace("<", " ").replace(">", " ").split()) or "Video"
    if len(title) > YOUTUBE_TITLE_MAX:
        title = title[: YOUTUBE_TITLE_MAX - 1].rstrip() + "…"
    return title


def post_body(
    text: str, media: Sequence[str], networks: Sequence[Network], idempotency_key: str
) -> JSON:
    """The POST /post body publishing now (we schedule ourselves, so no scheduleDate)."""
    body: JSON = {
        "post": text,
        "platforms": [platform_of(n) for n in networks],
        "idempotencyKey": idempotency_key,
    }
    if media:
        body["mediaUrls"] = list(media)
        # YouTube and TikTok take video only: a single URL without a known extension going
        # there must be a video, and Ayrshare would otherwise treat it as an image.
        known = limits.VIDEO_SUFFIXES | limits.IMAGE_SUFFIXES
        if (
            len(media) == 1
            and limits.suffix(media[0]) not in known
            and _VIDEO_ONLY & set(networks)
        ):
            body["isVideo"] = True
    if Network.YOUTUBE in networks:
        # Ayrshare's default visibility is private; a published post is meant to be seen.
        body["youTubeOptions"] = {"title": youtube_title(text), "visibility": "public"}
    return body


def json_body(body: bytes) -> Any | None:
    """The decoded JSON body, or None when it is not JSON at all."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def text_of(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def int_of(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def entries_of(data: Mapping[str, Any], field: str) -> list[JSON]:
    value = data.get(field)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def clipped(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
