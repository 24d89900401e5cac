"""Signed invoice payloads: which profile, plan and price an in-chat invoice was made for."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from core.replies import base36

# Telegram carries the payload back in pre_checkout_query and successful_payment; it is 1-128
# bytes and never shown to the user (https://core.telegram.org/bots/api#sendinvoice).
MAX_PAYLOAD_BYTES = 128
VERSION = "p1"
_SIGNATURE_BYTES = 16  # 128 bits of HMAC-SHA256: not guessable, and the payload stays short
_FORM = re.compile(
    rf"{VERSION}\.([0-9a-z]{{1,7}})\.([a-z]{{1,12}})\.([0-9a-z]{{1,7}})\.([0-9a-z]{{1,7}})"
    r"\.([A-Za-z0-9_-]{22})"
)


@dataclass(frozen=True, slots=True)
class InvoiceTerms:
    """What an invoice sells: a plan for a profile at a price (in the invoice's currency's
    smallest unit: Stars are whole), made at `issued` (Unix seconds)."""

    profile: int
    plan: str
    price: int
    issued: int


class BadPayload(ValueError):
    """Not a payload we made: malformed, or its signature does not match."""


class PayloadSigner:
    """Makes and reads payloads `p1.<profile>.<plan>.<price>.<issued>.<signature>` (numbers
    in base 36). The HMAC key is the server's own; a payload a client edits (another
    profile, a lower price) no longer matches its signature."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("an invoice signing key needs at least 16 bytes")
        self._key = key

    def sign(self, terms: InvoiceTerms) -> str:
        if min(terms.profile, terms.price, terms.issued) < 0:
            raise ValueError("invoice numbers are not negative")
        body = ".".join(
            (
                VERSION,
                base36(terms.profile),
                terms.plan,
                base36(terms.price),
                base36(terms.issued),
            )
        )
        payload = f"{body}.{self._signature(body)}"
        assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
        return payload

    def read(self, payload: str) -> InvoiceTerms:
        """The terms `payload` was signed with; `BadPayload` when it is not ours."""
        terms = parse(payload)
        body, _, given = payload.rpartition(".")
        if not hmac.compare_digest(given, self._signature(body)):
            raise BadPayload("signature does not match")
        return terms

    def _signature(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode().rstrip("=")


def parse(payload: str) -> InvoiceTerms:
    """The terms a payload names, signature unchecked; `BadPayload` when malformed."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise BadPayload("payload too long")
    found = _FORM.fullmatch(payload)
    if found is None:
        raise BadPayload("malformed payload")
    profile, plan, price, issued = found.group(1, 2, 3, 4)
    return InvoiceTerms(int(profile, 36), plan, int(price, 36), int(issued, 36))
