"""Instagram Login: single-use login states; provider accounts keep a token's dates and scopes.

Revision ID: 0009_instagram_login
Revises: 0008_connection_expiry
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_instagram_login"
down_revision: str | Sequence[str] | None = "0008_connection_expiry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool) -> sa.Column[object]:
    # Naive UTC like every timestamp (adapters.db.tables.UTCDateTime).
    return sa.Column(name, sa.DateTime(timezone=False), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "login_states",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("network", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("chat", sa.String(128), nullable=False),
        sa.Column("chat_kind", sa.String(16), nullable=False),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_login_states"),
    )
    op.create_index("ix_login_states_expires_at", "login_states", ["expires_at"])
    with op.batch_alter_table("provider_accounts") as batch:
        batch.add_column(_when("expires_at", nullable=True))
        batch.add_column(_when("issued_at", nullable=True))
        batch.add_column(sa.Column("scopes", sa.Text(), nullable=False, server_default=""))
        batch.add_column(_when("refresh_after", nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider_accounts") as batch:
        batch.drop_column("refresh_after")
        batch.drop_column("scopes")
        batch.drop_column("issued_at")
        batch.drop_column("expires_at")
    op.drop_index("ix_login_states_expires_at", table_name="login_states")
    op.drop_table("login_states")
