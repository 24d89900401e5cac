"""Billing: one current subscription per profile, operator grants, events handled once, held
targets.

The old `subscriptions` table was a history of tier changes; every profile on Pro before this
migration keeps Pro through an unlimited operator grant, so nobody's tier changes with it.

Revision ID: 0012_billing
Revises: 0011_connection_warnings
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0012_billing"
down_revision: str | Sequence[str] | None = "0011_connection_warnings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool) -> sa.Column[datetime]:
    # Naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def _profile_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["profile_id"], ["profiles.id"], name=f"fk_{table}_profile_id_profiles", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.drop_index("ix_subscriptions_profile_id", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.create_table(
        "subscriptions",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("plan", sa.String(32), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("subscription_id", sa.String(255), nullable=False),
        sa.Column("price_id", sa.String(255), nullable=False),
        _ts("current_period_end", nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=True),
        _ts("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("profile_id", name="pk_subscriptions"),
        _profile_fk("subscriptions"),
    )
    op.create_index(
        "ix_subscriptions_provider_customer_id", "subscriptions", ["provider", "customer_id"]
    )
    op.create_index(
        "ix_subscriptions_provider_subscription_id",
        "subscriptions",
        ["provider", "subscription_id"],
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        _ts("starts_at", nullable=False),
        _ts("ends_at", nullable=True),
        sa.Column("reason", sa.String(255), nullable=False),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_grants"),
        _profile_fk("grants"),
    )
    op.create_index("ix_grants_profile_id", "grants", ["profile_id"])
    op.create_table(
        "billing_events",
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("event_id", sa.String(255), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(64), nullable=False),
        _ts("received_at", nullable=False),
        sa.PrimaryKeyConstraint("source", "event_id", name="pk_billing_events"),
        _profile_fk("billing_events"),
    )
    op.create_index("ix_billing_events_profile_id", "billing_events", ["profile_id"])
    op.add_column("targets", _ts("held_due_at", nullable=True))

    now = datetime.now(UTC).replace(tzinfo=None)
    op.execute(
        sa.text(
            "INSERT INTO grants (profile_id, tier, starts_at, ends_at, reason, revoked_at) "
            "SELECT id, 'pro', :now, NULL, 'on Pro before billing (migration 0012)', NULL "
            "FROM profiles WHERE tier = 'pro'"
        ).bindparams(now=now)
    )


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("held_due_at")
    op.drop_table("billing_events")
    op.drop_table("grants")
    op.drop_table("subscriptions")
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(255), nullable=False),
        _ts("current_period_end", nullable=True),
        _ts("created_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
        _profile_fk("subscriptions"),
    )
    op.create_index("ix_subscriptions_profile_id", "subscriptions", ["profile_id"])
