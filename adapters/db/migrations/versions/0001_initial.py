"""Initial schema: profiles, identities, provider accounts, connections, subscriptions, posts.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _timestamp(name: str, *, nullable: bool) -> sa.Column[datetime]:
    # Naive UTC (adapters.db.tables.UTCDateTime adds the time zone back on reading).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def _profile_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["profile_id"],
        ["profiles.id"],
        name=f"fk_{table}_profile_id_profiles",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "profiles",
        _id(),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        _timestamp("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_profiles"),
    )
    op.create_table(
        "identities",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identities"),
        _profile_fk("identities"),
        sa.UniqueConstraint(
            "platform", "workspace", "user_id", name="uq_identities_platform_workspace_user_id"
        ),
    )
    op.create_index("ix_identities_profile_id", "identities", ["profile_id"])
    op.create_table(
        "provider_accounts",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(255), nullable=False),
        sa.Column("key_ciphertext", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_provider_accounts"),
        _profile_fk("provider_accounts"),
        sa.UniqueConstraint("profile_id", "route", name="uq_provider_accounts_profile_id_route"),
    )
    op.create_table(
        "connections",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        _timestamp("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connections"),
        _profile_fk("connections"),
        sa.UniqueConstraint("profile_id", "network", name="uq_connections_profile_id_network"),
    )
    op.create_table(
        "subscriptions",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        _timestamp("current_period_end", nullable=True),
        _timestamp("created_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        _profile_fk("subscriptions"),
    )
    op.create_index("ix_subscriptions_profile_id", "subscriptions", ["profile_id"])
    op.create_table(
        "posts",
        _id(),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        _timestamp("created_at", nullable=False),
        _timestamp("scheduled_at", nullable=True),
        sa.Column("origin_platform", sa.String(16), nullable=False),
        sa.Column("origin_chat", sa.String(128), nullable=False),
        sa.Column("origin_workspace", sa.String(64), nullable=False),
        sa.Column("progress_chat", sa.String(128), nullable=True),
        sa.Column("progress_message_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_posts"),
        _profile_fk("posts"),
    )
    op.create_index("ix_posts_profile_id_created_at", "posts", ["profile_id", "created_at"])
    op.create_table(
        "targets",
        _id(),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("route", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _timestamp("due_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(128), nullable=True),
        sa.Column("provider_post_id", sa.String(255), nullable=True),
        sa.Column("external_id", sa.String(255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("locked_by", sa.String(128), nullable=True),
        _timestamp("locked_until", nullable=True),
        _timestamp("sent_at", nullable=True),
        _timestamp("published_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_targets"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_targets_post_id_posts", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("post_id", "network", name="uq_targets_post_id_network"),
    )
    # The pipeline's two polls: due scheduled targets, and leases that ran out.
    op.create_index("ix_targets_state_due_at", "targets", ["state", "due_at"])
    op.create_index("ix_targets_state_locked_until", "targets", ["state", "locked_until"])


def downgrade() -> None:
    op.drop_table("targets")
    op.drop_table("posts")
    op.drop_table("subscriptions")
    op.drop_table("connections")
    op.drop_table("provider_accounts")
    op.drop_table("identities")
    op.drop_table("profiles")
