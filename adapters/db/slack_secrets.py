"""Where Slack secrets live in their rows, and their re-encryption when keys rotate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.cipher import Keyring, SecretError
from adapters.db.slack_tables import SlackBotRow, SlackInstallationRow

# Apart from the store, which imports slack_sdk: key rotation runs from the CLI, and a started
# bot loads no Slack library it does not use (tests/e2e/test_lean_start.py).

SlackRow = SlackInstallationRow | SlackBotRow

# Secret fields of slack_sdk's models; each is stored in the column `<field>_ciphertext`.
BOT_SECRETS = ("bot_token", "bot_refresh_token")
INSTALLATION_SECRETS = (*BOT_SECRETS, "user_token", "user_refresh_token", "incoming_webhook_url")


def secret_aad(row: SlackRow, field: str) -> str:
    """Where a Slack secret is stored (table:row id:field); binds its ciphertext there."""
    return f"{row.__tablename__}:{row.id}:{field}"


def secrets_of(row: SlackRow) -> tuple[str, ...]:
    return INSTALLATION_SECRETS if isinstance(row, SlackInstallationRow) else BOT_SECRETS


def describe(row: SlackRow, field: str) -> str:
    """Names a secret's row for an operator, never its value."""
    where = f"enterprise {row.enterprise_id or '-'}, team {row.team_id or '-'}"
    return f"{row.__tablename__} row {row.id} ({where}) column {field}"


async def rotate_slack_secrets(session: AsyncSession, keyring: Keyring) -> int:
    """Re-encrypt every Slack secret not under the primary key; returns how many changed.
    Runs in the caller's transaction; SecretError names the row and column."""
    changed = 0
    tables: tuple[type[SlackRow], ...] = (SlackInstallationRow, SlackBotRow)
    for table in tables:
        rows: Any = await session.scalars(select(table).order_by(table.id).with_for_update())
        for row in rows:
            for field in secrets_of(row):
                column = f"{field}_ciphertext"
                sealed = getattr(row, column)
                try:
                    if sealed is None or not keyring.needs_rotation(sealed):
                        continue
                    setattr(row, column, keyring.reencrypt(sealed, aad=secret_aad(row, field)))
                except SecretError as e:
                    raise SecretError(f"Slack {describe(row, field)}: {e}") from e
                changed += 1
    return changed
