"""Analytics tests run against the SQL store (SQLite, or PostgreSQL per POSTROOM_TEST_DATABASE):
reports, digests and numbers are read-side queries, which only the database answers."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.ports import UnitOfWorkFactory


@pytest.fixture
def store(uow_factory: SqlUnitOfWorkFactory) -> UnitOfWorkFactory:
    return uow_factory
