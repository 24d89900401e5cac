"""Signed invoice payloads round-trip within Telegram's 128 bytes; any edit breaks them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.invoice_payload import MAX_PAYLOAD_BYTES, BadPayload, InvoiceTerms, PayloadSigner

SIGNER = PayloadSigner(b"k" * 32)
terms = st.builds(
    InvoiceTerms,
    profile=st.integers(0, 2**31 - 1),
    plan=st.sampled_from(["pro", "free"]),
    price=st.integers(1, 100_000),
    issued=st.integers(0, 2**35),
)


@given(terms)
def test_a_payload_reads_back_as_signed(signed: InvoiceTerms) -> None:
    payload = SIGNER.sign(signed)
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    assert SIGNER.read(payload) == signed


@given(terms, st.integers(0, 200), st.characters(codec="ascii"))
def test_any_edit_is_refused(signed: InvoiceTerms, at: int, char: str) -> None:
    payload = SIGNER.sign(signed)
    at %= len(payload)
    edited = payload[:at] + char + payload[at + 1 :]
    if edited != payload:
        with pytest.raises(BadPayload):
            SIGNER.read(edited)


def test_another_key_and_short_keys_are_refused() -> None:
    payload = SIGNER.sign(InvoiceTerms(7, "pro", 250, 1_795_000_000))
    with pytest.raises(BadPayload, match="signature"):
        PayloadSigner(b"another key, 32 bytes long......").read(payload)
    with pytest.raises(ValueError):
        PayloadSigner(b"short")
