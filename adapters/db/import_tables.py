"""The row of an import waiting for its confirmation (migration 0015_imports)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.db.tables import Base


class ImportRow(Base):
    """A previewed import: the rows Import schedules (JSON), dropped once it is finished."""

    __tablename__ = "imports"
    __table_args__ = (Index(None, "expires_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    chat: Mapped[str] = mapped_column(String(128))
    workspace: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    posts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    imported: Mapped[int] = mapped_column(Integer)
    finished_at: Mapped[datetime | None]
