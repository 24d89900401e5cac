"""Media kits: each kit's slug, theme, words and version, and its blocks in order.

Revision ID: 0016_media_kits
Revises: 0015_imports
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_media_kits"
down_revision: str | Sequence[str] | None = "0015_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "kits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(32), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("primary_colour", sa.String(7), nullable=False),
        sa.Column("radius", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kits"),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name="fk_kits_profile_id_profiles", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("slug", name="uq_kits_slug"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_kits_profile_id", "kits", ["profile_id"])
    op.create_table(
        "kit_blocks",
        sa.Column("kit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("kit_id", "position", name="pk_kit_blocks"),
        sa.ForeignKeyConstraint(
            ["kit_id"], ["kits.id"], name="fk_kit_blocks_kit_id_kits", ondelete="CASCADE"
        ),
    )


def downgrade() -> None:
    op.drop_table("kit_blocks")
    op.drop_table("kits")
