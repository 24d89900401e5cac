"""A hypothesis state machine over schedule / cancel / retry / tick / fail / crash on the
in-memory store with sandbox networks: no target is published twice, none is lost, and each
post's state and chat message agree with its targets."""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from adapters.sandbox import FailMode, SandboxPublisher
from core import views
from core.actions import Action
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import Network, Post, Route
from core.ports import Outcome, OutcomeKind, PublishRequest
from core.publishing.pipeline import Pipeline
from core.states import TargetState
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.pipeline.support import VIDEO, Crash, Crashing, World

T = TypeVar("T")
S = TargetState
START = datetime.fromisoformat("2026-11-24T10:00:00+00:00")
FAULTS = ("transient", "permanent", "lost", "unanswered", "network-retry")
NETWORKS = tuple(Network)


class Provider(Crashing):
    """The sandbox behind a provider's rules: a processed key is refused when sent again
    (Ayrshare's idempotencyKey), plus faults injected one request at a time."""

    def __init__(self, sandbox: SandboxPublisher) -> None:
        super().__init__(sandbox)
        self.sandbox = sandbox
        self.faults: deque[str] = deque()
        self.processed: set[str] = set()

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        fault = self.faults.popleft() if self.faults else None
        crash, self.armed = self.armed, None
        if crash == "before":
            raise Crash
        if fault == "transient":
            raise TransientError("Busy (injected 503).")
        if fault == "permanent":
            raise PermanentError("Refused (injected).")
        if fault == "lost":
            raise OutcomeUnknown("The request was lost on the way (injected).")
        key = request.idempotency_key
        if key in self.processed:
            raise OutcomeUnknown("Duplicate idempotency key.")
        self.processed.add(key)
        if fault == "network-retry":
            # Processed, but the first network asks for a retry: that key is spent.
            first, *rest = request.networks
            outcomes = dict(await self.sandbox.publish(replace(request, networks=tuple(rest))))
            outcomes[first] = Outcome(OutcomeKind.RETRY, reason="Slow (injected).", key_spent=True)
            return outcomes
        outcomes = await self.sandbox.publish(request)
        if fault == "unanswered":
            raise OutcomeUnknown("No answer (injected).")
        if crash == "after":
            raise Crash
        return outcomes


class PublishingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FixedClock(START)
        sandbox = SandboxPublisher(
            Route.AYRSHARE,
            fail={Network.TIKTOK: FailMode.ONCE, Network.YOUTUBE: FailMode.TIMEOUT},
            clock=self.clock,
            seed=1,
        )
        self.provider = Provider(sandbox)
        self.world = World(
            InMemoryUnitOfWorkFactory(),
            self.clock,
            {Route.AYRSHARE: self.provider},
        )
        self.pipeline: Pipeline = self.world.pipeline
        self.restarts = 0
        self.post_ids: list[int] = []
        self.profile_id = 0

    def run(self, job: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(job)

    def teardown(self) -> None:
        self.loop.close()

    @initialize()
    def connect(self) -> None:
        self.profile_id = self.run(self.world.profile("ana", NETWORKS)).id

    # --- what users and the world do --------------------------------------------------------

    @rule(
        networks=st.sets(st.sampled_from(NETWORKS), min_size=1),
        minutes=st.integers(min_value=0, max_value=30),
    )
    def schedule(self, networks: set[Network], minutes: int) -> None:
        async def go() -> None:
            await self.world.say("ana", f"/post Post {len(self.post_ids)} media: {VIDEO}")
            async with self.world.uow() as uow:
                draft = await uow.posts.latest_draft(self.profile_id)
            assert draft is not None
            for network in NETWORKS:
                if network not in networks:
                    await self.world.tap("ana", f"{Action.TOGGLE}:{draft.id}:{network.value}")
            if minutes == 0:
                await self.world.tap("ana", f"{Action.PUBLISH}:{draft.id}")
            else:
                await self.world.say("ana", f"/schedule in {minutes}m")
            self.post_ids.append(draft.id)

        self.run(go())

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        if self.post_ids:
            post_id = data.draw(st.sampled_from(self.post_ids))
            self.run(self.world.say("ana", f"/cancel {post_id}"))

    @rule(data=st.data(), network=st.sampled_from(NETWORKS))
    def retry(self, data: st.DataObject, network: Network) -> None:
        if self.post_ids:
            post_id = data.draw(st.sampled_from(self.post_ids))
            self.run(self.world.say("ana", f"/retry {post_id} {network.value}"))

    @rule(seconds=st.sampled_from([0, 1, 5, 30, 60, 150, 600]))
    def tick(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.run(self.pipeline.tick())

    @rule(fault=st.sampled_from(FAULTS))
    def fail(self, fault: str) -> None:
        self.provider.faults.append(fault)

    @rule(when=st.sampled_from(["before", "after"]))
    def crash(self, when: str) -> None:
        """The worker dies in its next request; another process takes over after the lease."""
        self.provider.arm(when)
        self.run(self.pipeline.tick())
        if self.provider.armed is None:
            event(f"a worker died {when} sending")
        self.provider.armed = None
        self.restarts += 1
        self.pipeline = self.world.worker(f"worker-{self.restarts + 1}")
        self.clock.advance(self.pipeline.config.lease + timedelta(seconds=1))

    @rule()
    def settle_everything(self) -> None:
        """Long enough for every retry, lookup and lease: nothing may stay in between."""
        for _ in range(8):
            self.clock.advance(timedelta(minutes=10))
            self.run(self.pipeline.run_until_idle(max_passes=50))
        for post in self.posts():
            for t in post.targets.values():
                event(f"a target ended {t.state.value}")  # what the runs reached
                assert t.state in (S.DRAFT, S.PUBLISHED, S.FAILED), (post.id, t)
                assert self.copies()[(post.id, t.network)] == (t.state is S.PUBLISHED)
            if post.progress is not None and S.DRAFT not in {
                t.state for t in post.targets.values()
            }:
                shown = self.world.messenger.last(post.progress)
                assert shown is not None
                assert shown.fields == views.progress(post).fields

    # --- invariants ---------------------------------------------------------------------------

    def posts(self) -> list[Post]:
        async def load() -> list[Post]:
            async with self.world.uow() as uow:
                found = [await uow.posts.get(i) for i in self.post_ids]
            return [p for p in found if p is not None]

        return self.run(load())

    def copies(self) -> Counter[tuple[int, Network]]:
        return Counter((held.post_id, held.network) for held in self.provider.sandbox.posts())

    @invariant()
    def no_target_is_published_twice(self) -> None:
        for (post_id, network), count in self.copies().items():
            assert count == 1, f"post {post_id} went out {count} times to {network.label}"

    @invariant()
    def what_went_out_is_known(self) -> None:
        states = {(p.id, n): t for p in self.posts() for n, t in p.targets.items()}
        held = {(h.post_id, h.network): h for h in self.provider.sandbox.posts()}
        for where, copy in held.items():
            target = states[where]
            # Published, or sent and not yet confirmed: never scheduled, failed or a draft.
            assert target.state in (S.PUBLISHED, S.PUBLISHING, S.UNCONFIRMED), (where, target)
            if target.state is S.PUBLISHED:
                assert target.url == copy.outcome.url
        for where, target in states.items():
            if target.state is S.PUBLISHED:
                assert where in held, f"{where} is shown published but never went out"

    @invariant()
    def no_target_is_lost(self) -> None:
        for post in self.posts():
            for t in post.targets.values():
                if t.state in (S.SCHEDULED, S.UNCONFIRMED):
                    assert t.due_at is not None, (post.id, t)  # something will pick it up
                if t.state in (S.QUEUED, S.PUBLISHING):
                    # Only under a lease, which recovery reclaims when it runs out.
                    assert t.locked_by is not None and t.locked_until is not None, t
                assert t.state is not S.QUEUED, "claims are decided in their own transaction"
                if t.state is S.FAILED:
                    assert t.error
                if t.state is S.PUBLISHED:
                    assert t.published_at is not None

    @invariant()
    def post_state_follows_its_targets(self) -> None:
        posts = self.posts()
        for post in posts:
            states = {t.state for t in post.targets.values()}
            if states == {S.DRAFT}:
                assert post.scheduled_at is None
                assert all(t.due_at is None for t in post.targets.values())
            views.progress(post)  # renders whatever the mix of states
        scheduled = sum(
            1 for p in posts if any(t.state is S.SCHEDULED for t in p.targets.values())
        )

        async def count() -> int:
            async with self.world.uow() as uow:
                return await uow.posts.count_scheduled(self.profile_id)

        if self.profile_id:
            assert self.run(count()) == scheduled


PublishingMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPublishingMachine = PublishingMachine.TestCase
