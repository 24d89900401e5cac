"""Rows of the durable chat state: progress messages owed a render, updates seen (migration
0007_chat_state), the draft a chat has open (0019_drafts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class ProgressOutboxRow(Base):
    """A post whose progress message is owed a render (core.chat_ports.ProgressMark)."""

    __tablename__ = "progress_outbox"
    __table_args__ = (Index(None, "due_at"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    version: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None]


class SeenUpdateRow(Base):
    """A chat update taken by some process: its key refuses a second take (a redelivery)."""

    __tablename__ = "seen_updates"
    __table_args__ = (Index(None, "seen_at"),)

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime]


class DraftFocusRow(Base):
    """The draft a chat user has open in a chat for a profile (their own, or a team's), and
    what their next message there is for (core.chat_ports.DraftFocus; migration 0019_drafts).
    Goes with its post and profile; named by the identity's columns (platform, workspace,
    user_id), so /forget of that identity takes it too."""

    __tablename__ = "draft_focus"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    newest: Mapped[int] = mapped_column(Integer)
    awaiting: Mapped[str | None] = mapped_column(String(16))
    network: Mapped[str | None] = mapped_column(String(16))
    until: Mapped[datetime | None]
