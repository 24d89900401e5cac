"""Team profiles: a chat's shared profile, and its members with their roles.

Revision ID: 0014_teams
Revises: 0013_star_charges
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_teams"
down_revision: str | Sequence[str] | None = "0013_star_charges"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Timestamps are naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("chat", sa.String(128), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profiles.id"],
            name="fk_teams_profile_id_profiles",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("profile_id", name="uq_teams_profile_id"),
        sa.UniqueConstraint(
            "platform", "workspace", "chat", name="uq_teams_platform_workspace_chat"
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("handle", sa.String(64), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=False), nullable=True),
        sa.Column("posting", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "team_id", "platform", "workspace", "user_id", name="pk_team_members"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name="fk_team_members_team_id_teams", ondelete="CASCADE"
        ),
    )
    op.create_index(
        "ix_team_members_platform_workspace_user_id",
        "team_members",
        ["platform", "workspace", "user_id"],
    )


def downgrade() -> None:
    op.drop_table("team_members")
    op.drop_table("teams")
