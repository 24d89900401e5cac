"""Ayrshare's refusals read: which answers mean retry, refused, reconnect or a spent key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.ayrshare.wire import (
    RATE_WINDOW,
    RawResponse,
    clipped,
    entries_of,
    int_of,
    json_body,
    text_of,
)
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Network
from core.ports import OutcomeKind

DEFAULT_RETRY_AFTER = 60.0

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


def known_code(code: int | None, network: Network | None) -> tuple[OutcomeKind, str, bool] | None:
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
    detail = clipped(message).rstrip(".") or "no reason given"
    return detail + (f" (code {code})" if code is not None else "") + "."


def explain(
    code: int | None, message: str, network: Network | None
) -> tuple[OutcomeKind, str, bool]:
    """What an Ayrshare error code means for the user: (FAILED or RETRY, reason, reconnect)."""
    known = known_code(code, network)
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
    limit = int_of(headers.get("x-ratelimit-max"))
    count = int_of(headers.get("x-ratelimit-count"))
    if limit is not None and count is not None and count >= limit:
        # The window is used up and its start is not given: a whole window is the safe wait
        # (1,000 429s in 24 h get the profile suspended).
        return RATE_WINDOW
    return DEFAULT_RETRY_AFTER


def mentions_idempotency(data: Mapping[str, Any]) -> bool:
    # Content-duplicate refusals (codes 110, 137) also say "duplicate": only the key counts.
    messages = [text_of(data.get("message"))] + [
        text_of(e.get("message")) for e in entries_of(data, "errors")
    ]
    for message in messages:
        lowered = message.lower()
        if "idempotency" in lowered or "duplicate key" in lowered:
            return True
    return False


def raise_for_request(raw: RawResponse, data: Any | None, action: str) -> None:
    """Raise for a failed request as a whole; return for a 2xx answer without an error."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    code = int_of(obj.get("code"))
    message = text_of(obj.get("message"))
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
    known = known_code(code, None)
    if known is not None:
        kind, reason, reconnect = known
        if kind is OutcomeKind.RETRY:
            raise TransientError(reason)
        raise PermanentError(reason, reconnect=reconnect)
    http = f" (HTTP {status})" if status >= 300 else ""
    raise PermanentError(f"Ayrshare refused {action}{http}: {_passed_on(message, code)}")


def check(raw: RawResponse, action: str) -> Any:
    """The JSON body of a successful answer; raises a PublishError for anything else."""
    data = json_body(raw.body)
    raise_for_request(raw, data, action)
    if data is None:
        raise TransientError(f"Ayrshare's answer to {action} was unreadable; trying again later.")
    return data
