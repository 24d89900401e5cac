"""Tests for adapters.db.cipher: AES-256-GCM secrets at rest with rotating key ids."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from adapters.db.cipher import (
    Keyring,
    SecretError,
    generate_key_spec,
    key_id_of,
    load_or_create_sandbox_keyfile,
)

AAD = "profiles:42:ayrshare_key"
SECRET = "sk_live_ünïcode_✅_0123456789"


def _b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def _keyring(*ids: str) -> tuple[Keyring, dict[str, bytes]]:
    keys = {key_id: os.urandom(32) for key_id in ids}
    spec = ",".join(f"{key_id}:{_b64(key)}" for key_id, key in keys.items())
    return Keyring.parse(spec), keys


def test_round_trip() -> None:
    ring, _ = _keyring("k1")
    token = ring.encrypt(SECRET, aad=AAD)
    assert token.startswith("v1.k1.")
    assert SECRET not in token
    assert ring.decrypt(token, aad=AAD) == SECRET
    assert ring.decrypt(ring.encrypt("", aad=AAD), aad=AAD) == ""


def test_fresh_nonce_each_time() -> None:
    ring, _ = _keyring("k1")
    tokens = {ring.encrypt(SECRET, aad=AAD) for _ in range(20)}
    assert len(tokens) == 20
    nonces = {base64.urlsafe_b64decode(t.split(".")[2] + "==")[:12] for t in tokens}
    assert len(nonces) == 20


def test_aad_mismatch_fails() -> None:
    ring, _ = _keyring("k1")
    token = ring.encrypt(SECRET, aad=AAD)
    with pytest.raises(SecretError, match="wrong key or tampered data"):
        ring.decrypt(token, aad="profiles:43:ayrshare_key")


def test_tampered_token_fails() -> None:
    ring, _ = _keyring("k1")
    token = ring.encrypt(SECRET, aad=AAD)
    prefix, payload = token.rsplit(".", 1)
    blob = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    for index in (0, 12, len(blob) - 1):  # nonce, ciphertext, tag
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        bad = prefix + "." + base64.urlsafe_b64encode(bytes(tampered)).decode().rstrip("=")
        with pytest.raises(SecretError) as info:
            ring.decrypt(bad, aad=AAD)
        assert "wrong key or tampered data" in str(info.value)
        assert SECRET not in str(info.value)


def test_relabelled_key_id_fails() -> None:
    # Same key material under two ids: moving a token to the other id must not verify.
    key = os.urandom(32)
    ring = Keyring({"k1": key, "k2": key})
    token = ring.encrypt(SECRET, aad=AAD)
    relabelled = token.replace("v1.k1.", "v1.k2.", 1)
    with pytest.raises(SecretError, match="wrong key or tampered data"):
        ring.decrypt(relabelled, aad=AAD)


def test_wrong_key_fails() -> None:
    ring_a = Keyring({"k1": os.urandom(32)})
    ring_b = Keyring({"k1": os.urandom(32)})
    with pytest.raises(SecretError, match="wrong key or tampered data"):
        ring_b.decrypt(ring_a.encrypt(SECRET, aad=AAD), aad=AAD)


def test_unknown_key_id_names_the_id() -> None:
    old, _ = _keyring("k0")
    new, _ = _keyring("k1")
    token = old.encrypt(SECRET, aad=AAD)
    with pytest.raises(SecretError) as info:
        new.decrypt(token, aad=AAD)
    assert str(info.value) == (
        "secret encrypted with unknown key id 'k0'; add it to POSTROOM_SECRET_KEYS"
    )


@pytest.mark.parametrize(
    "token",
    ["", "plaintext", "v1.k1", "v2.k1.AAAA", "v1.k.1.AAAA", "v1.k1.!!!!", "v1.k1.AAAA", "v1..AA"],
)
def test_malformed_token(token: str) -> None:
    ring, _ = _keyring("k1")
    with pytest.raises(SecretError, match="malformed secret"):
        ring.decrypt(token, aad=AAD)
    with pytest.raises(SecretError, match="malformed secret"):
        key_id_of(token)


def test_rotation() -> None:
    old_ring, keys = _keyring("k0")
    token = old_ring.encrypt(SECRET, aad=AAD)

    new_key = os.urandom(32)
    rotated = Keyring.parse(f"k1:{_b64(new_key)},k0:{_b64(keys['k0'])}")
    assert rotated.primary_key_id == "k1"
    assert rotated.key_ids == ("k1", "k0")
    assert rotated.decrypt(token, aad=AAD) == SECRET
    assert key_id_of(token) == "k0"
    assert Keyring.key_id_of(token) == "k0"
    assert rotated.needs_rotation(token)

    fresh = rotated.encrypt(SECRET, aad=AAD)
    assert key_id_of(fresh) == "k1"
    assert not rotated.needs_rotation(fresh)

    moved = rotated.reencrypt(token, aad=AAD)
    assert key_id_of(moved) == "k1"
    assert rotated.decrypt(moved, aad=AAD) == SECRET
    assert rotated.reencrypt(moved, aad=AAD) == moved


def test_urlsafe_and_unpadded_keys_accepted() -> None:
    key = bytes(range(200, 232))  # encodes with '-' / '_' in the urlsafe alphabet
    urlsafe = base64.urlsafe_b64encode(key).decode()
    assert "-" in urlsafe or "_" in urlsafe
    for encoded in (urlsafe, urlsafe.rstrip("="), _b64(key), _b64(key).rstrip("=")):
        ring = Keyring.parse(f" a:{encoded} ")
        assert ring.primary_key_id == "a"
    token = Keyring.parse(f"a:{urlsafe}").encrypt(SECRET, aad=AAD)
    assert Keyring.parse(f"a:{_b64(key)}").decrypt(token, aad=AAD) == SECRET


KEY_MATERIAL = _b64(b"\x07" * 32)


@pytest.mark.parametrize(
    ("spec", "secret_part", "expected"),
    [
        ("", None, "empty"),
        ("   ", None, "empty"),
        ("k1:" + KEY_MATERIAL + ",", KEY_MATERIAL, "entry 2 is empty"),
        (KEY_MATERIAL, KEY_MATERIAL, "not of the form"),
        ("k1:", None, "not of the form"),
        ("k1:not*base64!!", "not*base64!!", "not valid base64"),
        ("k1:" + KEY_MATERIAL.rstrip("=") + "AA", KEY_MATERIAL[:-1], "not valid base64"),
        ("k1:AAAA=AAAA", None, "not valid base64"),
        ("k1:" + _b64(b"\x07" * 16), _b64(b"\x07" * 16), "16 bytes"),
        ("k1:" + _b64(b"\x07" * 33), _b64(b"\x07" * 33), "33 bytes"),
        ("bad.id:" + KEY_MATERIAL, KEY_MATERIAL, "key id must be"),
        ("x" * 33 + ":" + KEY_MATERIAL, KEY_MATERIAL, "key id must be"),
        (":" + KEY_MATERIAL, KEY_MATERIAL, "key id must be"),
        ("k1:" + KEY_MATERIAL + ",k1:" + KEY_MATERIAL, KEY_MATERIAL, "duplicate key id 'k1'"),
    ],
)
def test_malformed_specs(spec: str, secret_part: str | None, expected: str) -> None:
    with pytest.raises(ValueError, match=expected) as info:
        Keyring.parse(spec)
    message = str(info.value)
    assert "POSTROOM_SECRET_KEYS" in message
    if secret_part:
        assert secret_part not in message
        assert secret_part.rstrip("=")[:8] not in message


def test_keyring_rejects_bad_raw_keys() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        Keyring({})
    with pytest.raises(ValueError, match="32 bytes"):
        Keyring({"k1": b"short"})
    with pytest.raises(ValueError, match="invalid key id"):
        Keyring({"k 1": os.urandom(32)})


def test_repr_hides_key_material() -> None:
    key = os.urandom(32)
    ring = Keyring({"k1": key})
    assert repr(ring) == "Keyring(key_ids=['k1'])"
    assert _b64(key) not in repr(ring)


def test_aad_is_required() -> None:
    ring, _ = _keyring("k1")
    with pytest.raises(ValueError, match="aad"):
        ring.encrypt(SECRET, aad="")


def test_generate_key_spec() -> None:
    spec = generate_key_spec("k9")
    key_id, _, encoded = spec.partition(":")
    assert key_id == "k9"
    assert len(base64.urlsafe_b64decode(encoded)) == 32
    assert generate_key_spec("k9") != spec
    ring = Keyring.parse(spec)
    assert ring.decrypt(ring.encrypt(SECRET, aad=AAD), aad=AAD) == SECRET
    with pytest.raises(ValueError):
        generate_key_spec("no.dots")


def test_sandbox_keyfile_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "nested" / "secret.keys"
    spec = load_or_create_sandbox_keyfile(path)
    assert path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Keyring.parse(spec).primary_key_id == "sandbox"

    assert load_or_create_sandbox_keyfile(path) == spec
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_sandbox_keyfile_invalid_content(tmp_path: Path) -> None:
    path = tmp_path / "secret.keys"
    path.write_text("garbage\n")
    with pytest.raises(ValueError, match="sandbox key file"):
        load_or_create_sandbox_keyfile(path)
