"""Shared fixtures: a migrated database per test (SQLite file or PostgreSQL), keyring, clock.

POSTROOM_TEST_DATABASE picks the database: unset or `sqlite` gives each test a fresh SQLite
file; a `postgresql+asyncpg://...` URL uses that server (schema rebuilt once per session,
tables truncated before each test).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import warnings
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.migrate import upgrade
from adapters.db.tables import Base
from adapters.db.uow import SqlUnitOfWorkFactory
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.stripe_api import FakeStripe

DATABASE_ENV = "POSTROOM_TEST_DATABASE"
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _requested_database() -> str:
    return os.environ.get(DATABASE_ENV, "").strip() or "sqlite"


@pytest.fixture(scope="session")
def db_backend() -> str:
    """`sqlite` or `postgresql`: which database the SQL fixtures use (touches no database)."""
    requested = _requested_database()
    if requested == "sqlite":
        return "sqlite"
    if requested.startswith("postgresql+asyncpg://"):
        return "postgresql"
    pytest.fail(
        f"{DATABASE_ENV}={requested!r}: use `sqlite` or a postgresql+asyncpg:// URL",
        pytrace=False,
    )


async def _reachable(url: str) -> str | None:
    """None when the server answers, else why not."""
    engine = make_engine(url)
    try:
        async with asyncio.timeout(10), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as e:
        return f"{type(e).__name__}: {e}"
    finally:
        await engine.dispose()
    return None


async def _rebuild_schema(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(db_backend: str) -> str:
    """The PostgreSQL URL, its `public` schema rebuilt and migrated once per session."""
    if db_backend != "postgresql":
        pytest.skip("needs PostgreSQL (set POSTROOM_TEST_DATABASE to a postgresql+asyncpg URL)")
    url = _requested_database()
    # Its own thread and event loop: pytest-asyncio owns the loop of the test being set up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        problem = pool.submit(asyncio.run, _reachable(url)).result()
        if problem is not None:
            shown = make_url(url).render_as_string(hide_password=True)
            message = f"PostgreSQL at {shown} ({DATABASE_ENV}) is unreachable: {problem}"
            if os.environ.get("CI"):
                pytest.fail(message, pytrace=False)
            print(f"\n!!! {message}; skipping the PostgreSQL tests !!!\n", file=sys.stderr)
            warnings.warn(message, stacklevel=1)
            pytest.skip(message)
        pool.submit(asyncio.run, _rebuild_schema(url)).result()
    return url


@pytest.fixture
def db_url(request: pytest.FixtureRequest, db_backend: str, tmp_path: Path) -> str:
    if db_backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'postroom.db'}"
    url = request.getfixturevalue("postgres_url")
    assert isinstance(url, str)
    return url


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per session: each test's database starts as a copy of it
    (running the migrations costs about 0.1 s a test, copying the file well under 1 ms)."""
    path = tmp_path_factory.mktemp("template") / "postroom.db"
    # Its own thread and event loop: pytest-asyncio owns the loop of the test being set up.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _migrate(f"sqlite+aiosqlite:///{path}")).result()
    # Closing the last connection checkpoints the write-ahead log into the file itself.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
async def engine(
    request: pytest.FixtureRequest, db_url: str, db_backend: str
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database."""
    if db_backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, make_url(db_url).database or "")
    engine = make_engine(db_url)
    if db_backend != "sqlite":
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring({"test": os.urandom(32)})


@pytest.fixture
def uow_factory(engine: AsyncEngine, keyring: Keyring) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(make_session_factory(engine), keyring)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    """The fake Slack Web API on 127.0.0.1 (slack_sdk speaks aiohttp, real HTTP)."""
    fake = FakeSlackAPI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    """The fake Stripe API on 127.0.0.1 (tests/stripe, and Stripe from Slack and Telegram)."""
    fake = FakeStripe()
    await fake.start()
    yield fake
    await fake.stop()
