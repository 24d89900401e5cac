"""Planning tests run through Postroom (bot.bootstrap) on SQL: SQLite, or PostgreSQL with
POSTROOM_TEST_DATABASE."""

from __future__ import annotations

import pytest

from core.model import Tier
from core.ports import UnitOfWorkFactory
from tests.core.harness import Harness


@pytest.fixture
async def h(uow_factory: UnitOfWorkFactory) -> Harness:
    return Harness(tier=Tier.PRO, uow=uow_factory)
