"""A slow lookup's answer must not settle a target that was re-sent meanwhile (same key)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta

from adapters.sandbox import SandboxPublisher
from core.errors import OutcomeUnknown
from core.model import Network, Route
from core.ports import Outcome, OutcomeKind, PublishRequest
from tests.core.harness import START, Harness
from tests.fakes.clock import FixedClock


class SlowProvider(SandboxPublisher):
    """First send times out; the first lookup hangs until released; all lookups find nothing."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(Route.AYRSHARE, fail={}, clock=clock)
        self.sent: list[str] = []
        self.lookups = 0
        self.first_lookup = asyncio.Event()
        self.second_send = asyncio.Event()

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        self.sent.append(request.idempotency_key)
        if len(self.sent) == 1:
            raise OutcomeUnknown("timed out")
        if len(self.sent) == 2:
            await self.second_send.wait()
        return {
            n: Outcome(OutcomeKind.PUBLISHED, url="https://x.com/a/1") for n in request.networks
        }

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        self.lookups += 1
        if self.lookups == 1:
            await self.first_lookup.wait()  # a provider slower than the settle interval
        return {n: Outcome(OutcomeKind.ABSENT) for n in request.networks}


async def settle_loop() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_a_stale_absent_answer_does_not_send_a_third_time() -> None:
    clock = FixedClock(START)
    provider = SlowProvider(clock)
    h = Harness(
        publishers={Route.AYRSHARE: provider, Route.INSTAGRAM_GRAPH: provider}, clock=clock
    )
    composer = await h.compose("hello", Network.X)
    await h.tap(composer, "Publish now")
    await h.pipeline.tick()  # send 1 times out: unconfirmed
    h.clock.advance(timedelta(minutes=3))  # past the grace for "absent"
    await h.pipeline.step()  # lookup 1 starts and hangs
    await settle_loop()
    h.clock.advance(timedelta(seconds=31))
    await h.pipeline.step()  # lookup 2: absent, so the target goes back to the schedule
    await settle_loop()
    await h.pipeline.step()  # send 2, same key, in flight
    await settle_loop()
    provider.first_lookup.set()  # the stale lookup 1 now answers "absent" too
    await settle_loop()
    await h.pipeline.step()
    await settle_loop()
    provider.second_send.set()
    await h.pipeline.drain()
    assert len(provider.sent) == 2 and len(set(provider.sent)) == 1
