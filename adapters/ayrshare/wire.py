"""Ayrshare's wire format without I/O: request bodies, response parsing and error mapping."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core import limits
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Network
from core.ports import Outcome, OutcomeKind

__all__ = [
    "DEFAULT_RETRY_AFTER",
    "RATE_WINDOW",
    "YOUTUBE_TITLE_MAX",
    "DuplicateRequest",
    "RawResponse",
    "check",
    "explain",
    "find_in_history",
    "network_of",
    "outcomes_from_record",
    "parse_history",
    "parse_jwt_url",
    "parse_post_record",
    "parse_post_response",
    "parse_profile",
    "parse_timestamp",
    "parse_user",
    "platform_of",
    "post_body",
    "retry_after",
    "youtube_title",
]

JSON = dict[str, Any]

# 300 requests per 5 minutes per User Profile; the headers give no reset time.
RATE_WINDOW = 300.0
DEFAULT_RETRY_AFTER = 60.0
YOUTUBE_TITLE_MAX = 100  # YouTube rejects longer titles; Ayrshare requires one

_VIDEO_ONLY = frozenset({Network.YOUTUBE, Network.TIKTOK})

_PLATFORMS = {n: ("twitter" if n is Network.X else n.value) for n in Network}
_NETWORKS = {name: n for n, name in _PLATFORMS.items()}

BAD_KEY = "Ayrshare rejected this server's API key; the operator needs to check it."
SUSPENDED = "Ayrshare refused access (HTTP 403): the account may be suspended or not allowed."
QUOTA = "The monthly Ayrshare post quota is used up; it resets on the 1st of the month."
UNREADABLE_2XX = (
    "Ayrshare's answer was unreadable, so the post may have gone out; it will be looked up."
)


class DuplicateRequest(OutcomeUnknown):
    """Ayrshare refused the request because its idempotencyKey was used before.

    The earlier request with that key reached Ayrshare, so this is settled by a lookup and never
    shown as a failure.
    """


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An HTTP answer as the parsers need it; header names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes


# --- names and request bodies ----------------------------------------------------------------


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


# --- reading answers ----------------------------------------------------------------------------


def _json(body: bytes) -> Any | None:
    """The decoded JSON body, or None when it is not JSON at all."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _entries(data: Mapping[str, Any], field: str) -> list[JSON]:
    value = data.get(field)
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _known(code: int | None, network: Network | None) -> tuple[OutcomeKind, str, bool] | None:
    """Our wording for the codes Ayrshare documents: (FAILED or RETRY, reason, reconnect)."""
    label = network.label if network is not None else "The network"
    where = network.label if network is not None else "the network"
    match code:
        case 156:
            return OutcomeKind.FAILED, f"{label} isn't linked any more.", True
        case 161 | 272:
            return OutcomeKind.FAILED, f"{label}'s authorization has expired or was revoked.", True
        case 106:
            return OutcomeKind.FAILED, QUOTA, False
        case 107 | 110 | 137:
            reason = f"{label} refused it as a duplicate of a recent post; change the text."
            return OutcomeKind.FAILED, reason, False
        case 132:
            return OutcomeKind.FAILED, f"The text is too long for {where}.", False
        case 136:
            reason = f"{label} couldn't fetch the media: the link is invalid or not public."
            return OutcomeKind.FAILED, reason, False
        case 182:
            reason = f"The media doesn't meet {where}'s requirements (size, length or format)."
            return OutcomeKind.FAILED, reason, False
        case 435:
            # A rolling 24 h quota: sending again soon fails the same way.
            reason = "Instagram allows 50 posts per 24 hours and this account reached it."
            return OutcomeKind.FAILED, reason, False
        case 436:
            return OutcomeKind.RETRY, "Instagram took too long to process the media.", False
        case 169:
            return OutcomeKind.FAILED, "The Ayrshare plan doesn't include this feature.", False
        case 102:
            return OutcomeKind.FAILED, BAD_KEY, False
    return None


def _passed_on(message: str, code: int | None) -> str:
    """Ayrshare's own message for a code we don't word ourselves."""
    detail = _clip(message).rstrip(".") or "no reason given"
    return detail + (f" (code {code})" if code is not None else "") + "."


