"""Slack workspace installations (bot and user tokens, encrypted) and one-time OAuth states.

Revision ID: 0006_slack_installations
Revises: 0005_digest_chat_kind
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006_slack_installations"
down_revision: str | Sequence[str] | None = "0005_digest_chat_kind"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    # Naive UTC timestamps (adapters.db.tables.UTCDateTime adds the time zone back on reading).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def _text(name: str, length: int | None = None) -> sa.Column[Any]:
    kind: sa.types.TypeEngine[Any] = sa.Text() if length is None else sa.String(length)
    return sa.Column(name, kind, nullable=True)


def _workspace() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        _text("app_id", 32),
        _text("enterprise_id", 32),
        _text("enterprise_name", 200),
    ]


def _bot() -> list[sa.Column[Any]]:
    return [
        _text("bot_id", 32),
        _text("bot_user_id", 32),
        _text("bot_scopes"),
        _text("bot_token_ciphertext"),
        _text("bot_refresh_token_ciphertext"),
        _when("bot_token_expires_at"),
    ]


def upgrade() -> None:
    op.create_table(
        "slack_installations",
        *_workspace(),
        _text("enterprise_url", 200),
        _text("team_id", 32),
        _text("team_name", 200),
        *_bot(),
        sa.Column("user_id", sa.String(32), nullable=False),
        _text("user_scopes"),
        _text("user_token_ciphertext"),
        _text("user_refresh_token_ciphertext"),
        _when("user_token_expires_at"),
        _text("incoming_webhook_url_ciphertext"),
        _text("incoming_webhook_channel", 200),
        _text("incoming_webhook_channel_id", 200),
        _text("incoming_webhook_configuration_url"),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _text("token_type", 32),
        _when("installed_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_installations"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_slack_installations_lookup",
        "slack_installations",
        ["client_id", "enterprise_id", "team_id", "user_id", "installed_at"],
    )
    op.create_table(
        "slack_bots",
        *_workspace(),
        _text("team_id", 32),
        _text("team_name", 200),
        *_bot(),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False),
        _when("installed_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_slack_bots"),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_slack_bots_lookup",
        "slack_bots",
        ["client_id", "enterprise_id", "team_id", "installed_at"],
    )
    op.create_table(
        "slack_oauth_states",
        sa.Column("digest", sa.String(64), nullable=False),
        _when("expires_at", nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_slack_oauth_states"),
    )
    op.create_index("ix_slack_oauth_states_expires_at", "slack_oauth_states", ["expires_at"])


def downgrade() -> None:
    op.drop_table("slack_oauth_states")
    op.drop_table("slack_bots")
    op.drop_table("slack_installations")
