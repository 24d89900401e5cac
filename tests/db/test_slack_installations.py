"""Slack installations round-trip through slack_sdk's store interface, encrypted at rest."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring, SecretError
from adapters.db.engine import make_session_factory
from adapters.db.rotate import rotate_secrets
from adapters.db.slack_installations import SqlInstallationStore

CLIENT = "1111.2222"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC).timestamp()
EXPIRES = int(T0) + 43_200  # rotation tokens live 12 hours


def _installation(
    n: int,
    *,
    team: str | None = "T1",
    user: str = "U1",
    enterprise: str | None = None,
    org_wide: bool = False,
    at: float = T0,
) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=enterprise,
        enterprise_name=None if enterprise is None else "Grid Co",
        enterprise_url=None if enterprise is None else "https://grid.enterprise.slack.com/",
        team_id=team,
        team_name=None if team is None else f"Team {team}",
        bot_token=f"xoxe.xoxb-1-bot{n}-secretbotpart",
        bot_id=f"B{n}",
        bot_user_id=f"UB{n}",
        bot_scopes=["chat:write", "commands"],
        bot_refresh_token=f"xoxe-1-botrefresh{n}-secret",
        bot_token_expires_at=EXPIRES,
        user_id=user,
        user_token=f"xoxe.xoxp-1-user{n}-secretuserpart",
        user_scopes=["files:read"],
        user_refresh_token=f"xoxe-1-userrefresh{n}-secret",
        user_token_expires_at=EXPIRES + 60,
        incoming_webhook_url=f"https://hooks.slack.com/services/T1/B1/hook{n}secret",
        incoming_webhook_channel="#social",
        incoming_webhook_channel_id="C1",
        incoming_webhook_configuration_url="https://teamt1.slack.com/services/B1",
        is_enterprise_install=org_wide,
        token_type="bot",
        installed_at=at,
    )


SECRET_FIELDS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)


def _secrets(installation: Installation) -> list[str]:
    return [getattr(installation, f) for f in SECRET_FIELDS]


@pytest.fixture
def store(engine: AsyncEngine, keyring: Keyring) -> SqlInstallationStore:
    return SqlInstallationStore(make_session_factory(engine), keyring, client_id=CLIENT)


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as c:
        value = await c.scalar(text(f"SELECT count(*) FROM {table}"))
    assert isinstance(value, int)
    return value


async def test_a_workspace_install_round_trips_with_every_field(
    store: SqlInstallationStore,
) -> None:
    saved = _installation(1)
    await store.async_save(saved)

    for found in (
        await store.async_find_installation(enterprise_id=None, team_id="T1"),
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1"),
    ):
        assert found is not None
        assert found.to_dict() == saved.to_dict()
        assert found.bot_scopes == ["chat:write", "commands"]
        assert found.bot_token_expires_at == EXPIRES
        assert found.user_token_expires_at == EXPIRES + 60
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None
    assert bot.to_dict() == saved.to_bot().to_dict()

    assert await store.async_find_installation(enterprise_id=None, team_id="T2") is None
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U2") is None
    )
    assert await store.async_find_bot(enterprise_id="E1", team_id="T1") is None
    other_app = SqlInstallationStore(store._sessions, store._keyring, client_id="9999.0000")
    assert await other_app.async_find_bot(enterprise_id=None, team_id="T1") is None


async def test_an_org_wide_install_is_found_from_any_workspace_of_the_org(
    store: SqlInstallationStore,
) -> None:
    saved = _installation(1, team=None, enterprise="E1", org_wide=True)
    await store.async_save(saved)
    for team in ("T7", "T8", None):
        found = await store.async_find_installation(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert found is not None and found.to_dict() == saved.to_dict()
        bot = await store.async_find_bot(
            enterprise_id="E1", team_id=team, is_enterprise_install=True
        )
        assert bot is not None and bot.bot_token == saved.bot_token
    assert await store.async_find_bot(enterprise_id="E2", team_id=None) is None


async def test_a_grid_workspace_install_needs_both_ids(store: SqlInstallationStore) -> None:
    saved = _installation(1, team="T1", enterprise="E1")
    await store.async_save(saved)
    found = await store.async_find_installation(enterprise_id="E1", team_id="T1")
    assert found is not None and found.to_dict() == saved.to_dict()
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot(enterprise_id="E1", team_id=None) is None


async def test_the_latest_installation_wins_and_bot_rows_stay_apart(
    store: SqlInstallationStore,
) -> None:
    await store.async_save(_installation(1, user="U1", at=T0))
    await store.async_save(_installation(2, user="U2", at=T0 + 60))
    await store.async_save(_installation(3, user="U1", at=T0 + 120))

    latest = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert latest is not None and latest.user_token == _installation(3).user_token
    u2 = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U2")
    assert u2 is not None and u2.user_id == "U2"
    assert u2.user_token == _installation(2).user_token
    # A user's older installation carries the workspace's newest bot token.
    assert u2.bot_token == _installation(3).bot_token
    assert u2.bot_refresh_token == _installation(3).bot_refresh_token
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_id == "B3"

    # A user-token-only install (no bot token) never hides the bot.
    user_only = _installation(4, user="U4", at=T0 + 180)
    user_only.bot_token = user_only.bot_refresh_token = None
    await store.async_save(user_only)
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.user_id == "U4"
    assert found.bot_token == _installation(3).bot_token
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_id == "B3"


async def test_token_rotation_updates_the_same_rows(
    store: SqlInstallationStore, engine: AsyncEngine
) -> None:
    first = _installation(1)
    await store.async_save(first)
    # What bolt's token rotator saves: a copy with the same installed_at and new tokens.
    rotated = Installation(**first.to_dict_for_copying())
    rotated.bot_token, rotated.bot_refresh_token = "xoxe.xoxb-1-rotated-bot", "xoxe-1-rot-bot"
    rotated.bot_token_expires_at = EXPIRES + 43_200
    rotated.user_token, rotated.user_refresh_token = "xoxe.xoxp-1-rotated-user", "xoxe-1-rot-u"
    rotated.user_token_expires_at = EXPIRES + 43_260
    await store.async_save(rotated)

    assert await _count(engine, "slack_installations") == 1
    assert await _count(engine, "slack_bots") == 1
    found = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert found is not None and found.to_dict() == rotated.to_dict()

    # Bot-only rotation saves the bot alone.
    bot = Bot(**rotated.to_bot().to_dict_for_copying())
    bot.bot_token, bot.bot_refresh_token = "xoxe.xoxb-1-again", "xoxe-1-again"
    bot.bot_token_expires_at = EXPIRES + 86_400
    await store.async_save_bot(bot)
    assert await _count(engine, "slack_bots") == 1
    again = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert again is not None and again.to_dict() == bot.to_dict()
    found = await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert found is not None and found.bot_token == "xoxe.xoxb-1-again"


def _context(enterprise: str | None, team: str | None) -> AsyncBoltContext:
    return AsyncBoltContext({"enterprise_id": enterprise, "team_id": team})


async def test_tokens_revoked_deletes_the_named_tokens(store: SqlInstallationStore) -> None:
    await store.async_save(_installation(1, user="U1", at=T0))
    await store.async_save(_installation(2, user="U2", at=T0 + 60))
    await store.async_save(_installation(5, team="T5", at=T0))
    listeners = AsyncTokenRevocationListeners(store)  # bolt's own handlers for these events

    # https://api.slack.com/events/tokens_revoked
    await listeners.handle_tokens_revoked_events(
        {"type": "tokens_revoked", "tokens": {"oauth": ["U1"]}}, _context(None, "T1")
    )
    assert (
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    )
    assert await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U2")
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is not None

    await listeners.handle_tokens_revoked_events(
        {"type": "tokens_revoked", "tokens": {"bot": ["UB2"]}}, _context(None, "T1")
    )
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    # The user's row keeps its user token but no copy of the revoked bot token.
    u2 = await store.async_find_installation(enterprise_id=None, team_id="T1")
    assert u2 is not None and u2.user_token == _installation(2).user_token
    assert u2.bot_token is None and u2.bot_refresh_token is None
    # Another workspace is untouched.
    t5 = await store.async_find_installation(enterprise_id=None, team_id="T5")
    assert t5 is not None and t5.bot_token == _installation(5).bot_token


async def test_app_uninstalled_deletes_the_whole_workspace(
    store: SqlInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(1, user="U1", at=T0))
    await store.async_save(_installation(2, user="U2", at=T0 + 60))
    await store.async_save(_installation(3, team=None, enterprise="E1", org_wide=True))
    await store.async_save(_installation(5, team="T5", at=T0))

    # https://api.slack.com/events/app_uninstalled
    await AsyncTokenRevocationListeners(store).handle_app_uninstalled_events(_context(None, "T1"))
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await _count(engine, "slack_installations") == 2
    assert await _count(engine, "slack_bots") == 2

    await store.async_delete_all(enterprise_id="E1", team_id=None)
    assert await store.async_find_bot(enterprise_id="E1", team_id=None) is None
    assert await store.async_find_installation(enterprise_id=None, team_id="T5") is not None


def _database_bytes(db_url: str) -> bytes:
    path = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def _all_cells(engine: AsyncEngine) -> str:
    async with engine.connect() as c:
        cells = [
            str(value)
            for table in ("slack_installations", "slack_bots")
            for row in (await c.execute(text(f"SELECT * FROM {table}"))).all()
            for value in row
        ]
    return "\n".join(cells)


async def test_no_token_is_stored_in_plain_text(
    store: SqlInstallationStore,
    engine: AsyncEngine,
    keyring: Keyring,
    db_url: str,
    db_backend: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    saved = [
        _installation(1),
        _installation(2, team=None, enterprise="E1", org_wide=True),
        _installation(3, user="U3", at=T0 + 1),
    ]
    for installation in saved:
        await store.async_save(installation)
        await store.async_find_installation(enterprise_id=None, team_id="T1", user_id="U3")
    secrets = [s for i in saved for s in _secrets(i)]

    cells = await _all_cells(engine)
    assert f"v1.{keyring.primary_key_id}." in cells and "Team T1" in cells
    for secret in secrets:
        assert secret not in cells
        assert secret not in caplog.text
    assert "secret" not in repr(store)
    if db_backend == "sqlite":
        await engine.dispose()
        raw = _database_bytes(db_url)
        assert b"Team T1" in raw  # the rows are really in these bytes...
        for secret in secrets:
            assert secret.encode() not in raw  # ...but no token is
            assert secret.encode("utf-16-le") not in raw
        assert b"secret" not in raw  # nor any recognisable part of one


async def test_an_unreadable_token_names_its_row_not_the_token(
    store: SqlInstallationStore, engine: AsyncEngine
) -> None:
    await store.async_save(_installation(1, user="U1", at=T0))
    await store.async_save(_installation(2, team="T2", at=T0))
    async with engine.connect() as c:
        rows = (
            await c.execute(
                text(
                    "SELECT id, team_id, user_token_ciphertext"
                    " FROM slack_installations ORDER BY id"
                )
            )
        ).all()
    (t1_id, _, t1_sealed), (t2_id, _, _) = rows

    # Tampered data.
    head, payload = t1_sealed.rsplit(".", 1)
    flipped = payload[:-5] + ("A" if payload[-5] != "A" else "B") + payload[-4:]
    async with engine.begin() as c:
        await c.execute(
            text("UPDATE slack_installations SET user_token_ciphertext = :v WHERE id = :i"),
            {"v": f"{head}.{flipped}", "i": t1_id},
        )
    with pytest.raises(SecretError) as caught:
        await store.async_find_installation(enterprise_id=None, team_id="T1")
    message = str(caught.value)
    assert f"slack_installations row {t1_id}" in message
    assert "team T1" in message and "user_token" in message
    assert "wrong key or tampered data" in message
    for secret in _secrets(_installation(1)):
        assert secret not in message

    # An intact ciphertext moved to another row does not decrypt there (the AAD names the row).
    async with engine.begin() as c:
        await c.execute(
            text("UPDATE slack_installations SET user_token_ciphertext = :v WHERE id = :i"),
            {"v": t1_sealed, "i": t2_id},
        )
    with pytest.raises(SecretError, match=f"slack_installations row {t2_id}"):
        await store.async_find_installation(enterprise_id=None, team_id="T2")

    # A key the keyring does not hold.
    stranger = SqlInstallationStore(
        store._sessions, Keyring({"other": os.urandom(32)}), client_id=CLIENT
    )
    with pytest.raises(SecretError, match=r"slack_bots row \d+ .* bot_token: .*unknown key id"):
        await stranger.async_find_bot(enterprise_id=None, team_id="T1")


async def test_key_rotation_re_encrypts_slack_tokens(engine: AsyncEngine) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    sessions = make_session_factory(engine)
    old = SqlInstallationStore(sessions, Keyring({"k0": old_key}), client_id=CLIENT)
    saved = _installation(1)
    await old.async_save(saved)

    rotated = Keyring({"k1": new_key, "k0": old_key})
    assert await rotate_secrets(sessions, rotated) == 5 + 2  # installation row + bot row
    assert await rotate_secrets(sessions, rotated) == 0
    assert "v1.k0." not in await _all_cells(engine)

    only_new = SqlInstallationStore(sessions, Keyring({"k1": new_key}), client_id=CLIENT)
    found = await only_new.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None and found.to_dict() == saved.to_dict()
