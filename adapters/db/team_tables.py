"""Rows of team profiles and their members (migration 0014_teams)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class TeamRow(Base):
    """A chat's team profile: one per chat, one per profile."""

    __tablename__ = "teams"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "chat"),
        # Never reuse an id: a "Posting as" button of a deleted team must not find a newer one.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), unique=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    chat: Mapped[str] = mapped_column(String(128))  # the group's or channel's id
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class TeamMemberRow(Base):
    """A chat user in a team. Keyed by the chat identity in the (platform, workspace, user_id)
    columns every identity-kept table uses, so a member's /forget deletes it
    (adapters.db.forget) and the team stays."""

    __tablename__ = "team_members"
    __table_args__ = (Index(None, "platform", "workspace", "user_id"),)

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128), default="")
    handle: Mapped[str] = mapped_column(String(64), default="")
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]
    posting: Mapped[bool] = mapped_column(Boolean, default=False)
