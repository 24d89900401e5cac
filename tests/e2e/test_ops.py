"""/metrics and /readyz through the web app, after real work: a publish against the fake
Ayrshare, a Telegram send (with a 429) against the fake Bot API, a digest delivered."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine, ping
from adapters.telegram.limiter import TelegramRateLimiter
from bot.bootstrap import Services, bootstrap
from bot.ops import ops_routes
from bot.settings import Settings
from bot.web import create_app
from core.model import ChatPlatform, ChatRef, MessageRef
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.e2e.test_ayrshare_flow import VIDEO, actor, button, pro_profile, say
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.telegram.driver import VirtualTime

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def _get(services: Services, path: str) -> httpx.Response:
    return await _get_from(services.engine, services, path)


async def _get_from(engine: AsyncEngine, services: Services, path: str) -> httpx.Response:
    app = create_app(lambda: ping(engine), ops_routes(engine, services.telemetry, services.clock))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        return await client.get(path)


async def scrape(services: Services) -> Samples:
    response = await _get(services, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@dataclass
class Bot:
    services: Services
    ayrshare: FakeAyrshare
    bot_api: FakeTelegramAPI


@pytest.fixture
async def bot(
    db_url: str, engine: AsyncEngine, tmp_path: Path, clock: FixedClock, secret_spec: str
) -> AsyncIterator[Bot]:
    """The whole bot (bot.bootstrap) on Ayrshare with the Telegram front end, both fakes
    behind it."""
    ayrshare = FakeAyrshare()
    bot_api = FakeTelegramAPI()
    pem = tmp_path / "ayrshare.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\nTEST-ONLY-KEY-BODY\n-----END PRIVATE KEY-----\n")
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": secret_spec,
            "http_port": 0,
            "ayrshare_api_key": ayrshare.api_key,
            "ayrshare_base_url": BASE_URL,
            "ayrshare_domain": "postroom.example",
            "ayrshare_private_key_file": pem,
            "default_tier": "pro",
            "telegram_token": TOKEN,
        }
    )
    time = VirtualTime()
    services = bootstrap(
        settings,
        http=ayrshare.http_client(),
        clock=clock,
        messengers={ChatPlatform.CONSOLE: RecordingMessenger()},
        telegram_transport=bot_api.transport(),
        telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
    )
    assert services.telegram is not None
    await services.telegram.application.initialize()  # getMe
    yield Bot(services, ayrshare, bot_api)
    await services.telegram.application.shutdown()
    await services.aclose()


async def test_metrics_move_with_a_publish_a_telegram_send_and_a_digest(
    bot: Bot, clock: FixedClock
) -> None:
    services, fake, bot_api = bot.services, bot.ayrshare, bot.bot_api
    before = await scrape(services)
    assert (
        value(before, "postroom_publish_outcomes_total", route="ayrshare", outcome="published")
        == 0
    )
    assert value(before, "postroom_queue_read_ok") == 1
    assert value(before, "postroom_upstream_requests_total", upstream="telegram") == 1  # getMe

    # A publish: one Ayrshare request for two networks, one of them refused.
    await pro_profile(services, fake, "facebook", "tiktok")
    fake.fail_platform("tiktok", 136, "Media URL is not reachable.")
    composer = await say(services, f"/post Launch day! media: {VIDEO}")
    message = MessageRef(actor().chat, "1")
    await services.postroom.handle_tap(actor(), button(composer, "Publish now"), message)
    await services.pipeline.run_until_idle()

    # A Telegram send that meets one 429 first (the limiter waits and retries).
    bot_api.fail_next(
        "sendMessage", code=429, description="Too Many Requests: retry after 1", retry_after=1
    )
    telegram_messenger = services.messengers[ChatPlatform.TELEGRAM]
    await telegram_messenger.send(ChatRef(ChatPlatform.TELEGRAM, "42"), Reply("Hello"))

    # A post due an hour ago that no worker has taken yet: the queue and its lag.
    await say(services, f"/post Later media: {VIDEO}")
    await say(services, "/schedule in 1h")
    clock.advance(timedelta(hours=2))

    after = await scrape(services)
    published = value(
        after, "postroom_publish_outcomes_total", route="ayrshare", outcome="published"
    )
    failed = value(after, "postroom_publish_outcomes_total", route="ayrshare", outcome="failed")
    assert (published, failed) == (1, 1)
    assert value(after, "postroom_publish_seconds_count", route="ayrshare") == 1
    # /connect (profile, JWT links), /user, /post: every Ayrshare request is counted.
    assert value(after, "postroom_upstream_requests_total", upstream="ayrshare") == len(
        fake.requests
    )
    # Ayrshare answers a post with a refused network with HTTP 400: an upstream error.
    assert value(after, "postroom_upstream_errors_total", upstream="ayrshare") == 1
    assert value(after, "postroom_upstream_requests_total", upstream="telegram") == 3
    assert value(after, "postroom_upstream_rate_limited_total", upstream="telegram") == 1
    assert value(after, "postroom_upstream_errors_total", upstream="telegram") == 1
    assert value(after, "postroom_chat_messages_sent_total", platform="telegram") == 1
    assert value(after, "postroom_posts", state="partial") == 1
    assert value(after, "postroom_posts", state="scheduled") == 1
    assert value(after, "postroom_queue_depth") == 2  # its two targets
    assert value(after, "postroom_queue_due_lag_seconds") == pytest.approx(3600, abs=60)

    # A digest delivered to the console chat moves the digests gauge.
    await say(services, "/digest on")
    clock.advance(timedelta(days=1))
    assert services.analytics is not None
    await services.analytics.runner.tick()
    digests = await scrape(services)
    assert value(digests, "postroom_digests", status="sent") == 1


async def test_metrics_count_database_errors(make_services: BuildServices) -> None:
    services = await make_services()
    assert value(await scrape(services), "postroom_db_errors_total") == 0
    with pytest.raises(Exception, match="no_such_table"):
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))
    assert value(await scrape(services), "postroom_db_errors_total") == 1


def _dead_postgres() -> AsyncEngine:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none")


async def test_metrics_answer_without_queue_gauges_when_the_database_is_down(
    make_services: BuildServices,
) -> None:
    services = await make_services()
    down = _dead_postgres()
    try:
        response = await _get_from(down, services, "/metrics")
    finally:
        await down.dispose()
    assert response.status_code == 200
    assert "postroom_queue_read_ok 0.0" in response.text
    assert "postroom_queue_depth" not in response.text


async def test_readyz_needs_a_reachable_and_migrated_database(
    make_services: BuildServices, tmp_path: Path
) -> None:
    services = await make_services()
    ready = await _get(services, "/readyz")
    assert ready.status_code == 200 and ready.json()["schema"] == "current"

    empty = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    down = _dead_postgres()
    try:
        unmigrated = await _get_from(empty, services, "/readyz")
        unreachable = await _get_from(down, services, "/readyz")
        alive = await _get_from(empty, services, "/healthz")
    finally:
        await empty.dispose()
        await down.dispose()
    assert unmigrated.status_code == 503
    assert "the schema is at revision none" in unmigrated.json()["problem"]
    assert unreachable.status_code == 503
    assert unreachable.json()["problem"] == "the database does not answer"
    assert alive.status_code == 200  # liveness does not care about migrations
