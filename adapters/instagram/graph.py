"""Instagram Graph content publishing, sans I/O: the requests to make and what answers mean.

Wire shapes from https://developers.facebook.com/docs/instagram-platform/content-publishing/
and the Graph error object (https://developers.facebook.com/docs/graph-api/guides/error-handling).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.errors import PermanentError, TransientError
from core.model import Profile, Route

# Carousels take 2 to 10 items (content-publishing docs, "Carousel posts").
CAROUSEL_MIN, CAROUSEL_MAX = 2, 10
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v")
RECONNECT = "Instagram no longer accepts our access to this account: reconnect Instagram."
REFUSED_POST = "Instagram refused the post"
NOT_CONNECTED = "Instagram is not connected to this profile: reconnect Instagram."
# Graph error codes: 190 invalid/expired token; 4, 17, 32, 613 are rate limits; 1 and 2 are
# temporary service errors (error-handling guide).
TOKEN_INVALID = 190
RATE_LIMITED = frozenset({4, 17, 32, 613})
TEMPORARY = frozenset({1, 2})


@dataclass(frozen=True, slots=True)
class Call:
    """One Graph request: method, path under the API base, query parameters."""

    method: str
    path: str
    params: Mapping[str, str]


def credentials(profile: Profile) -> tuple[str, str]:
    """(Instagram user id, access token) the connect flow stored for the profile."""
    account = profile.accounts.get(Route.INSTAGRAM_GRAPH)
    if account is None:
        raise PermanentError(NOT_CONNECTED, reconnect=True)
    return account.ref, account.key.value


def is_video(url: str) -> bool:
    return url.split("?", 1)[0].lower().endswith(VIDEO_SUFFIXES)


def containers(ig_user: str, caption: str, media: Sequence[str]) -> tuple[list[Call], bool]:
    """The container(s) to create for `media`, and whether a CAROUSEL container follows them
    (its children are created with is_carousel_item=true and no caption)."""
    if not media:
        raise PermanentError("Instagram needs an image or a video.")
    if len(media) > CAROUSEL_MAX:
        raise PermanentError(f"An Instagram carousel holds at most {CAROUSEL_MAX} items.")
    path = f"{ig_user}/media"
    if len(media) == 1:
        return [Call("POST", path, _item(media[0]) | {"caption": caption})], False
    children = [Call("POST", path, _item(url) | {"is_carousel_item": "true"}) for url in media]
    return children, True


def carousel(ig_user: str, caption: str, children: Sequence[str]) -> Call:
    params = {"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption}
    return Call("POST", f"{ig_user}/media", params)


def _item(url: str) -> dict[str, str]:
    # Videos are published as Reels: media_type=VIDEO is no longer accepted for feed posts.
    if is_video(url):
        return {"media_type": "REELS", "video_url": url}
    return {"image_url": url}


def status(container: str) -> Call:
    return Call("GET", container, {"fields": "status_code,status"})


def publish(ig_user: str, container: str) -> Call:
    return Call("POST", f"{ig_user}/media_publish", {"creation_id": container})


def permalink(media_id: str) -> Call:
    return Call("GET", media_id, {"fields": "permalink"})


def recent_media(ig_user: str, limit: int = 50) -> Call:
    fields = "id,caption,timestamp,permalink"
    return Call("GET", f"{ig_user}/media", {"fields": fields, "limit": str(limit)})


def publishing_limit(ig_user: str) -> Call:
    return Call("GET", f"{ig_user}/content_publishing_limit", {"fields": "quota_usage,config"})


def container_failure(body: Mapping[str, Any]) -> str | None:
    """Instagram's reason when a container's status_code is ERROR or EXPIRED, else None."""
    code = body.get("status_code")
    if code == "ERROR":
        return f"Instagram could not process the media: {body.get('status') or 'no reason given'}"
    if code == "EXPIRED":
        return "Instagram's upload expired before it was published (containers last 24 hours)."
    return None


def quota(body: Mapping[str, Any]) -> tuple[int, int]:
    """(posts used, posts allowed) in the rolling 24 h window, from content_publishing_limit."""
    data = body.get("data") or [{}]
    first = data[0] if isinstance(data, list) and data else {}
    used = int(first.get("quota_usage") or 0)
    config = first.get("config") or {}
    return used, int(config.get("quota_total") or 50)


def parse_time(text: str) -> datetime | None:
    """Graph timestamps look like 2026-12-01T10:00:00+0000."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except (TypeError, ValueError):
        return None


def error_of(body: Any) -> tuple[int | None, str] | None:
    """(code, message) of a Graph error object in `body`, or None when there is none."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    message = str(error.get("error_user_msg") or error.get("message") or "no reason given")
    return (code if isinstance(code, int) else None), message


def raise_for_error(status_code: int, body: Any, *, refused: str = REFUSED_POST) -> None:
    """Raise the PublishError a Graph answer stands for; return when it is a success.
    `refused` opens the reason of a refusal (what was refused)."""
    if 200 <= status_code < 300 and not (isinstance(body, dict) and "error" in body):
        return
    found = error_of(body)
    if found is None:
        if status_code >= 500 or status_code == 429:
            raise TransientError(f"Instagram answered HTTP {status_code}")
        raise PermanentError(f"Instagram refused the request (HTTP {status_code}).")
    code, message = found
    error = body["error"]
    if code == TOKEN_INVALID:
        raise PermanentError(RECONNECT, reconnect=True)
    if code in RATE_LIMITED:
        raise TransientError(f"Instagram's rate limit: {message}", retry_after=3600)
    if code in TEMPORARY or error.get("is_transient") or status_code >= 500:
        raise TransientError(f"Instagram: {message}")
    raise PermanentError(f"{refused}: {message}")
