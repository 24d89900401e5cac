"""The repository contract fixture: every test runs on the in-memory store and on SQL."""

from __future__ import annotations

from typing import cast

import pytest

from core.ports import UnitOfWorkFactory
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory


@pytest.fixture(params=["memory", "sql"])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    """Both implementations of the port, in one run."""
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    return cast(UnitOfWorkFactory, request.getfixturevalue("uow_factory"))
