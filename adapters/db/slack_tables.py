"""Rows of Slack workspace installations and OAuth states (migration 0006_slack_installations)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base

# Columns follow slack_sdk's own SQLAlchemy installation store (field names of
# slack_sdk.oauth.installation_store.models), except that every token and the incoming webhook
# URL (which posts to a channel without any other credential) is kept only as a Keyring
# ciphertext whose AAD names the table, the row id and the column
# (adapters.db.slack_installations.secret_aad).


class _WorkspaceBot:
    """Columns the users' installations and the bots share: the workspace and its bot."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(32))
    team_name: Mapped[str | None] = mapped_column(String(200))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))
    bot_scopes: Mapped[str | None] = mapped_column(Text)
    bot_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    bot_refresh_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    bot_token_expires_at: Mapped[datetime | None]
    is_enterprise_install: Mapped[bool] = mapped_column(Boolean, default=False)
    installed_at: Mapped[datetime]


class SlackInstallationRow(_WorkspaceBot, Base):
    """One installation by one user (bot and user tokens); the newest per user wins."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        # Named: the conventional name would pass PostgreSQL's 63-character limit.
        Index(
            "ix_slack_installations_lookup",
            "client_id",
            "enterprise_id",
            "team_id",
            "user_id",
            "installed_at",
        ),
        # Never reuse an id: the AAD of every ciphertext names its row.
        {"sqlite_autoincrement": True},
    )

    enterprise_url: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(32))
    user_scopes: Mapped[str | None] = mapped_column(Text)
    user_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    user_refresh_token_ciphertext: Mapped[str | None] = mapped_column(Text)
    user_token_expires_at: Mapped[datetime | None]
    incoming_webhook_url_ciphertext: Mapped[str | None] = mapped_column(Text)
    incoming_webhook_channel: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_channel_id: Mapped[str | None] = mapped_column(String(200))
    incoming_webhook_configuration_url: Mapped[str | None] = mapped_column(Text)
    token_type: Mapped[str | None] = mapped_column(String(32))


class SlackBotRow(_WorkspaceBot, Base):
    """A workspace's (or org's) bot token, kept apart from the installing users' rows."""

    __tablename__ = "slack_bots"
    __table_args__ = (
        Index("ix_slack_bots_lookup", "client_id", "enterprise_id", "team_id", "installed_at"),
        {"sqlite_autoincrement": True},
    )


class SlackOAuthStateRow(Base):
    """An issued OAuth `state`; only its SHA-256 is kept, and consuming it deletes the row."""

    __tablename__ = "slack_oauth_states"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
