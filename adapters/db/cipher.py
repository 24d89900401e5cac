"""AES-256-GCM encryption of secrets at rest, with key ids so keys can rotate."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "ENV_VAR",
    "SANDBOX_KEY_ID",
    "TOKEN_VERSION",
    "Keyring",
    "SecretError",
    "generate_key_spec",
    "key_id_of",
    "load_or_create_sandbox_keyfile",
]

ENV_VAR = "POSTROOM_SECRET_KEYS"
TOKEN_VERSION = "v1"
SANDBOX_KEY_ID = "sandbox"

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM's standard nonce size
TAG_BYTES = 16

_KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_KEY_ID_RULE = "1-32 characters from A-Z a-z 0-9 _ -"
_B64_RE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


class SecretError(Exception):
    """A stored secret cannot be decrypted. The message is meant for an operator and never
    contains plaintext, ciphertext or key material."""


def _is_key_id(key_id: str) -> bool:
    return _KEY_ID_RE.fullmatch(key_id) is not None


def _aad_bytes(aad: str, key_id: str) -> bytes:
    # Binds the ciphertext to its place (table:row:column) and to the key id in its label,
    # so a token can be neither copied to another row nor relabelled with another key id.
    # Key ids never contain NUL, so the encoding is unambiguous.
    return f"{TOKEN_VERSION}\x00{key_id}\x00{aad}".encode()


def _check_aad(aad: str) -> None:
    if not aad:
        raise ValueError("aad must name where the secret is stored, e.g. 'profiles:42:api_key'")


def _split_token(token: str) -> tuple[str, bytes]:
    """Return (key_id, nonce + ciphertext + tag) or raise SecretError('malformed secret ...')."""
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != TOKEN_VERSION:
        raise SecretError(f"malformed secret (expected '{TOKEN_VERSION}.<key id>.<data>')")
    _, key_id, payload = parts
    if not _is_key_id(key_id):
        raise SecretError("malformed secret (invalid key id)")
    if _B64URL_RE.fullmatch(payload) is None:
        raise SecretError("malformed secret (data is not base64url)")
    try:
        blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise SecretError("malformed secret (data is not base64url)") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise SecretError("malformed secret (data too short)")
    return key_id, blob


def key_id_of(token: str) -> str:
    """The id of the key that encrypted ``token``; SecretError if the token is malformed."""
    return _split_token(token)[0]


def _decode_key(value: str) -> bytes | None:
    """Decode standard or urlsafe base64 (padding optional); None when it is not base64."""
    if _B64_RE.fullmatch(value) is None:
        return None
    normalised = value.rstrip("=").replace("-", "+").replace("_", "/")
    normalised += "=" * (-len(normalised) % 4)
    try:
        return base64.b64decode(normalised, validate=True)
    except (binascii.Error, ValueError):
        return None


class Keyring:
    """Ordered AES-256-GCM keys: the first one encrypts, every one can decrypt.

    Raw key bytes are handed to AESGCM and not kept on the instance, and neither ``repr``
    nor any error message shows them.
    """

    __slots__ = ("_aeads", "_primary")

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        aeads: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not _is_key_id(key_id):
                raise ValueError(f"invalid key id: key ids are {_KEY_ID_RULE}")
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be exactly {KEY_BYTES} bytes (AES-256)")
            aeads[key_id] = AESGCM(bytes(key))
        self._aeads = aeads
        self._primary = next(iter(aeads))

    @classmethod
    def parse(cls, spec: str) -> Keyring:
        """Parse the ``POSTROOM_SECRET_KEYS`` format: comma-separated ``id:base64key``.

        The first entry encrypts new secrets; all entries decrypt. Keys are 32 bytes,
        base64 encoded (standard or urlsafe alphabet, padding optional).
        """
        if not spec.strip():
            raise ValueError(f"{ENV_VAR} is empty; expected comma-separated 'id:base64key'")
        keys: dict[str, bytes] = {}
        for number, raw in enumerate(spec.split(","), start=1):
            entry = raw.strip()
            where = f"{ENV_VAR} entry {number}"
            if not entry:
                raise ValueError(f"{where} is empty (stray comma?)")
            key_id, sep, encoded = entry.partition(":")
            key_id, encoded = key_id.strip(), encoded.strip()
            if not sep or not encoded:
                raise ValueError(f"{where} is not of the form 'id:base64key'")
            if not _is_key_id(key_id):
                raise ValueError(f"{where}: key id must be {_KEY_ID_RULE}")
            if key_id in keys:
                raise ValueError(f"{where}: duplicate key id {key_id!r}")
            key = _decode_key(encoded)
            if key is None:
                raise ValueError(f"{where} (key id {key_id!r}): key is not valid base64")
            if len(key) != KEY_BYTES:
                raise ValueError(
                    f"{where} (key id {key_id!r}): key decodes to {len(key)} bytes; "
                    f"AES-256 needs exactly {KEY_BYTES}"
                )
            keys[key_id] = key
        return cls(keys)

    @property
    def primary_key_id(self) -> str:
        """The id of the key that encrypts new secrets."""
        return self._primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._aeads)

    def __repr__(self) -> str:
        return f"Keyring(key_ids={list(self._aeads)!r})"

    def encrypt(self, plaintext: str, *, aad: str) -> str:
        """Encrypt with the primary key. ``aad`` names the secret's place, e.g.
        ``"profiles:42:ayrshare_key"`` (table:row id:column); decrypt needs the same."""
        _check_aad(aad)
        key_id = self._primary
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aeads[key_id].encrypt(nonce, plaintext.encode(), _aad_bytes(aad, key_id))
        payload = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_VERSION}.{key_id}.{payload}"

    def decrypt(self, token: str, *, aad: str) -> str:
        """Decrypt a token made by :meth:`encrypt` with the same ``aad``.

        Raises SecretError for a malformed token, an unknown key id, or a wrong key,
        wrong aad or tampered data.
        """
        _check_aad(aad)
        key_id, blob = _split_token(token)
        aead = self._aeads.get(key_id)
        if aead is None:
            raise SecretError(
                f"secret encrypted with unknown key id {key_id!r}; add it to {ENV_VAR}"
            )
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            plaintext = aead.decrypt(nonce, sealed, _aad_bytes(aad, key_id))
        except InvalidTag:
            raise SecretError(
                "secret could not be decrypted (wrong key or tampered data)"
            ) from None
        try:
            return plaintext.decode()
        except UnicodeDecodeError:
            raise SecretError("malformed secret (plaintext is not UTF-8)") from None

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was encrypted with a key other than the primary one."""
        return key_id_of(token) != self._primary

    def reencrypt(self, token: str, *, aad: str) -> str:
        """Re-encrypt ``token`` under the primary key (returned unchanged if it already is)."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, aad=aad), aad=aad)

    @staticmethod
    def key_id_of(token: str) -> str:
        """Same as the module-level :func:`key_id_of`."""
        return _split_token(token)[0]


def generate_key_spec(key_id: str) -> str:
    """A fresh random key as a ``POSTROOM_SECRET_KEYS`` entry: ``id:base64key``."""
    if not _is_key_id(key_id):
        raise ValueError(f"invalid key id: key ids are {_KEY_ID_RULE}")
    key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    return f"{key_id}:{base64.urlsafe_b64encode(key).decode('ascii')}"


def _read_keyfile(path: Path) -> str:
    spec = path.read_text(encoding="utf-8").strip()
    try:
        Keyring.parse(spec)
    except ValueError as exc:
        raise ValueError(f"sandbox key file {path} is invalid: {exc}") from None
    return spec


def load_or_create_sandbox_keyfile(path: Path) -> str:
    """Return the key spec stored in ``path``, creating it (mode 0600) with a fresh key
    if it does not exist yet. For the sandbox only: production sets POSTROOM_SECRET_KEYS."""
    if path.exists():
        return _read_keyfile(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = generate_key_spec(SANDBOX_KEY_ID)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except FileExistsError:  # another process created it first
        return _read_keyfile(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(spec + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return spec
