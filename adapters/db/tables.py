"""SQLAlchemy 2 Declarative rows; repositories map them to core dataclasses by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    # AUTOINCREMENT: /forget deletes profiles, and SQLite would otherwise hand the newest one's
    # id to the next profile, with its old buttons (migration 0010_profile_ids).
    __table_args__ = ({"sqlite_autoincrement": True},)

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
    # A token the user logged in for (migration 0009_instagram_login): when it was issued and
    # ends, the permissions granted (comma-separated), and when a refresh is due again at
    # the earliest (the refresh job's claim; NULL: whenever the token is due).
    expires_at: Mapped[datetime | None]
    issued_at: Mapped[datetime | None]
    scopes: Mapped[str] = mapped_column(Text, default="", server_default="")
    refresh_after: Mapped[datetime | None]


class ConnectionRow(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("profile_id", "network"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    updated_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # migration 0008_connection_expiry


class SubscriptionRow(Base):
    """A profile's one current paid subscription (migration 0012_billing)."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        Index(None, "provider", "customer_id"),
        Index(None, "provider", "subscription_id"),
    )

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[str] = mapped_column(String(255), default="")
    subscription_id: Mapped[str] = mapped_column(String(255), default="")
    price_id: Mapped[str] = mapped_column(String(255), default="")
    current_period_end: Mapped[datetime | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    state_at: Mapped[datetime | None]  # the provider's time of this state (0020)


class GrantRow(Base):
    """An operator's grant of a tier, kept after it ends or is revoked (the history)."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    tier: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(255), default="")
    revoked_at: Mapped[datetime | None]


class BillingEventRow(Base):
    """A payment event handled once: a provider's charge or event id, or a once-only notice
    of Postroom's own. The primary key is what makes a replay change nothing."""

    __tablename__ = "billing_events"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    # NULL for an event of nobody we know, or of a profile deleted since (/forget): the row
    # stays, so a replayed event or charge stays a no-op (migration 0020_payment_records).
    profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("profiles.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class PostRow(Base):
    __tablename__ = "posts"
    # AUTOINCREMENT: SQLite would otherwise reuse the id of the newest post once it is deleted
    # (migration 0003_post_ids); PostgreSQL sequences never do.
    __table_args__ = (Index(None, "profile_id", "created_at"), {"sqlite_autoincrement": True})

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
    # When a draft's text, media, networks or versions last changed (migration 0019_drafts).
    edited_at: Mapped[datetime | None]


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
    # 32: `awaiting_approval` is 17 (migration 0017_approvals widened it from 16).
    state: Mapped[str] = mapped_column(String(32))
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
    # When it was due before a lapsed plan held it back to draft (migration 0012_billing).
    held_due_at: Mapped[datetime | None]
    # This network's own version of the text; NULL: the post's text (migration 0019_drafts).
    text: Mapped[str | None] = mapped_column(Text)


# --- analytics and digests (migration 0002_analytics) -----------------------------------------


class PostTagRow(Base):
    """A post's campaign and whether reports hide it; kept apart from the publishing rows."""

    __tablename__ = "post_tags"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    campaign: Mapped[str | None] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class AnalyticsItemRow(Base):
    """One measured post on one network: a published target, or a post tracked by hand."""

    __tablename__ = "analytics_items"
    __table_args__ = (
        UniqueConstraint("post_id", "network"),
        Index(None, "profile_id", "posted_at"),
        Index(None, "auto_sync", "next_sync_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    # NULL for tracked posts (NULLs never collide in the UNIQUE constraint).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    route: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255))
    provider_post_id: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    # Tracked posts only; a published post's campaign and hidden flag live in post_tags.
    campaign: Mapped[str | None] = mapped_column(String(64))
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_sync: Mapped[bool] = mapped_column(Boolean, default=True)
    posted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    synced_at: Mapped[datetime | None]
    next_sync_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class MetricLatestRow(Base):
    """The newest known value of one metric of one item; a metric never reported has no row."""

    __tablename__ = "metric_latest"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_items.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime]


class MetricSnapshotRow(Base):
    """Every refresh of an item, appended: history and deltas."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (Index(None, "item_id", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("analytics_items.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime]
    metrics: Mapped[dict[str, int]] = mapped_column(JSON)


class AccountMetricRow(Base):
    """Account-level numbers (followers…) of one network, one row per profile-local day."""

    __tablename__ = "account_metrics"
    __table_args__ = (UniqueConstraint("profile_id", "network", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    metrics: Mapped[dict[str, int]] = mapped_column(JSON)
    taken_at: Mapped[datetime]


class AnalyticsProfileRow(Base):
    """When a profile's account-level numbers are next due."""

    __tablename__ = "analytics_profiles"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True
    )
    accounts_synced_at: Mapped[datetime | None]
    accounts_next_at: Mapped[datetime | None]
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class DailyTotalRow(Base):
    """End-of-day totals per network (campaign "" = every post), rewritten during the day."""

    __tablename__ = "daily_totals"
    __table_args__ = (UniqueConstraint("profile_id", "day", "network", "campaign"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    network: Mapped[str] = mapped_column(String(16))
    campaign: Mapped[str] = mapped_column(String(64), default="")
    posts: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict[str, int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class DigestSubscriptionRow(Base):
    __tablename__ = "digest_subscriptions"
    __table_args__ = (
        UniqueConstraint("profile_id", "platform", "workspace", "chat"),
        Index(None, "enabled", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    chat: Mapped[str] = mapped_column(String(128))
    # core.model.ChatKind: a digest goes out later, with no update to tell (migration 0005).
    chat_kind: Mapped[str] = mapped_column(String(16), default="shared", server_default="shared")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    minute_of_day: Mapped[int] = mapped_column(Integer)  # local time of the profile's zone
    weekly: Mapped[bool] = mapped_column(Boolean, default=False)
    next_due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DigestDeliveryRow(Base):
    """The claim on one digest: inserting (subscription, day) is what makes it once-only."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "day"),
        Index(None, "status", "locked_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    worker: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(128))
    error: Mapped[str | None] = mapped_column(Text)


# --- channels linked to a profile (migration 0004_links) --------------------------------------


class LinkCodeRow(Base):
    """A one-time code to link a channel; only its SHA-256 is kept (core.channel_links.digest)."""

    __tablename__ = "link_codes"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ChatLinkRow(Base):
    """A channel's identity acting for a profile."""

    __tablename__ = "chat_links"
    __table_args__ = (
        UniqueConstraint("platform", "workspace", "subject"),
        # Never reuse an id: an old Unlink button must not find a newer link.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(128))  # the channel's id on its platform
    title: Mapped[str] = mapped_column(String(128), default="")
    linked_at: Mapped[datetime]


# Slack installations, the durable chat state, Stars charges and approvals have their own
# modules (this one is long enough); importing them registers their tables on Base.metadata,
# which the migrations test and the test fixtures read.
from adapters.db import approval_tables as approval_tables  # noqa: E402
from adapters.db import chat_tables as chat_tables  # noqa: E402
from adapters.db import engage_tables as engage_tables  # noqa: E402
from adapters.db import kit_tables as kit_tables  # noqa: E402
from adapters.db import lifecycle as lifecycle  # noqa: E402
from adapters.db import login_tables as login_tables  # noqa: E402
from adapters.db import planning_tables as planning_tables  # noqa: E402
from adapters.db import slack_tables as slack_tables  # noqa: E402
from adapters.db import star_tables as star_tables  # noqa: E402
from adapters.db import team_tables as team_tables  # noqa: E402
