"""Fixtures for core tests."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness


@pytest.fixture
def harness() -> Harness:
    return Harness()


@pytest.fixture
def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    """A console group and its members, on SQL (teams are stored there only)."""
    return TeamHarness(Harness(uow=uow_factory))
