"""Drafts and versions: a network's own text per target, a draft's last edit, the draft each
chat user has open.

Revision ID: 0019_drafts
Revises: 0018_planning
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_drafts"
down_revision: str | Sequence[str] | None = "0018_planning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: the post's main text, so every existing target keeps what it had.
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("text", sa.Text(), nullable=True))
    # Naive UTC like every timestamp (adapters.db.tables.UTCDateTime); NULL = as created.
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=False), nullable=True))
    op.create_table(
        "draft_focus",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("chat_id", sa.String(128), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("newest", sa.Integer(), nullable=False),
        sa.Column("awaiting", sa.String(16), nullable=True),
        sa.Column("network", sa.String(16), nullable=True),
        sa.Column("until", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint(
            "profile_id", "platform", "workspace", "user_id", "chat_id", name="pk_draft_focus"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_draft_focus_profile_id_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_draft_focus_post_id_posts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_draft_focus_post_id", "draft_focus", ["post_id"])


def downgrade() -> None:
    op.drop_table("draft_focus")
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("edited_at")
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("text")
