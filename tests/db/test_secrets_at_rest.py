"""Provider account keys are encrypted in the database file and fail loudly when unreadable."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring, SecretError
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.rotate import rotate_secrets
from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import AccountKey, ChatPlatform, Identity, Route, Secret, Tier

TOKEN = "AX1XGG-9jK3M5LS-GR5RX5G-LLCK8EA"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ALICE = Identity(ChatPlatform.TELEGRAM, "1001")
BOB = Identity(ChatPlatform.TELEGRAM, "1002")


async def _save_account(factory: SqlUnitOfWorkFactory, identity: Identity, key: str) -> int:
    async with factory() as u:
        profile = await u.profiles.create(
            identity, tier=Tier.FREE, timezone="UTC", display_name="", now=NOW
        )
        profile.accounts[Route.AYRSHARE] = AccountKey(f"ref-{identity.user}", Secret(key))
        await u.profiles.save(profile)
        await u.commit()
    return profile.id


async def _stored_ciphertext(engine: AsyncEngine, profile_id: int) -> str:
    async with engine.connect() as c:
        value = await c.scalar(
            text("SELECT key_ciphertext FROM provider_accounts WHERE profile_id = :p"),
            {"p": profile_id},
        )
    assert isinstance(value, str)
    return value


async def _key(factory: SqlUnitOfWorkFactory, profile_id: int) -> str:
    async with factory() as u:
        profile = await u.profiles.get(profile_id)
    assert profile is not None
    return profile.accounts[Route.AYRSHARE].key.value


def _database_bytes(db_url: str) -> bytes:
    path = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def test_the_key_is_not_in_the_database_file(
    engine: AsyncEngine,
    uow_factory: SqlUnitOfWorkFactory,
    keyring: Keyring,
    db_url: str,
    db_backend: str,
) -> None:
    if db_backend != "sqlite":
        pytest.skip("reads the SQLite database file")
    profile_id = await _save_account(uow_factory, ALICE, TOKEN)
    assert await _key(uow_factory, profile_id) == TOKEN
    stored = await _stored_ciphertext(engine, profile_id)
    assert stored.startswith(f"v1.{keyring.primary_key_id}.")
    await engine.dispose()

    raw = _database_bytes(db_url)
    assert stored.encode() in raw  # the row is really in these bytes...
    assert b"ref-1001" in raw
    for form in (TOKEN, TOKEN.lower(), TOKEN.replace("-", "")):
        assert form.encode() not in raw  # ...but the key is not
    assert TOKEN.encode("utf-16-le") not in raw


async def test_an_unknown_key_id_stops_loading_with_an_operator_message(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    profile_id = await _save_account(uow_factory, ALICE, TOKEN)
    stranger = SqlUnitOfWorkFactory(
        make_session_factory(engine), Keyring({"other": os.urandom(32)})
    )
    with pytest.raises(SecretError) as caught:
        async with stranger() as u:
            await u.profiles.get(profile_id)
    message = str(caught.value)
    assert "unknown key id 'test'" in message
    assert "POSTROOM_SECRET_KEYS" in message
    assert f"profile {profile_id}" in message
    assert TOKEN not in message
    with pytest.raises(SecretError):
        async with stranger() as u:
            await u.profiles.by_identity(ALICE)


async def test_tampered_or_moved_ciphertext_is_refused(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    alice = await _save_account(uow_factory, ALICE, TOKEN)
    bob = await _save_account(uow_factory, BOB, "bobs-own-key")
    stored = await _stored_ciphertext(engine, alice)

    # One flipped character in the sealed data.
    head, payload = stored.rsplit(".", 1)
    flipped = payload[:-5] + ("A" if payload[-5] != "A" else "B") + payload[-4:]
    async with engine.begin() as c:
        await c.execute(
            text("UPDATE provider_accounts SET key_ciphertext = :v WHERE profile_id = :p"),
            {"v": f"{head}.{flipped}", "p": alice},
        )
    with pytest.raises(SecretError, match="wrong key or tampered data"):
        await _key(uow_factory, alice)

    # Alice's intact ciphertext copied into Bob's row does not decrypt there (aad binds it).
    async with engine.begin() as c:
        await c.execute(
            text("UPDATE provider_accounts SET key_ciphertext = :v WHERE profile_id = :p"),
            {"v": stored, "p": bob},
        )
    with pytest.raises(SecretError, match="wrong key or tampered data"):
        await _key(uow_factory, bob)


async def test_rotation_moves_keys_to_the_new_primary(engine: AsyncEngine, db_url: str) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    old = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"k0": old_key}))
    alice = await _save_account(old, ALICE, TOKEN)
    bob = await _save_account(old, BOB, "bobs-own-key")

    rotated = Keyring({"k1": new_key, "k0": old_key})
    # Either a unit-of-work factory or a plain session maker will do.
    both = SqlUnitOfWorkFactory(old.session_factory, rotated)
    assert await rotate_secrets(both, rotated) == 2
    assert await rotate_secrets(old.session_factory, rotated) == 0  # nothing left to do
    for profile_id in (alice, bob):
        assert (await _stored_ciphertext(engine, profile_id)).startswith("v1.k1.")

    # The old key can now be retired: the new one alone reads everything.
    await engine.dispose()
    reopened = make_engine(db_url)
    try:
        only_new = SqlUnitOfWorkFactory(make_session_factory(reopened), Keyring({"k1": new_key}))
        assert await _key(only_new, alice) == TOKEN
        assert await _key(only_new, bob) == "bobs-own-key"
    finally:
        await reopened.dispose()


async def test_saving_an_unchanged_key_keeps_its_ciphertext(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    profile_id = await _save_account(uow_factory, ALICE, TOKEN)
    before = await _stored_ciphertext(engine, profile_id)
    async with uow_factory() as u:
        profile = await u.profiles.get(profile_id)
        assert profile is not None
        profile.display_name = "renamed"
        await u.profiles.save(profile)
        await u.commit()
    assert await _stored_ciphertext(engine, profile_id) == before
    async with uow_factory() as u:
        profile = await u.profiles.get(profile_id)
        assert profile is not None
        profile.accounts[Route.AYRSHARE] = AccountKey("ref-1001", Secret("a-new-key"))
        await u.profiles.save(profile)
        await u.commit()
    assert await _stored_ciphertext(engine, profile_id) != before
    assert await _key(uow_factory, profile_id) == "a-new-key"


async def test_rotation_stops_at_an_unreadable_secret(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory, keyring: Keyring
) -> None:
    profile_id = await _save_account(uow_factory, ALICE, TOKEN)
    stranger = Keyring({"new": os.urandom(32)})  # lacks the key that encrypted it
    with pytest.raises(SecretError, match=f"profile {profile_id}.*unknown key id 'test'"):
        await rotate_secrets(uow_factory, stranger)
    stored = await _stored_ciphertext(engine, profile_id)
    assert keyring.decrypt(stored, aad=f"provider_accounts:{profile_id}:ayrshare:key") == TOKEN
