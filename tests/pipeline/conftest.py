"""Fixtures shared by the pipeline tests: the fake Ayrshare and an HTTP client wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import fake_ayrshare


@pytest.fixture
def fake(clock: FixedClock) -> FakeAyrshare:
    return fake_ayrshare(clock)


@pytest.fixture
async def http(fake: FakeAyrshare) -> AsyncIterator[httpx.AsyncClient]:
    async with fake.http_client() as client:
        yield client
