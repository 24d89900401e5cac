"""Post ids are never handed out twice: SQLite AUTOINCREMENT on posts.

Without AUTOINCREMENT SQLite gives a new row the largest id in the table plus one, so deleting
the newest post hands its number to the next one, and an old button of the deleted post acts
on the new one (https://www.sqlite.org/autoinc.html). PostgreSQL's SERIAL sequence never
hands out a number twice, whatever is deleted: nothing to do there.

Revision ID: 0003_post_ids
Revises: 0002_analytics
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003_post_ids"
down_revision: str | Sequence[str] | None = "0002_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_posts(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    # The rebuild drops the old table; with foreign keys on, that deletes every target, tag and
    # measurement of every post (ON DELETE CASCADE). adapters.db.migrate turns them off.
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("rebuilding posts needs PRAGMA foreign_keys=OFF (adapters.db.migrate)")
    with op.batch_alter_table(
        "posts", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    # The copied rows carry their ids, so SQLite's counter starts after the largest one kept.
    _rebuild_posts(autoincrement=True)


def downgrade() -> None:
    _rebuild_posts(autoincrement=False)
