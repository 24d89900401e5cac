"""Publishing, chat and analytics of one Ayrshare profile, as bootstrap wires them, share the
profile's one request window (publishing and chat first), against the fake Ayrshare."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from core.actions import Action
from core.errors import TransientError
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network, Profile, Tier
from core.ports import UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from core.replies import Reply, mark
from core.states import TargetState
from tests.analytics.support import FakeCharts
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger
from tests.pipeline.support import API_KEY, World

FB = Network.FACEBOOK
LIMIT, SHARE = 10, 6  # Ayrshare's 300 and 200 per 5 minutes, scaled down
WINDOW = timedelta(minutes=5)
CACHED = timedelta(seconds=45)  # how long a connections answer is reused


class Stamped(httpx.AsyncBaseTransport):
    """The fake Ayrshare's transport, noting when (on the test's clock) each request went."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: FixedClock) -> None:
        self.inner = inner
        self.clock = clock
        self.sent: list[tuple[datetime, str]] = []
        self.methods: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self.clock.now(), request.url.path))
        self.methods.append(request.method)
        return await self.inner.handle_async_request(request)

    def most_in_any_window(self) -> int:
        times = sorted(at for at, _ in self.sent)
        return max(sum(1 for t in times if at <= t < at + WINDOW) for at in times)

    def count(self, part: str, since: datetime, method: str | None = None) -> int:
        return sum(
            1
            for (at, path), m in zip(self.sent, self.methods, strict=True)
            if path.startswith("/api" + part) and at >= since and method in (None, m)
        )


@pytest.fixture
async def wired(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, tmp_path: Path
) -> AsyncIterator[tuple[Services, Stamped]]:
    stamped = Stamped(fake.transport(), clock)

    async def sleep(seconds: float) -> None:  # waiting moves the test's clock, at once
        clock.advance(timedelta(seconds=seconds))

    key_file = tmp_path / "ayrshare.pem"  # connect links need one (its content is not read)
    key_file.write_text(
        "-----BEGIN PRIVATE KEY-----\nTEST-ONLY-KEY-BODY\n-----END PRIVATE KEY-----\n"
    )
    settings = Settings(
        ayrshare_api_key=API_KEY,
        ayrshare_base_url=BASE_URL,
        ayrshare_analytics_budget=SHARE,
        ayrshare_domain="postroom.example",
        ayrshare_private_key_file=key_file,
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
    room: Room, clock: FixedClock
) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    assert services.analytics is not None
    sync = services.analytics.sync
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


@dataclass
class Room:
    """Ana's Pro profile with Facebook, in the wired bot."""

    services: Services
    stamped: Stamped
    world: World
    ana: Profile


@pytest.fixture
async def room(
    wired: tuple[Services, Stamped],
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
) -> Room:
    services, stamped = wired
    world = World(uow_factory, clock, dict(services.publishers), fake=fake)
    return Room(services, stamped, world, await world.profile("ana", [FB]))


def too_many(fake: FakeAyrshare, path: str, retry_after: int) -> None:
    """The next GET `path` is refused with a 429 and this Retry-After."""
    body = {"status": "error", "message": "Too many requests."}
    fake.fail_next(
        path, method="GET", status=429, json_body=body, headers={"Retry-After": str(retry_after)}
    )


def actor(user: str = "ana") -> Actor:
    chat = ChatRef(ChatPlatform.TELEGRAM, f"chat-{user}", kind=ChatKind.PRIVATE)
    return Actor(Identity(ChatPlatform.TELEGRAM, user), chat, user)


async def say(services: Services, text: str) -> Reply:
    reply = await services.postroom.handle_text(actor(), text)
    assert reply is not None
    return reply


async def tap(services: Services, data: str, clock: FixedClock) -> Reply:
    profile = await services.postroom.profile_for(actor())
    sealed = f"{data}~{mark(profile.id, clock.now())}"
    return await services.postroom.handle_tap(actor(), sealed, None)


def shown(reply: Reply) -> str:
    return "\n".join([reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)])


async def test_a_burst_of_status_then_posts_keeps_to_one_window(
    room: Room, clock: FixedClock
) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    t0 = clock.now()
    for _ in range(10):
        assert "ana on Facebook" in shown(await say(services, "/status"))
    # One lookup; the other nine were answered from it.
    assert stamped.count("/user", t0) == 1
    posts = [await world.post(ana, FB, text=f"after status {i}") for i in range(3)]
    await services.pipeline.tick()
    assert {(await world.get(p.id)).targets[FB].state for p in posts} == {TargetState.PUBLISHED}
    assert stamped.most_in_any_window() <= LIMIT

    # Past the cache's life /status asks again; a connect link makes the next one ask too.
    clock.advance(CACHED + timedelta(seconds=1))
    await say(services, "/status")
    await say(services, "/status")
    assert stamped.count("/user", t0) == 2
    await say(services, "/connect")
    await say(services, "/status")
    assert stamped.count("/user", t0) == 3


