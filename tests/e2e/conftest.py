"""Fixtures for end-to-end tests: the real composition root (`bot.bootstrap`) on the test DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.model import ChatPlatform
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

BuildServices = Callable[..., Awaitable[Services]]


@pytest.fixture
def secret_spec() -> str:
    return generate_key_spec("t1")


@pytest.fixture
async def make_services(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, secret_spec: str
) -> AsyncIterator[BuildServices]:
    """Build the whole bot on the migrated test database; `fake` switches to Ayrshare (over
    `http` when given: a client that also reaches other fakes)."""
    built: list[Services] = []

    async def make(
        fake: FakeAyrshare | None = None,
        *,
        http: httpx.AsyncClient | None = None,
        telegram_transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> Services:
        values: dict[str, Any] = {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": secret_spec,
            "http_port": 0,
        }
        if fake is not None:
            values |= {
                "ayrshare_api_key": fake.api_key,
                "ayrshare_base_url": BASE_URL,
                "ayrshare_domain": "postroom.example",
                "ayrshare_private_key_file": _private_key(tmp_path),
                "default_tier": "pro",
            }
        values |= overrides
        settings = Settings.model_validate(values)
        if http is None and fake is not None:
            http = fake.http_client()
        services = bootstrap(
            settings,
            http=http,
            clock=clock,
            messengers={ChatPlatform.CONSOLE: RecordingMessenger()},
            telegram_transport=telegram_transport,
        )
        built.append(services)
        return services

    yield make
    for services in built:
        await services.aclose()


def _private_key(tmp_path: Path) -> Path:
    path = tmp_path / "ayrshare.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nTEST-ONLY-KEY-BODY\n-----END PRIVATE KEY-----\n")
    return path
