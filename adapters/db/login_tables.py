"""Rows of the single-use login states (migration 0009_instagram_login)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class LoginStateRow(Base):
    """A login link's state, by its SHA-256 only (core.logins.state_digest), with the chat
    identity it was given to and the chat it was asked in."""

    __tablename__ = "login_states"
    __table_args__ = (Index(None, "expires_at"),)

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    network: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(128))
    chat: Mapped[str] = mapped_column(String(128))
    chat_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
