"""The rows of templates, posting slots and the queue (migration 0018_planning)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class TemplateRow(Base):
    __tablename__ = "templates"
    # AUTOINCREMENT: a deleted template's id is never handed to a new one, so an old Use
    # button cannot find another template.
    __table_args__ = (UniqueConstraint("profile_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(32))  # lower case
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class SlotRow(Base):
    __tablename__ = "posting_slots"
    __table_args__ = (UniqueConstraint("profile_id", "weekday", "minute"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    minute: Mapped[int] = mapped_column(Integer)  # after local midnight, 0–1439


class QueueEntryRow(Base):
    """A post added to its profile's queue (Add to queue)."""

    __tablename__ = "queue_entries"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime]


class QueueStateRow(Base):
    """A profile's queue paused (no row: running)."""

    __tablename__ = "queue_states"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    paused: Mapped[bool] = mapped_column(Boolean)