def explain(
    code: int | None, message: str, network: Network | None
) -> tuple[OutcomeKind, str, bool]:
    """What an Ayrshare error code means for the user: (FAILED or RETRY, reason, reconnect)."""
    known = _known(code, network)
    if known is not None:
        return known
    label = network.label if network is not None else "The network"
    return OutcomeKind.FAILED, f"{label} refused it: {_passed_on(message, code)}", False


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a 429: Retry-After if given, else from the rate-limit headers."""
    given = headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(given))
    except ValueError:
        pass  # absent, or an HTTP date (Ayrshare documents no Retry-After at all)
    limit = _int(headers.get("x-ratelimit-max"))
    count = _int(headers.get("x-ratelimit-count"))
    if limit is not None and count is not None and count >= limit:
        # The window is used up and its start is not given: a whole window is the safe wait
        # (1,000 429s in 24 h get the profile suspended).
        return RATE_WINDOW
    return DEFAULT_RETRY_AFTER


def _mentions_idempotency(data: Mapping[str, Any]) -> bool:
    # Content-duplicate refusals (codes 110, 137) also say "duplicate": only the key counts.
    messages = [_text(data.get("message"))] + [
        _text(e.get("message")) for e in _entries(data, "errors")
    ]
    for message in messages:
        lowered = message.lower()
        if "idempotency" in lowered or "duplicate key" in lowered:
            return True
    return False


def _raise_for_request(raw: RawResponse, data: Any | None, action: str) -> None:
    """Raise for a failed request as a whole; return for a 2xx answer without an error."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    code = _int(obj.get("code"))
    message = _text(obj.get("message"))
    status = raw.status
    if status == 429 and code != 435:
        raise TransientError(
            "Ayrshare's rate limit was reached; trying again later.",
            retry_after=retry_after(raw.headers),
        )
    if status >= 500:
        raise TransientError(f"Ayrshare had a server error (HTTP {status}); trying again later.")
    if status == 401 or code == 102:
        raise PermanentError(BAD_KEY)
    if status == 403:
        raise PermanentError(SUSPENDED)
    if data is None:
        if 200 <= status < 300:
            return
        raise PermanentError(
            f"Ayrshare refused {action} (HTTP {status}) and its answer was unreadable."
        )
    if 200 <= status < 300 and obj.get("status") != "error":
        return
    known = _known(code, None)
    if known is not None:
        kind, reason, reconnect = known
        if kind is OutcomeKind.RETRY:
            raise TransientError(reason)
        raise PermanentError(reason, reconnect=reconnect)
    http = f" (HTTP {status})" if status >= 300 else ""
    raise PermanentError(f"Ayrshare refused {action}{http}: {_passed_on(message, code)}")


def check(raw: RawResponse, action: str) -> Any:
    """The JSON body of a successful answer; raises a PublishError for anything else."""
    data = _json(raw.body)
    _raise_for_request(raw, data, action)
    if data is None:
        raise TransientError(f"Ayrshare's answer to {action} was unreadable; trying again later.")
    return data


# --- POST /post and lookups -------------------------------------------------------------------


def _entry_outcomes(
    data: Mapping[str, Any], networks: Iterable[Network], *, settled: bool
) -> dict[Network, Outcome]:
    """Outcomes for the networks named in `postIds[]` (published) and `errors[]` (refused)."""
    wanted = set(networks)
    provider_id = _text(data.get("id")) or None
    found: dict[Network, Outcome] = {}
    for entry in _entries(data, "postIds"):
        network = network_of(entry.get("platform"))
        if network not in wanted or network is None or entry.get("status", "success") != "success":
            continue
        native = _text(entry.get("id"))
        found[network] = Outcome(
            OutcomeKind.PUBLISHED,
            url=_text(entry.get("postUrl")) or None,
            # TikTok answers id "pending" until it has processed the video.
            external_id=native if native and native != "pending" else None,
            provider_post_id=provider_id,
        )
    for entry in _entries(data, "errors"):
        network = network_of(entry.get("platform"))
        if network not in wanted or network is None or network in found:
            continue
        kind, reason, reconnect = explain(
            _int(entry.get("code")), _text(entry.get("message")), network
        )
        if settled:
            # A looked-up refusal is final for this idempotency key: a re-send is refused.
            kind = OutcomeKind.FAILED
        found[network] = Outcome(
            kind,
            reason=reason,
            reconnect=reconnect,
            provider_post_id=provider_id,
            # Ayrshare processed this request, so its key is used up: a retry needs a new one.
            key_spent=kind is OutcomeKind.RETRY,
        )
    return found


