"""Ayrshare's post answers, history records and profiles read into core's terms."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.ayrshare.refusals import (
    UNREADABLE_2XX,
    DuplicateRequest,
    check,
    explain,
    mentions_idempotency,
    raise_for_request,
)
from adapters.ayrshare.wire import (
    JSON,
    RawResponse,
    entries_of,
    int_of,
    json_body,
    network_of,
    text_of,
)
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Network
from core.ports import Outcome, OutcomeKind


def _entry_outcomes(
    data: Mapping[str, Any], networks: Iterable[Network], *, settled: bool
) -> dict[Network, Outcome]:
    """Outcomes for the networks named in `postIds[]` (published) and `errors[]` (refused)."""
    wanted = set(networks)
    provider_id = text_of(data.get("id")) or None
    found: dict[Network, Outcome] = {}
    for entry in entries_of(data, "postIds"):
        network = network_of(entry.get("platform"))
        if network not in wanted or network is None or entry.get("status", "success") != "success":
            continue
        native = text_of(entry.get("id"))
        found[network] = Outcome(
            OutcomeKind.PUBLISHED,
            url=text_of(entry.get("postUrl")) or None,
            # TikTok answers id "pending" until it has processed the video.
            external_id=native if native and native != "pending" else None,
            provider_post_id=provider_id,
        )
    for entry in entries_of(data, "errors"):
        network = network_of(entry.get("platform"))
        if network not in wanted or network is None or network in found:
            continue
        kind, reason, reconnect = explain(
            int_of(entry.get("code")), text_of(entry.get("message")), network
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
    data = json_body(raw.body)
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    if raw.status == 409 or (
        (raw.status >= 400 or obj.get("status") == "error") and mentions_idempotency(obj)
    ):
        raise DuplicateRequest(
            "Ayrshare already has a request with this idempotency key; it will be looked up."
        )
    if entries_of(obj, "postIds") or entries_of(obj, "errors"):
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
    raise_for_request(raw, data, "the post")
    # A 2xx without per-network results (unreadable, or a scheduled-post shape we never ask
    # for): the post may exist, so it is looked up rather than sent again.
    raise OutcomeUnknown(UNREADABLE_2XX)


def outcomes_from_record(
    record: Mapping[str, Any], networks: Sequence[Network]
) -> dict[Network, Outcome]:
    """What a post record (GET /post/{id} or a history item) says about each network."""
    found = _entry_outcomes(record, networks, settled=True)
    status = text_of(record.get("status")).lower()
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
    data = json_body(raw.body)
    if 200 <= raw.status < 300 and isinstance(data, dict) and text_of(data.get("id")):
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
        key = text_of(item.get("idempotencyKey"))
        if key:
            if key == idempotency_key:
                return item
            continue
        if text_of(item.get("post")) != text.strip():
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


def parse_profile(data: Any) -> tuple[str, str]:
    """(refId, profileKey) from POST /profiles; the key is only ever returned here."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    key = text_of(obj.get("profileKey"))
    if not key:
        raise PermanentError("Ayrshare created the profile but returned no profile key.")
    return text_of(obj.get("refId")), key


def parse_jwt_url(data: Any) -> str:
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    url = text_of(obj.get("url"))
    if not url.startswith("https://"):
        raise TransientError("Ayrshare's answer had no connect link; try again.")
    return url


@dataclass(frozen=True, slots=True)
class UserLink:
    """One linked platform of GET /user: its name, and when the network makes the link end
    (LinkedIn's 60 days): `refreshDaysRemaining`, or a `refreshRequired` date."""

    display_name: str = ""
    refresh_days: int | None = None
    refresh_by: datetime | None = None


def parse_user(data: Any) -> dict[str, str]:
    """Linked platforms with their display names from GET /user (none when the list is absent)."""
    return {p: link.display_name for p, link in parse_links(data).items()}


def parse_links(data: Any) -> dict[str, UserLink]:
    """Linked platforms of GET /user (https://www.ayrshare.com/docs/apis/user/profile-details):
    `activeSocialAccounts` names them, `displayNames[]` details each. Ends are read from
    `refreshDaysRemaining` (a number, or digits as text) or `refreshRequired` (a date, ISO or
    {_seconds}), both seen on entries; a list with neither means no known end."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    active = obj.get("activeSocialAccounts")
    if not isinstance(active, list):
        return {}
    details: dict[str, UserLink] = {}
    for entry in entries_of(obj, "displayNames"):
        platform = text_of(entry.get("platform")).lower()
        if not platform or platform in details:
            continue
        name = text_of(entry.get("displayName")) or text_of(entry.get("username"))
        details[platform] = UserLink(
            name,
            _days_of(entry.get("refreshDaysRemaining")),
            parse_timestamp(entry.get("refreshRequired")),
        )
    return {
        p.lower(): details.get(p.lower(), UserLink()) for p in active if isinstance(p, str) and p
    }


def _days_of(value: object) -> int | None:
    """A day count as a number or as text ("12", "12.0"); negatives are 0, nonsense None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return max(int(value), 0)
    return None
