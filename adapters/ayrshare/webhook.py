"""Ayrshare's `social` webhook: the delivery's HMAC checked, its body read as link events.

Ayrshare signs each delivery with an HMAC-SHA256 of the payload keyed by the profile's signing
secret, and during a rotation with both the old and the new secret for 24 hours
(https://www.ayrshare.com/docs/apis/webhooks/rotate-signing-secret). The signature travels
hex-encoded in `X-Authorization-Content-SHA256`, the second one of a rotation in
`X-Authorization-Content-SHA256-V2` (https://www.ayrshare.com/docs/apis/webhooks/overview).
We accept a delivery when any value of either header matches (comma-separated values, a
`sha256=` or `v1=` prefix and base64 instead of hex are accepted too, as other senders write
them). The body of a `social` action (https://docs.ayrshare.com/rest-api/endpoints/webhooks)
names the User Profile by `refId`, the
`platform`, the `type` (link, unlink, refresh), the `source` ("system" when Ayrshare or the
network did it, "user" otherwise), and for refresh the date to renew by (`refreshBy`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from adapters.ayrshare.records import parse_timestamp
from adapters.ayrshare.wire import json_body, network_of, text_of
from core.lifecycle_ports import LinkEvent, LinkEventKind

__all__ = ["MAX_BODY", "SIGNATURE_HEADERS", "delivery_key", "parse_social", "sign", "verify"]

SIGNATURE_HEADERS = ("x-authorization-content-sha256", "x-authorization-content-sha256-v2")
MAX_BODY = 64 * 1024  # a social event is a few hundred bytes


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of `body` under `secret`, as Ayrshare sends it."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """Whether a signature header carries the body's HMAC under `secret` (constant time)."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    for name in SIGNATURE_HEADERS:
        for value in headers.get(name, "").split(","):
            given = _digest_of(value.strip())
            if given is not None and hmac.compare_digest(given, expected):
                return True
    return False


def _digest_of(value: str) -> bytes | None:
    for prefix in ("sha256=", "v1="):
        value = value.removeprefix(prefix)
    if len(value) == 64:
        try:
            return bytes.fromhex(value)
        except ValueError:
            return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def delivery_key(body: bytes) -> int:
    """The delivery's id for taking it once: Ayrshare re-sends the same body when it retries,
    and a replay is the same body, so 63 bits of its SHA-256 (a BIGINT column)."""
    return int.from_bytes(hashlib.sha256(body).digest()[:8], "big") >> 1


def parse_social(body: bytes) -> LinkEvent | None:
    """The link event of a `social` delivery; None for other actions, other platforms, or
    a body that is not one (ValueError when it is not a JSON object at all)."""
    data: Any = json_body(body)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if text_of(data.get("action")).lower() != "social":
        return None
    try:
        kind = LinkEventKind(text_of(data.get("type")).lower())
    except ValueError:
        return None
    network = network_of(text_of(data.get("platform")))
    ref = text_of(data.get("refId"))
    if network is None or not ref:
        return None
    details = data.get("details")
    name = text_of(data.get("displayName"))
    if not name and isinstance(details, dict):
        name = text_of(details.get("displayName"))
    return LinkEvent(
        account_ref=ref,
        network=network,
        kind=kind,
        by_system=text_of(data.get("source")).lower() == "system",
        display_name=name,
        renew_by=parse_timestamp(data.get("refreshBy")),
    )
