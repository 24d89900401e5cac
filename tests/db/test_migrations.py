"""The Alembic migration builds exactly the schema adapters.db.tables declares."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine
from adapters.db.migrate import (
    MIGRATIONS,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from adapters.db.tables import Base

ROOT = Path(__file__).resolve().parents[2]


def _diffs(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrated_schema_matches_the_metadata(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_diffs) == []
        tables = await connection.run_sync(_tables)
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    head = head_revision()
    assert head is not None and await current_revision(engine) == head


async def test_comparison_notices_a_missing_column(engine: AsyncEngine) -> None:
    # Guards the test above against comparing nothing at all.
    async with engine.begin() as connection:
        await connection.exec_driver_sql("ALTER TABLE targets DROP COLUMN error")
        diffs = await connection.run_sync(_diffs)
        await connection.rollback()
    assert [(d[0], d[2], d[3].name) for d in diffs] == [("add_column", "targets", "error")]


async def test_fresh_database_starts_unversioned_and_upgrades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh' / 'db.sqlite'}")
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        await upgrade(engine)  # already at head: nothing to do
        async with engine.connect() as connection:
            assert await connection.run_sync(_diffs) == []
        await downgrade(engine, "base")  # drops every table
        assert await current_revision(engine) is None
        async with engine.connect() as connection:
            assert await connection.run_sync(_tables) == {"alembic_version"}
    finally:
        await engine.dispose()


def test_alembic_cli_migrates_a_url(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite'}"
    ini = MIGRATIONS / "alembic.ini"
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", "upgrade", "head"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    check = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", "current"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert f"{head_revision()} (head)" in check.stdout, check.stderr


def test_alembic_cli_without_url_says_how_to_give_one(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(MIGRATIONS / "alembic.ini"), "current"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "-x url=" in done.stderr


@pytest.mark.parametrize("name", ["env.py", "script.py.mako", "versions/0001_initial.py"])
def test_migration_files_ship_with_the_package(name: str) -> None:
    assert (MIGRATIONS / name).is_file()
    assert MIGRATIONS.is_relative_to(ROOT / "adapters")


async def test_revisions_are_read_without_alembic_as_alembic_reads_them(tmp_path: Path) -> None:
    """The bot checks its schema at every start without importing Alembic (~10 MB)."""
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}")
    try:
        await upgrade(engine, "0001")
        async with engine.connect() as connection:
            theirs = await connection.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )
        assert await current_revision(engine) == theirs == "0001"
    finally:
        await engine.dispose()
