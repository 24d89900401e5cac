"""Payment records outlive their profile, and a subscription keeps its provider's state time.

Handled events and Stars charges are kept with the owner cleared when a profile is deleted
(/forget), so a replayed event or charge stays a no-op; `subscriptions.state_at` is when the
provider was in the stored state (an older state read later does not replace it).

Revision ID: 0020_payment_records
Revises: 0019_drafts
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_payment_records"
down_revision: str | Sequence[str] | None = "0019_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _profile_fk(table: str, batch: object, ondelete: str) -> None:
    name = f"fk_{table}_profile_id_profiles"
    batch.drop_constraint(name, type_="foreignkey")  # type: ignore[attr-defined]
    batch.create_foreign_key(  # type: ignore[attr-defined]
        name, "profiles", ["profile_id"], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("subscriptions") as batch:
        # Naive UTC (adapters.db.tables.UTCDateTime adds the time zone back).
        batch.add_column(sa.Column("state_at", sa.DateTime(timezone=False), nullable=True))
    with op.batch_alter_table("billing_events") as batch:
        _profile_fk("billing_events", batch, "SET NULL")
    with op.batch_alter_table("star_charges") as batch:
        batch.alter_column("profile_id", existing_type=sa.Integer(), nullable=True)
        _profile_fk("star_charges", batch, "SET NULL")


def downgrade() -> None:
    # Records of deleted profiles have no owner to go back to.
    op.execute("DELETE FROM star_charges WHERE profile_id IS NULL")
    with op.batch_alter_table("star_charges") as batch:
        batch.alter_column("profile_id", existing_type=sa.Integer(), nullable=False)
        _profile_fk("star_charges", batch, "CASCADE")
    with op.batch_alter_table("billing_events") as batch:
        _profile_fk("billing_events", batch, "CASCADE")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("state_at")
