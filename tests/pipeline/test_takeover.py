"""Several workers: progress messages are durable (any process finishes a dead worker's edit),
leases are short and renewed by a heartbeat, a restarted worker takes its own back at once."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from datetime import timedelta

import httpx
import pytest

from bot.ticker import Ticker
from core.model import ChatPlatform, ChatRef, MessageRef, Network, Post, Route
from core.ports import (
    Messenger,
    Outcome,
    Publisher,
    PublishRequest,
    UnitOfWorkFactory,
)
from core.publishing.config import PipelineConfig
from core.publishing.pipeline import Pipeline
from core.publishing.progress import ProgressNotifier
from core.replies import Reply
from core.states import TargetState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger
from tests.pipeline.support import Crashing, World, ayrshare

S = TargetState
FB = Network.FACEBOOK


class Held(Crashing):
    """Wraps a publisher: while `gate` is closed, a publish waits before it leaves (a request
    that takes long, or a worker frozen in it)."""

    def __init__(self, inner: Publisher) -> None:
        super().__init__(inner)
        self.gate = asyncio.Event()
        self.gate.set()

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        await self.gate.wait()
        return await self.inner.publish(request)


class StalledEdits:
    """A chat whose edits never come back (the worker dies in the middle of one); sends work."""

    def __init__(self, inner: RecordingMessenger) -> None:
        self.inner = inner
        self.gate = asyncio.Event()

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        return await self.inner.send(chat, reply)

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        await self.gate.wait()
        await self.inner.edit(message, reply)


class FlakyEdits(RecordingMessenger):
    """Refuses the next `failures` edits (Telegram unreachable for a moment)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("Telegram is unreachable")
        await super().edit(message, reply)


@pytest.fixture
def held(fake: FakeAyrshare, http: httpx.AsyncClient) -> Held:
    return Held(ayrshare(fake, http))


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, held: Held
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: held}, fake=fake)


def worker(world: World, name: str, messenger: Messenger) -> Pipeline:
    """A worker process of its own, with its own chat connection."""
    notifier = ProgressNotifier(world.uow, {ChatPlatform.TELEGRAM: messenger})
    return Pipeline(
        world.uow,
        world.publishers,
        world.accounts,
        notifier,
        world.clock,
        PipelineConfig(worker=name),
        rng=random.Random(7),
    )


async def until(condition: Callable[[], object]) -> None:
    """Let the background work run until `condition()` holds (within 5 s of real time: the
    database answers from its own thread or server)."""
    for _ in range(5000):
        if await condition() if asyncio.iscoroutinefunction(condition) else condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("never happened")


async def test_another_worker_finishes_the_edit_of_a_worker_that_died(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    chat = StalledEdits(world.messenger)
    first = worker(world, "worker-1", chat)

    await first.step()  # "publishing…", the request, its outcome recorded; the edit hangs

    async def published() -> bool:
        return (await world.states(post.id)) == {FB: S.PUBLISHED}

    await until(published)
    await until(lambda: chat.gate is not None and world.messenger.sent)
    message = (await world.get(post.id)).progress
    assert message is not None  # stored with the first render, not only in worker-1's memory
    assert "⏳ publishing…" in repr(world.progress_of(await world.get(post.id)))

    second = world.worker("worker-2")
    await second.tick()  # worker-1's lease still holds: it may yet finish its edit
    assert world.messenger.edits == []
    clock.advance(first.config.lease + timedelta(seconds=1))  # worker-1 is gone
    await second.tick()

    shown = world.progress_of(await world.get(post.id))
    assert "✅ published" in repr(shown)
    assert len(world.messenger.sent) == 1  # the same message, edited
    assert world.posts_sent() == 1
    chat.gate.set()  # let worker-1's task end before the test does
    await first.drain()


async def sending(world: World, held: Held, first: Pipeline) -> Post:
    """A post whose request `first` has sent and that has not come back."""
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    held.gate.clear()
    await first.step()
    await until(lambda: world.messenger.sent)  # "publishing…" is shown
    return post


async def test_a_dead_workers_claims_are_taken_over_within_seconds(
    world: World, held: Held, clock: FixedClock
) -> None:
    first = world.worker("worker-1")
    post = await sending(world, held, first)  # worker-1's process is killed now
    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.locked_by) == (S.PUBLISHING, "worker-1")

    clock.advance(timedelta(seconds=16))  # a few seconds, not the slowest request's time
    second = world.worker("worker-2")
    await second.recover()

    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.locked_by) == (S.UNCONFIRMED, None)  # looked up next
    held.gate.set()
    await first.drain()


async def test_a_live_worker_keeps_its_claim_however_long_its_request_takes(
    world: World, held: Held, clock: FixedClock
) -> None:
    first = world.worker("worker-1")
    second = world.worker("worker-2")
    post = await sending(world, held, first)
    for _ in range(24):  # two minutes; worker-1's ticks renew its lease
        clock.advance(timedelta(seconds=5))
        await first.step()
        await second.step()
    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.locked_by) == (S.PUBLISHING, "worker-1")

    held.gate.set()
    await first.drain()
    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert "✅ published" in repr(world.progress_of(await world.get(post.id)))
    assert world.posts_sent() == 1


async def test_a_restarted_worker_takes_its_own_claims_back_at_once(
    world: World, held: Held, clock: FixedClock
) -> None:
    post = await sending(world, held, world.worker("worker-1"))  # killed with it on the way

    restarted = Ticker(world.worker("worker-1"), interval=3600)
    restarted.wake()  # its first pass, at once (no lease has run out)

    async def handed_back() -> bool:
        target = (await world.get(post.id)).targets[FB]
        return (target.state, target.locked_by) == (S.UNCONFIRMED, None)  # to be looked up

    await until(handed_back)
    held.gate.set()
    await restarted.stop()


async def test_an_edit_the_chat_refused_is_retried_later(world: World, clock: FixedClock) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    chat = FlakyEdits(failures=1)
    first = worker(world, "worker-1", chat)
    await first.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED}
    [(_, publishing, message)] = chat.sent
    assert "⏳ publishing…" in repr(publishing)
    assert chat.edits == []  # refused

    await first.tick()  # not due yet
    assert chat.edits == []
    clock.advance(timedelta(seconds=6))
    await first.tick()
    assert chat.last(message) is not None and "✅ published" in repr(chat.last(message))
