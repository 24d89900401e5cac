"""Imports waiting for their confirmation: the rows a CSV preview found valid.

Revision ID: 0015_imports
Revises: 0014_teams
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_imports"
down_revision: str | Sequence[str] | None = "0014_teams"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("chat", sa.String(128), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("chat_kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("posts", sa.JSON(), nullable=False),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_imports_profile_id_profiles",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_imports_expires_at", "imports", ["expires_at"])


def downgrade() -> None:
    op.drop_table("imports")
