"""SQLAlchemy 2 Declarative rows; repositories map them to core dataclasses by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep the migration and the metadata comparable on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC, returned tz-aware UTC (SQLite has no time zones at all)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: Postroom stores tz-aware UTC only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ProfileRow(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tier: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]


class IdentityRow(Base):
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("platform", "workspace", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    # Slack team id; empty on platforms without workspaces (never NULL, so UNIQUE holds).
    workspace: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[str] = mapped_column(String(128))


class ProviderAccountRow(Base):
    __tablename__ = "provider_accounts"
    __table_args__ = (UniqueConstraint("profile_id", "route"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    route: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(255))
    # keyring.encrypt(key, aad="provider_accounts:<profile_id>:<route>:key"); never plaintext.
    key_ciphertext: Mapped[str] = mapped_column(Text)


class ConnectionRow(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("profile_id", "network"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime | None]


class SubscriptionRow(Base):
    """Subscription history; a profile's current subscription is its newest row."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(255), default="")
    current_period_end: Mapped[datetime | None]
    created_at: Mapped[datetime | None]


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (Index(None, "profile_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    media: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    scheduled_at: Mapped[datetime | None]
    origin_platform: Mapped[str] = mapped_column(String(16))
    origin_chat: Mapped[str] = mapped_column(String(128))
    origin_workspace: Mapped[str] = mapped_column(String(64), default="")
    # The progress message lives in a chat of the origin's platform and workspace.
    progress_chat: Mapped[str | None] = mapped_column(String(128))
    progress_message_id: Mapped[str | None] = mapped_column(String(128))


class TargetRow(Base):
    __tablename__ = "targets"
    __table_args__ = (
        UniqueConstraint("post_id", "network"),
        Index(None, "state", "due_at"),
        Index(None, "state", "locked_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    round: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    provider_post_id: Mapped[str | None] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(128))
    locked_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
