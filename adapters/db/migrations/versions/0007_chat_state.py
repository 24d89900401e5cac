"""Durable chat state: progress messages owed a render, chat updates already taken.

Revision ID: 0007_chat_state
Revises: 0006_slack_installations
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_chat_state"
down_revision: str | Sequence[str] | None = "0006_slack_installations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "progress_outbox",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("post_id", name="pk_progress_outbox"),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name="fk_progress_outbox_post_id_posts",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_progress_outbox_due_at", "progress_outbox", ["due_at"])
    op.create_table(
        "seen_updates",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("source", "update_id", name="pk_seen_updates"),
    )
    op.create_index("ix_seen_updates_seen_at", "seen_updates", ["seen_at"])


def downgrade() -> None:
    op.drop_table("seen_updates")
    op.drop_table("progress_outbox")