async def test_deletes_and_lookups_from_chat_count_in_the_window(
    room: Room, clock: FixedClock
) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    t0 = clock.now()
    first = [await world.post(ana, FB, text=f"first {i}") for i in range(4)]
    await services.pipeline.tick()
    for p in first:  # each one removed from Facebook: a DELETE /post each
        reply = await tap(services, Action.DELETE_CONFIRMED.data(p.id), clock)
        assert reply.text == f"Post #{p.id} deleted."
    assert stamped.count("/post", t0, "DELETE") == 4
    clock.advance(CACHED)
    await say(services, "/status")  # a real GET /user: nine requests in this window
    later = [await world.post(ana, FB, text=f"later {i}") for i in range(3)]
    await services.pipeline.tick()
    assert stamped.count("/post", t0, "POST") == 5  # one fitted; two wait for the window
    states = [(await world.get(p.id)).targets[FB] for p in later]
    assert sorted(t.state for t in states) == [
        TargetState.PUBLISHED,
        TargetState.SCHEDULED,
        TargetState.SCHEDULED,
    ]
    assert stamped.most_in_any_window() <= LIMIT
    clock.set(t0 + WINDOW)
    await services.pipeline.tick()
    assert {(await world.get(p.id)).targets[FB].state for p in later} == {TargetState.PUBLISHED}
    assert stamped.most_in_any_window() <= LIMIT


async def test_a_429_on_the_connections_lookup_holds_publishing(
    room: Room, clock: FixedClock, fake: FakeAyrshare
) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    t0 = clock.now()
    too_many(fake, "/user", 120)
    reply = await say(services, "/status")
    assert "Connections as last seen" in reply.text
    assert "ana on Facebook" in shown(reply)  # what was known stands
    post = await world.post(ana, FB)
    await services.pipeline.tick()
    assert world.posts_sent() == 0
    target = (await world.get(post.id)).targets[FB]
    assert target.state is TargetState.SCHEDULED
    assert target.due_at is not None and target.due_at >= t0 + timedelta(seconds=120)
    await say(services, "/status")  # held too: answered without asking
    assert stamped.count("/user", t0) == 1
    clock.set(t0 + timedelta(seconds=121))
    await services.pipeline.tick()
    assert (await world.get(post.id)).targets[FB].state is TargetState.PUBLISHED


async def test_a_long_wait_answers_the_user_at_once(room: Room, clock: FixedClock) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    t0 = clock.now()
    posts = [await world.post(ana, FB, text=f"busy {i}") for i in range(LIMIT)]
    await services.pipeline.tick()  # the whole window, spent on publishing
    busy = "Ayrshare is busy for your profile; try again in 300 s."

    reply = await say(services, "/status")
    assert reply.text == f"Your Postroom status\nConnections as last seen: {busy}"
    assert "ana on Facebook" in shown(reply)
    reply = await tap(services, Action.DELETE_CONFIRMED.data(posts[0].id), clock)
    assert reply.text == f"Post #{posts[0].id} deleted.\nCouldn't remove it from Facebook: {busy}"
    assert clock.now() == t0  # nobody was kept waiting
    assert stamped.count("/user", t0) == 0
    assert stamped.count("/post", t0, "DELETE") == 0
    assert stamped.most_in_any_window() == LIMIT


async def test_uploads_and_connect_links_count_in_the_primary_profiles_window(
    room: Room, clock: FixedClock
) -> None:
    # Both go without a Profile-Key, so Ayrshare counts them for the Primary Profile.
    services, stamped = room.services, room.stamped
    t0 = clock.now()
    for i in range(LIMIT):
        url = await services.media_host.host(b"\xff\xd8", filename=f"{i}.jpg", mime="image/jpeg")
        assert url.endswith(f"/{i}.jpg")
    with pytest.raises(TransientError) as caught:
        await services.media_host.host(b"\xff\xd8", filename="one-more.jpg", mime="image/jpeg")
    busy = "Ayrshare is busy for this server; try again in 300 s."
    assert caught.value.reason == busy
    assert (await say(services, "/connect")).text == busy
    assert stamped.count("/media/upload", t0) == LIMIT
    assert stamped.count("/profiles", t0) == 0
    assert clock.now() == t0


async def test_a_429_on_a_lookup_holds_publishing(
    room: Room, clock: FixedClock, fake: FakeAyrshare
) -> None:
    services, stamped, world, ana = room.services, room.stamped, room.world, room.ana
    lost = await world.post(ana, FB, text="lost answer")
    fake.refuse_connections(1, httpx.ReadTimeout)  # sent, answer lost: looked up later
    await services.pipeline.tick()
    assert (await world.get(lost.id)).targets[FB].state is TargetState.UNCONFIRMED
    too_many(fake, "/history", 200)
    clock.advance(timedelta(seconds=31))
    held_from = clock.now()
    await services.pipeline.tick()  # the lookup meets the 429
    assert stamped.count("/history", held_from) == 1
    post = await world.post(ana, FB, text="next one")
    await services.pipeline.tick()
    assert stamped.count("/post", held_from, "POST") == 0
    target = (await world.get(post.id)).targets[FB]
    assert target.state is TargetState.SCHEDULED
    assert target.due_at is not None and target.due_at >= held_from + timedelta(seconds=200)
