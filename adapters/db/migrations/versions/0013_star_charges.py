"""Telegram Stars charges: each charge id once, the Pro period it bought, its refund.

Revision ID: 0013_star_charges
Revises: 0012_billing
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_star_charges"
down_revision: str | Sequence[str] | None = "0012_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "star_charges",
        sa.Column("charge_id", sa.String(255), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user", sa.String(32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("recurring", sa.Boolean(), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=False), nullable=False),
        sa.Column("previous_end", sa.DateTime(timezone=False), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("charge_id", name="pk_star_charges"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_star_charges_profile_id_profiles",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_star_charges_profile_id_paid_at", "star_charges", ["profile_id", "paid_at"]
    )


def downgrade() -> None:
    op.drop_table("star_charges")
