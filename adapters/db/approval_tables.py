"""The rows of approvals: a team's setting, each post's submission, its reviews (migration
0017_approvals)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class ApprovalSettingRow(Base):
    __tablename__ = "approval_settings"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    required: Mapped[bool] = mapped_column(Boolean)
    no_self_approval: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime | None]
    changed_by: Mapped[str] = mapped_column(String(128), default="")


class ApprovalRequestRow(Base):
    """A post's current submission (one row a post, its round bumped on each). The author's
    and note-giver's identities are not named platform/workspace/user_id: /forget deletes rows
    so named with a person's identity (adapters.db.forget), and these are the team's record."""

    __tablename__ = "approval_requests"
    __table_args__ = (Index(None, "status", "publish_at"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    round: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    author_platform: Mapped[str] = mapped_column(String(16))
    author_workspace: Mapped[str] = mapped_column(String(64), default="")
    author_user: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str] = mapped_column(String(128), default="")
    submitted_at: Mapped[datetime]
    fingerprint: Mapped[str] = mapped_column(String(64))
    publish_at: Mapped[datetime | None]
    no_self_approval: Mapped[bool] = mapped_column(Boolean)
    card_chat: Mapped[str | None] = mapped_column(String(128))
    card_workspace: Mapped[str | None] = mapped_column(String(64))
    card_message_id: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    note_platform: Mapped[str | None] = mapped_column(String(16))
    note_workspace: Mapped[str | None] = mapped_column(String(64))
    note_user: Mapped[str | None] = mapped_column(String(128))
    note_chat: Mapped[str | None] = mapped_column(String(128))
    note_until: Mapped[datetime | None]


class ReviewRow(Base):
    """One decision or note on a post: who, when, what."""

    __tablename__ = "post_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    round: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime]
    by_name: Mapped[str] = mapped_column(String(128), default="")
    by_platform: Mapped[str | None] = mapped_column(String(16))
    by_workspace: Mapped[str | None] = mapped_column(String(64))
    by_user: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
