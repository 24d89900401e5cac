"""The connection lifecycle: when each Pro profile's links are next read, and the warnings
sent (one per profile, network, kind and local day: the row is the claim).

Revision ID: 0011_connection_warnings
Revises: 0010_profile_ids
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_connection_warnings"
down_revision: str | Sequence[str] | None = "0010_profile_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "link_checks",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", name="pk_link_checks"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_link_checks_profile_id_profiles",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "connection_warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_connection_warnings"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_connection_warnings_profile_id_profiles",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "profile_id",
            "network",
            "kind",
            "day",
            name="uq_connection_warnings_profile_id_network_kind_day",
        ),
    )


def downgrade() -> None:
    op.drop_table("connection_warnings")
    op.drop_table("link_checks")
