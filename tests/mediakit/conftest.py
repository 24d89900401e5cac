"""Media kit tests run on the SQL store (SQLite, or PostgreSQL per POSTROOM_TEST_DATABASE)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from tests.fakes.clock import FixedClock
from tests.mediakit.support import KitWorld, make_world


@pytest.fixture
async def world(uow_factory: SqlUnitOfWorkFactory, clock: FixedClock) -> AsyncIterator[KitWorld]:
    built = make_world(uow_factory, clock)
    yield built
    await built.http.aclose()
    await built.services.aclose()
