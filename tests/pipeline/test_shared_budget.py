"""Publishing and analytics of one Ayrshare profile, as bootstrap wires them, share the
profile's one request window (publishing first), against the fake Ayrshare."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.model import ChatPlatform, Network, Tier
from core.ports import UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from core.states import TargetState
from tests.analytics.support import FakeCharts
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger
from tests.pipeline.support import API_KEY, World

FB = Network.FACEBOOK
LIMIT, SHARE = 10, 6  # Ayrshare's 300 and 200 per 5 minutes, scaled down
WINDOW = timedelta(minutes=5)


class Stamped(httpx.AsyncBaseTransport):
    """The fake Ayrshare's transport, noting when (on the test's clock) each request went."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FixedClock) -> None:
        self.inner = inner
        self.clock = clock
        self.sent: list[tuple[datetime, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.now(), request.url.path))
        return await self.inner.handle_async_request(request)

    def most_in_any_window(self) -> int:
        times = sorted(at for at, _ in self.sent)
        return max(sum(1 for t in times if at <= t < at + WINDOW) for at in times)

    def count(self, part: str, since: datetime) -> int:
        return sum(1 for at, path in self.sent if path.startswith("/api" + part) and at >= since)


@pytest.fixture
async def wired(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare
) -> AsyncIterator[tuple[Services, Stamped]]:
    stamped = Stamped(fake.transport(), clock)

    async def sleep(seconds: float) -> None:  # waiting moves the test's clock, at once
        clock.advance(timedelta(seconds=seconds))

    settings = Settings(
        ayrshare_api_key=API_KEY,
        ayrshare_base_url=BASE_URL,
        ayrshare_analytics_budget=SHARE,
        default_tier=Tier.PRO,
    )
    services = bootstrap(
        settings,
        clock=clock,
        sleep=sleep,
        uow=uow_factory,
        http=httpx.AsyncClient(transport=stamped),
        charts=FakeCharts(),
        pipeline_config=PipelineConfig(profile_requests=LIMIT),
        messengers={ChatPlatform.TELEGRAM: RecordingMessenger()},
    )
    yield services, stamped
    await services.aclose()


async def test_a_busy_profile_keeps_to_one_window_and_publishing_goes_first(
    wired: tuple[Services, Stamped],
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
) -> None:
    services, stamped = wired
    assert services.analytics is not None
    sync = services.analytics.sync
    world = World(uow_factory, clock, dict(services.publishers), fake=fake)
    ana = await world.profile("ana", [FB])
    t0 = clock.now()
    for i in range(6):
        await world.post(ana, FB, text=f"morning {i}")
    await services.pipeline.tick()
    assert stamped.count("/post", t0) == 6

    # A minute later the six are due for their numbers, and eight more posts for publishing.
    clock.advance(timedelta(minutes=1))
    t1 = clock.now()
    later = [await world.post(ana, FB, text=f"noon {i}") for i in range(8)]
    await sync.sweep()  # analytics first: it takes only what is left of the window (4)
    assert stamped.count("/analytics", t1) == 4
    await services.pipeline.tick()  # nothing left this window: the posts wait, unharmed
    assert stamped.count("/post", t1) == 0
    states = [(await world.get(p.id)).targets[FB] for p in later]
    assert {t.state for t in states} == {TargetState.SCHEDULED}
    assert {t.due_at for t in states} == {t0 + WINDOW}
    assert stamped.most_in_any_window() == LIMIT

    # When the window frees six, analytics asks first again but stands aside for publishing.
    clock.set(t0 + WINDOW + timedelta(seconds=2))
    t2 = clock.now()
    await sync.sweep()  # (its waits move the clock on, a second at a time)
    assert stamped.count("/analytics", t2) == 0
    await services.pipeline.tick()
    assert {(await world.get(p.id)).targets[FB].state for p in later} == {TargetState.PUBLISHED}
    assert stamped.count("/analytics", t2) == 0
    assert stamped.most_in_any_window() <= LIMIT
