"""Channels linked to a profile: one-time link codes (hashed) and the links.

Revision ID: 0004_links
Revises: 0003_post_ids
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_links"
down_revision: str | Sequence[str] | None = "0003_post_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _profile_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["profile_id"], ["profiles.id"], name=f"fk_{table}_profile_id_profiles", ondelete="CASCADE"
    )


def upgrade() -> None:
    # Naive UTC timestamps (adapters.db.tables.UTCDateTime adds the time zone back on reading).
    op.create_table(
        "link_codes",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=False), nullable=True),
        sa.PrimaryKeyConstraint("digest", name="pk_link_codes"),
        _profile_fk("link_codes"),
    )
    op.create_index("ix_link_codes_profile_id", "link_codes", ["profile_id"])
    op.create_table(
        "chat_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("title", sa.String(128), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chat_links"),
        sa.UniqueConstraint(
            "platform", "workspace", "subject", name="uq_chat_links_platform_workspace_subject"
        ),
        _profile_fk("chat_links"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_chat_links_profile_id", "chat_links", ["profile_id"])


def downgrade() -> None:
    op.drop_table("chat_links")
    op.drop_table("link_codes")
