"""Templates, weekly posting slots, the queue's entries and its paused flag.

Revision ID: 0018_planning
Revises: 0017_approvals
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_planning"
down_revision: str | Sequence[str] | None = "0017_approvals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _profile_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["profile_id"], ["profiles.id"], name=f"fk_{table}_profile_id_profiles", ondelete="CASCADE"
    )


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "templates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_templates"),
        sa.UniqueConstraint("profile_id", "name", name="uq_templates_profile_id_name"),
        _profile_fk("templates"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_templates_profile_id", "templates", ["profile_id"])
    op.create_table(
        "posting_slots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_posting_slots"),
        sa.UniqueConstraint(
            "profile_id", "weekday", "minute", name="uq_posting_slots_profile_id_weekday_minute"
        ),
        _profile_fk("posting_slots"),
    )
    op.create_table(
        "queue_entries",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("post_id", name="pk_queue_entries"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_queue_entries_post_id_posts", ondelete="CASCADE"
        ),
        _profile_fk("queue_entries"),
    )
    op.create_index("ix_queue_entries_profile_id", "queue_entries", ["profile_id"])
    op.create_table(
        "queue_states",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", name="pk_queue_states"),
        _profile_fk("queue_states"),
    )


def downgrade() -> None:
    op.drop_table("queue_states")
    op.drop_table("queue_entries")
    op.drop_table("posting_slots")
    op.drop_index("ix_templates_profile_id", table_name="templates")
    op.drop_table("templates")
