"""Approvals: a team's setting, each post's submission and its reviews; target states up to
32 characters (`awaiting_approval`).

Revision ID: 0017_approvals
Revises: 0016_media_kits
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0017_approvals"
down_revision: str | Sequence[str] | None = "0016_media_kits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, *, nullable: bool) -> sa.Column[datetime]:
    # Naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def _fk(table: str, column: str, parent: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{parent}.id"], name=f"fk_{table}_{column}_{parent}", ondelete="CASCADE"
    )


def upgrade() -> None:
    # SQLite alters a column by copying the table (batch mode); PostgreSQL widens in place.
    with op.batch_alter_table("targets") as batch:
        batch.alter_column(
            "state", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False
        )
    op.create_table(
        "approval_settings",
        sa.Column("profile_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("no_self_approval", sa.Boolean(), nullable=False),
        _ts("changed_at", nullable=True),
        sa.Column("changed_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("profile_id", name="pk_approval_settings"),
        _fk("approval_settings", "profile_id", "profiles"),
    )
    op.create_table(
        "approval_requests",
        sa.Column("post_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("author_platform", sa.String(16), nullable=False),
        sa.Column("author_workspace", sa.String(64), nullable=False),
        sa.Column("author_user", sa.String(128), nullable=False),
        sa.Column("author_name", sa.String(128), nullable=False),
        _ts("submitted_at", nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        _ts("publish_at", nullable=True),
        sa.Column("no_self_approval", sa.Boolean(), nullable=False),
        sa.Column("card_chat", sa.String(128), nullable=True),
        sa.Column("card_workspace", sa.String(64), nullable=True),
        sa.Column("card_message_id", sa.String(128), nullable=True),
        _ts("decided_at", nullable=True),
        sa.Column("note_platform", sa.String(16), nullable=True),
        sa.Column("note_workspace", sa.String(64), nullable=True),
        sa.Column("note_user", sa.String(128), nullable=True),
        sa.Column("note_chat", sa.String(128), nullable=True),
        _ts("note_until", nullable=True),
        sa.PrimaryKeyConstraint("post_id", name="pk_approval_requests"),
        _fk("approval_requests", "post_id", "posts"),
    )
    op.create_index(
        "ix_approval_requests_status_publish_at", "approval_requests", ["status", "publish_at"]
    )
    op.create_table(
        "post_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        _ts("at", nullable=False),
        sa.Column("by_name", sa.String(128), nullable=False),
        sa.Column("by_platform", sa.String(16), nullable=True),
        sa.Column("by_workspace", sa.String(64), nullable=True),
        sa.Column("by_user", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_post_reviews"),
        _fk("post_reviews", "post_id", "posts"),
    )
    op.create_index("ix_post_reviews_post_id", "post_reviews", ["post_id"])


def downgrade() -> None:
    op.drop_table("post_reviews")
    op.drop_table("approval_requests")
    op.drop_table("approval_settings")
    # A target awaiting approval has no older state to fit in 16 characters: a draft again.
    op.execute(sa.text("UPDATE targets SET state = 'draft' WHERE state = 'awaiting_approval'"))
    with op.batch_alter_table("targets") as batch:
        batch.alter_column(
            "state", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False
        )
