"""The rows of the engage inbox: comments, per-target comment checks, settings (0021_engage)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class CommentRow(Base):
    """One comment on a published post: a network's comment id is stored once (the unique
    key), so no pass, worker or restart shows it twice."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint("network", "external_id"),
        Index(None, "state", "pushed_at"),
        Index(None, "profile_id", "found_at"),
        Index(None, "post_id"),
        {"sqlite_autoincrement": True},  # ids are in buttons: never reused after /forget
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(255))
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime | None]
    found_at: Mapped[datetime]
    url: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    pushed_at: Mapped[datetime | None]
    message_platform: Mapped[str | None] = mapped_column(String(16))
    message_workspace: Mapped[str | None] = mapped_column(String(64))
    message_chat: Mapped[str | None] = mapped_column(String(128))
    message_id: Mapped[str | None] = mapped_column(String(128))
    reply_draft: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]


class CommentCheckRow(Base):
    """When a published target's comments were last read and are next due."""

    __tablename__ = "comment_checks"
    __table_args__ = (Index(None, "next_at"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    network: Mapped[str] = mapped_column(String(16), primary_key=True)
    checked_at: Mapped[datetime]
    next_at: Mapped[datetime]


class EngageSettingsRow(Base):
    """A profile's pushes and quiet hours, and the reply it is writing."""

    __tablename__ = "engage_settings"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    quiet: Mapped[bool] = mapped_column(Boolean)
    quiet_start: Mapped[int] = mapped_column(Integer)
    quiet_end: Mapped[int] = mapped_column(Integer)
    pending_comment: Mapped[int | None] = mapped_column(Integer)
    pending_platform: Mapped[str | None] = mapped_column(String(16))
    pending_workspace: Mapped[str | None] = mapped_column(String(64))
    pending_chat: Mapped[str | None] = mapped_column(String(128))
    pending_kind: Mapped[str | None] = mapped_column(String(16))
    pending_since: Mapped[datetime | None]
