"""Profile ids are never handed out twice: SQLite AUTOINCREMENT on profiles.

/forget deletes a profile. Without AUTOINCREMENT SQLite gives a new row the largest id in the
table plus one (https://www.sqlite.org/autoinc.html), so deleting the newest profile would hand
its number to the next person who writes to the bot, and the deleted profile's sealed buttons
(bound to that number, `core.replies.Seal`) would act for them. PostgreSQL's SERIAL sequence
never hands out a number twice: nothing to do there.

Revision ID: 0010_profile_ids
Revises: 0009_instagram_login
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_profile_ids"
down_revision: str | Sequence[str] | None = "0009_instagram_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_profiles(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The rebuild drops the old table; with foreign keys on, that would delete every row that
    # refers to a profile (ON DELETE CASCADE). adapters.db.migrate turns them off.
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError(
            "rebuilding profiles needs PRAGMA foreign_keys=OFF (adapters.db.migrate)"
        )
    with op.batch_alter_table(
        "profiles", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    # The copied rows carry their ids, so SQLite's counter starts after the largest one kept.
    _rebuild_profiles(autoincrement=True)


def downgrade() -> None:
    _rebuild_profiles(autoincrement=False)