def parse_post_response(raw: RawResponse, networks: Sequence[Network]) -> dict[Network, Outcome]:
    """Per-network outcomes of POST /post; raises for failures of the request as a whole."""
    data = _json(raw.body)
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    if raw.status == 409 or (
        (raw.status >= 400 or obj.get("status") == "error") and _mentions_idempotency(obj)
    ):
        raise DuplicateRequest(
            "Ayrshare already has a request with this idempotency key; it will be looked up."
        )
    if _entries(obj, "postIds") or _entries(obj, "errors"):
        found = _entry_outcomes(obj, networks, settled=False)
        for network in networks:
            found.setdefault(
                network,
                Outcome(
                    OutcomeKind.UNKNOWN,
                    reason=f"Ayrshare's answer didn't mention {network.label}.",
                ),
            )
        return found
    _raise_for_request(raw, data, "the post")
    # A 2xx without per-network results (unreadable, or a scheduled-post shape we never ask
    # for): the post may exist, so it is looked up rather than sent again.
    raise OutcomeUnknown(UNREADABLE_2XX)


def outcomes_from_record(
    record: Mapping[str, Any], networks: Sequence[Network]
) -> dict[Network, Outcome]:
    """What a post record (GET /post/{id} or a history item) says about each network."""
    found = _entry_outcomes(record, networks, settled=True)
    status = _text(record.get("status")).lower()
    for network in networks:
        if network in found:
            continue
        if status == "deleted":
            found[network] = Outcome(
                OutcomeKind.FAILED, reason="The post was deleted at Ayrshare."
            )
        else:
            # Still pending or processing, or silent about this network: look again later.
            found[network] = Outcome(OutcomeKind.UNKNOWN)
    return found


def parse_post_record(raw: RawResponse) -> JSON | None:
    """GET /post/{id}: the post record, or None when Ayrshare has no post with that id.

    A record's own `status` is "error" when the post failed, which is an answer, not a
    failed request.
    """
    if raw.status == 404:
        return None
    data = _json(raw.body)
    if 200 <= raw.status < 300 and isinstance(data, dict) and _text(data.get("id")):
        return data
    check(raw, "looking up the post")
    raise TransientError("Ayrshare's answer to looking up the post had no post in it.")


def parse_timestamp(value: object) -> datetime | None:
    """ISO-8601 text, or a Firestore-style {_seconds, _nanoseconds} object, as aware UTC."""
    if isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if isinstance(value, dict):
        seconds = value.get("_seconds", value.get("seconds"))
        nanos = value.get("_nanoseconds", value.get("nanoseconds", 0))
        if isinstance(seconds, int | float) and not isinstance(seconds, bool):
            extra = nanos / 1e9 if isinstance(nanos, int | float) else 0.0
            return datetime.fromtimestamp(seconds + extra, UTC)
    return None


def parse_history(data: Any) -> list[JSON]:
    """The items of GET /history (`{history:[…]}`, or a bare list as older answers had)."""
    items = data.get("history") if isinstance(data, dict) else data
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def find_in_history(
    items: Iterable[Mapping[str, Any]],
    *,
    idempotency_key: str,
    text: str,
    platforms: Iterable[str],
    since: datetime,
) -> Mapping[str, Any] | None:
    """The history item of our request: by idempotencyKey when items carry it, else the
    newest item created since `since` with the same text and the same platforms."""
    wanted = set(platforms)
    best: Mapping[str, Any] | None = None
    best_created: datetime | None = None
    for item in items:
        key = _text(item.get("idempotencyKey"))
        if key:
            if key == idempotency_key:
                return item
            continue
        if _text(item.get("post")) != text.strip():
            continue
        names = item.get("platforms")
        if not isinstance(names, list) or {str(p).lower() for p in names} != wanted:
            continue
        created = parse_timestamp(item.get("created"))
        if created is None or created < since:
            continue
        if best_created is None or created > best_created:
            best, best_created = item, created
    return best


# --- profiles and users ------------------------------------------------------------------------


def parse_profile(data: Any) -> tuple[str, str]:
    """(refId, profileKey) from POST /profiles; the key is only ever returned here."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    key = _text(obj.get("profileKey"))
    if not key:
        raise PermanentError("Ayrshare created the profile but returned no profile key.")
    return _text(obj.get("refId")), key


def parse_jwt_url(data: Any) -> str:
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    url = _text(obj.get("url"))
    if not url.startswith("https://"):
        raise TransientError("Ayrshare's answer had no connect link; try again.")
    return url


def parse_user(data: Any) -> dict[str, str]:
    """Linked platforms with their display names from GET /user (none when the list is absent)."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    active = obj.get("activeSocialAccounts")
    if not isinstance(active, list):
        return {}
    names: dict[str, str] = {}
    for entry in _entries(obj, "displayNames"):
        platform = _text(entry.get("platform")).lower()
        name = _text(entry.get("displayName")) or _text(entry.get("username"))
        if platform and name:
            names.setdefault(platform, name)
    return {p.lower(): names.get(p.lower(), "") for p in active if isinstance(p, str) and p}
