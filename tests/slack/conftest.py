"""Fixtures: the whole bot over the test database and the sandbox, its Slack front end mounted
in the web app, and the fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.db.engine import ping
from adapters.slack.limiter import ChannelPace
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from bot.slack import SlackService
from bot.web import create_app
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.slack.driver import SIGNING_SECRET, SlackDriver
from tests.slack.installs import ONE, TWO, install
from tests.telegram.driver import VirtualTime


@dataclass
class System:
    fake: FakeSlackAPI
    services: Services
    service: SlackService
    slack: SlackDriver
    time: VirtualTime


def _open_sessions() -> list[aiohttp.ClientSession]:
    return [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed]


@pytest.fixture(autouse=True)
def every_session_closed() -> Iterator[None]:
    """Fails a test that leaves an aiohttp session open (what aiohttp reports as "Unclosed
    client session" when it is collected): each is closed by its owner at shutdown."""
    before = {id(s) for s in _open_sessions()}
    yield
    gc.collect()
    left = [s for s in _open_sessions() if id(s) not in before]
    assert not left, f"{len(left)} aiohttp session(s) left open"


def base_values(db_url: str, tmp_path: Path, fake: FakeSlackAPI) -> dict[str, Any]:
    """Settings every Slack system here shares: the test database, keys, the fake Web API."""
    return {
        "database_url": db_url,
        "var_dir": tmp_path / "var",
        "secret_keys": generate_key_spec("t1"),
        "default_tier": "pro",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
    }


@asynccontextmanager
async def running(
    values: dict[str, Any], clock: FixedClock, fake: FakeSlackAPI, **overrides: Any
) -> AsyncIterator[System]:
    """The bot built from `values` (and bootstrap's `overrides`) with its Slack service started
    and mounted in the web app
    (https: bolt's OAuth state cookie is Secure, so a client on http:// would not send it)."""
    settings = Settings.model_validate(values)
    time = VirtualTime()
    pace = ChannelPace(clock=time.clock, sleep=time.sleep)
    services = bootstrap(settings, clock=clock, slack_pace=pace, **overrides)
    service = SlackService(settings, services, wake=services.pipeline.run_until_idle)
    await service.start()
    web = create_app(lambda: ping(services.engine), service.routes)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="https://bot")
    try:
        yield System(fake, services, service, SlackDriver(client, fake, service.stop), time)
    finally:
        await client.aclose()
        await service.stop()
        await services.aclose()


@pytest.fixture
async def system(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_slack: FakeSlackAPI
) -> AsyncIterator[System]:
    values = base_values(db_url, tmp_path, fake_slack) | {
        "sandbox_fail": "linkedin",  # LinkedIn's first attempt of each post fails; a retry works
        "slack_bot_token": BOT_TOKEN,
    }
    async with running(values, clock, fake_slack) as system:
        yield system


@pytest.fixture
async def many(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_slack: FakeSlackAPI
) -> AsyncIterator[System]:
    """Many workspaces: the client id and secret instead of a bot token."""
    client_id, client_secret = fake_slack.client
    values = base_values(db_url, tmp_path, fake_slack) | {
        "slack_client_id": client_id,
        "slack_client_secret": client_secret,
    }
    async with running(values, clock, fake_slack) as system:
        yield system


@pytest.fixture
async def two(many: System) -> System:
    """Installed in workspaces ONE and TWO."""
    await install(many, ONE)
    await install(many, TWO)
    return many
