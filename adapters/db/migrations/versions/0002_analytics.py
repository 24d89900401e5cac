"""Analytics and digests: measured items, metrics and snapshots, daily totals, digest deliveries.

Revision ID: 0002_analytics
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002_analytics"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _timestamp(name: str, *, nullable: bool) -> sa.Column[datetime]:
    # Naive UTC (adapters.db.tables.UTCDateTime adds the time zone back on reading).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def _fk(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{referred}.id"], name=f"fk_{table}_{column}_{referred}", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "post_tags",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name="pk_post_tags"),
        _fk("post_tags", "post_id", "posts"),
    )
    op.create_table(
        "analytics_items",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("route", sa.String(32), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("provider_post_id", sa.String(255), nullable=True),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("auto_sync", sa.Boolean(), nullable=False),
        _timestamp("posted_at", nullable=True),
        _timestamp("created_at", nullable=False),
        _timestamp("synced_at", nullable=True),
        _timestamp("next_sync_at", nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_items"),
        _fk("analytics_items", "profile_id", "profiles"),
        _fk("analytics_items", "post_id", "posts"),
        sa.UniqueConstraint("post_id", "network", name="uq_analytics_items_post_id_network"),
    )
    op.create_index(
        "ix_analytics_items_profile_id_posted_at", "analytics_items", ["profile_id", "posted_at"]
    )
    op.create_index(
        "ix_analytics_items_auto_sync_next_sync_at",
        "analytics_items",
        ["auto_sync", "next_sync_at"],
    )
    op.create_table(
        "metric_latest",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("item_id", "metric", name="pk_metric_latest"),
        _fk("metric_latest", "item_id", "analytics_items"),
    )
    op.create_table(
        "metric_snapshots",
        _id(),
        sa.Column("item_id", sa.Integer(), nullable=False),
        _timestamp("taken_at", nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_snapshots"),
        _fk("metric_snapshots", "item_id", "analytics_items"),
    )
    op.create_index(
        "ix_metric_snapshots_item_id_taken_at", "metric_snapshots", ["item_id", "taken_at"]
    )
    op.create_table(
        "account_metrics",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        _timestamp("taken_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_metrics"),
        _fk("account_metrics", "profile_id", "profiles"),
        sa.UniqueConstraint(
            "profile_id", "network", "day", name="uq_account_metrics_profile_id_network_day"
        ),
    )
    op.create_table(
        "analytics_profiles",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        _timestamp("accounts_synced_at", nullable=True),
        _timestamp("accounts_next_at", nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("profile_id", name="pk_analytics_profiles"),
        _fk("analytics_profiles", "profile_id", "profiles"),
    )
    op.create_table(
        "daily_totals",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("campaign", sa.String(64), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        _timestamp("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_daily_totals"),
        _fk("daily_totals", "profile_id", "profiles"),
        sa.UniqueConstraint(
            "profile_id",
            "day",
            "network",
            "campaign",
            name="uq_daily_totals_profile_id_day_network_campaign",
        ),
    )
    op.create_table(
        "digest_subscriptions",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("chat", sa.String(128), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("minute_of_day", sa.Integer(), nullable=False),
        sa.Column("weekly", sa.Boolean(), nullable=False),
        _timestamp("next_due_at", nullable=True),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_subscriptions"),
        _fk("digest_subscriptions", "profile_id", "profiles"),
        sa.UniqueConstraint(
            "profile_id",
            "platform",
            "workspace",
            "chat",
            name="uq_digest_subscriptions_profile_id_platform_workspace_chat",
        ),
    )
    op.create_index(
        "ix_digest_subscriptions_enabled_next_due_at",
        "digest_subscriptions",
        ["enabled", "next_due_at"],
    )
    op.create_table(
        "digest_deliveries",
        _id(),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("worker", sa.String(128), nullable=False),
        _timestamp("claimed_at", nullable=False),
        _timestamp("locked_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _timestamp("sent_at", nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_digest_deliveries"),
        _fk("digest_deliveries", "subscription_id", "digest_subscriptions"),
        # One digest per subscription and date: the claim is this row's INSERT.
        sa.UniqueConstraint(
            "subscription_id", "day", name="uq_digest_deliveries_subscription_id_day"
        ),
    )
    op.create_index(
        "ix_digest_deliveries_status_locked_until",
        "digest_deliveries",
        ["status", "locked_until"],
    )


def downgrade() -> None:
    op.drop_table("digest_deliveries")
    op.drop_table("digest_subscriptions")
    op.drop_table("daily_totals")
    op.drop_table("analytics_profiles")
    op.drop_table("account_metrics")
    op.drop_table("metric_snapshots")
    op.drop_table("metric_latest")
    op.drop_table("analytics_items")
    op.drop_table("post_tags")
