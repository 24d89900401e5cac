"""The rows of media kits and their blocks (migration 0016_media_kits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class KitRow(Base):
    """One media kit; its slug is unique over every profile (it is the page's address)."""

    __tablename__ = "kits"
    # AUTOINCREMENT: a kit's id is in its buttons, so a deleted kit's id is never handed on.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    primary_colour: Mapped[str] = mapped_column(String(7))
    radius: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class KitBlockRow(Base):
    """A block of a kit at its place, top to bottom."""

    __tablename__ = "kit_blocks"

    kit_id: Mapped[int] = mapped_column(
        ForeignKey("kits.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
