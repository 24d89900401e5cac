"""Analytics tests run against the SQL store (SQLite or PostgreSQL, per POSTROOM_TEST_DATABASE)
and, where marked, the in-memory store too, which must behave the same."""

from __future__ import annotations

import pytest

from adapters.memory.store import InMemoryUnitOfWorkFactory
from core.ports import UnitOfWorkFactory


@pytest.fixture(params=["sql", "memory"])
def store(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    factory = request.getfixturevalue("uow_factory")
    assert callable(factory)
    return factory  # type: ignore[no-any-return]
