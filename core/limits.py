"""What each network accepts in one post, checked before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from core.errors import DomainError
from core.model import Network

# Ayrshare tells video from image by the URL's file extension; a URL with neither needs its
# `isVideo` flag (https://www.ayrshare.com/docs/media-guidelines/overview). The limits check and
# the Ayrshare wire read these same two sets.
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv", ".mpeg", ".mpg"})
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".bmp", ".tif", ".tiff"}
)


# The photos and videos Postroom takes from a chat, by MIME type, with the suffix a hosted
# copy keeps (the suffix is how a publisher tells video from photo).
CHAT_MEDIA_SUFFIXES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
}


@dataclass(frozen=True, slots=True)
class ContentLimits:
    max_chars: int
    max_media: int
    max_videos: int = 1
    needs_media: bool = False
    needs_video: bool = False
    mixes_media: bool = False  # images and a video in one post (Instagram carousels)
    max_hashtags: int | None = None  # None: the network sets no number
    max_mentions: int | None = None


# Ayrshare's "Character limits" help page and "Media guidelines" (ayrshare.com/docs/
# help-center/technical-support/character_limits, /docs/media-guidelines/overview) and its
# per-network pages: Instagram 2,200 characters, up to 10 images and/or videos as a carousel,
# always with media (Meta publishes from a media container); Facebook 63,206, 10 images or 1
# video; TikTok 2,200, one video or up to 35 images, never both; YouTube 5,000 (the
# description) and exactly one video; LinkedIn 3,000, 9 images or 1 video; X 280 (without
# Premium), 4 images or 1 video.
# Instagram's caption: at most 2,200 characters, 30 hashtags and 20 @ mentions
# (docs/limits-by-platform.md#instagram-graph-api).
LIMITS: dict[Network, ContentLimits] = {
    Network.INSTAGRAM: ContentLimits(
        2200,
        10,
        max_videos=10,
        needs_media=True,
        mixes_media=True,
        max_hashtags=30,
        max_mentions=20,
    ),
    Network.FACEBOOK: ContentLimits(63206, 10),
    Network.TIKTOK: ContentLimits(2200, 35, needs_media=True),
    Network.YOUTUBE: ContentLimits(5000, 1, needs_media=True, needs_video=True),
    Network.LINKEDIN: ContentLimits(3000, 9),
    Network.X: ContentLimits(280, 4),
}

MAX_MEDIA_URL = 2048
# A tag starts at a word boundary: "C#" and "ana@example.com" are not a hashtag or a mention.
HASHTAG = re.compile(r"(?<![\w#])#\w+")
MENTION = re.compile(r"(?<![\w@])@[\w.]+")
MAX_POST_CHARS = max(limit.max_chars for limit in LIMITS.values())


def suffix(url: str) -> str:
    """The file extension of the URL's last path segment, lower case: `.mp4`, or empty."""
    name = urlsplit(url).path.lower().rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else ""


def is_video(url: str) -> bool:
    return suffix(url) in VIDEO_SUFFIXES


def check_media_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """The media URLs if each is an absolute https URL of sane length, else a clear refusal."""
    checked: list[str] = []
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. an unclosed IPv6 bracket: "https://[oops"
            parts = urlsplit("")
        # https only: networks fetch media themselves and several refuse plain http.
        if parts.scheme != "https" or not parts.netloc:
            raise DomainError(
                f"Media must be a web address starting with https://, not {_clip(url)!r}."
            )
        if len(url) > MAX_MEDIA_URL:
            raise DomainError(f"That media address is over {MAX_MEDIA_URL} characters.")
        checked.append(url)
    return tuple(checked)


def text_problems(network: Network, text: str) -> list[str]:
    """Why `network` would refuse this text (its length, hashtags, mentions); empty: none."""
    limit = LIMITS[network]
    name = network.label
    found: list[str] = []
    if len(text) > limit.max_chars:
        found.append(f"{name} allows {limit.max_chars:,} characters; this post has {len(text):,}.")
    hashtags = len(HASHTAG.findall(text))
    if limit.max_hashtags is not None and hashtags > limit.max_hashtags:
        found.append(f"{name} allows {limit.max_hashtags} hashtags; this post has {hashtags}.")
    mentions = len(MENTION.findall(text))
    if limit.max_mentions is not None and mentions > limit.max_mentions:
        found.append(f"{name} allows {limit.max_mentions} @mentions; this post has {mentions}.")
    return found


def problems(network: Network, text: str, media: tuple[str, ...]) -> list[str]:
    """Why `network` would refuse this text and media; empty when it fits."""
    limit = LIMITS[network]
    name = network.label
    videos = sum(is_video(m) for m in media)
    found = text_problems(network, text)
    if len(media) > limit.max_media:
        found.append(f"{name} takes at most {limit.max_media} media; this post has {len(media)}.")
    if videos > limit.max_videos:
        found.append(f"{name} takes one video per post; this post has {videos}.")
    elif videos and videos < len(media) and not limit.mixes_media:
        found.append(f"{name} takes either photos or one video, not both.")
    if limit.needs_video and not videos:
        found.append(f"{name} needs a video. Add one, or untick {name}.")
    elif limit.needs_media and not media:
        found.append(f"{name} needs a photo or video. Add one, or untick {name}.")
    return found


def _clip(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
