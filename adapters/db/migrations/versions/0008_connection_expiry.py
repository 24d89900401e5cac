"""Connections remember when our access ends (an Instagram token, a Pro link's refresh date).

Revision ID: 0008_connection_expiry
Revises: 0007_chat_state
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_connection_expiry"
down_revision: str | Sequence[str] | None = "0007_chat_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Naive UTC like every timestamp (adapters.db.tables.UTCDateTime); NULL = no known end.
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=False), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("expires_at")
