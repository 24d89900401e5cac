"""The engage inbox: comments found on published posts, per-target comment checks, settings.

Revision ID: 0021_engage
Revises: 0020_payment_records
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_engage"
down_revision: str | Sequence[str] | None = "0020_payment_records"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("message_platform", sa.String(16), nullable=True),
        sa.Column("message_workspace", sa.String(64), nullable=True),
        sa.Column("message_chat", sa.String(128), nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("reply_draft", sa.Text(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_comments"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_comments_profile_id_profiles",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_comments_post_id_posts", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("network", "external_id", name="uq_comments_network_external_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_comments_state_pushed_at", "comments", ["state", "pushed_at"])
    op.create_index("ix_comments_profile_id_found_at", "comments", ["profile_id", "found_at"])
    op.create_index("ix_comments_post_id", "comments", ["post_id"])
    op.create_table(
        "comment_checks",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "network", name="pk_comment_checks"),
        sa.ForeignKeyConstraint(
            ["post_id"], ["posts.id"], name="fk_comment_checks_post_id_posts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_comment_checks_next_at", "comment_checks", ["next_at"])
    op.create_table(
        "engage_settings",
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("quiet", sa.Boolean(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=False),
        sa.Column("quiet_end", sa.Integer(), nullable=False),
        sa.Column("pending_comment", sa.Integer(), nullable=True),
        sa.Column("pending_platform", sa.String(16), nullable=True),
        sa.Column("pending_workspace", sa.String(64), nullable=True),
        sa.Column("pending_chat", sa.String(128), nullable=True),
        sa.Column("pending_kind", sa.String(16), nullable=True),
        sa.Column("pending_since", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("profile_id", name="pk_engage_settings"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_engage_settings_profile_id_profiles",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("engage_settings")
    op.drop_table("comment_checks")
    op.drop_table("comments")
