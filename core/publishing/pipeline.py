"""The publishing pipeline: passes that recover, settle and publish what is due; clean stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta

from core.log_context import tag_logs
from core.model import Network, Post, Route, Target
from core.ports import Outcome, OutcomeKind, PublishRequest
from core.publishing.decisions import due_time, hand_back
from core.publishing.dispatch import Dispatch
from core.states import TargetState

log = logging.getLogger(__name__)


class Pipeline(Dispatch):
    """Publishes due targets exactly once, from any number of processes sharing the database.

    `tick()` runs one pass and waits for the requests it started (tests, console scripts);
    the scheduler calls `step()`, which lets requests finish in the background while the next
    ticks claim more, and `stop()`, `drain()` and `release()` on shutdown.
    """

    async def tick(self) -> int:
        """One pass (recover lost work, settle unknown outcomes, publish what is due), waiting
        for every request it started."""
        done = await self.step()
        await self.drain()
        return done

    async def step(self) -> int:
        """One pass; the requests it starts run on in the background."""
        await self._heartbeat.beat(self._sending, self.progress.rendering)
        done = await self.recover() + await self.settle() + await self.dispatch()
        # Progress marks nobody holds: a dead worker's, or renders that failed and are due.
        await self.progress.resume()
        return done

    async def run_until_idle(self, max_passes: int = 20) -> None:
        """Tick until nothing is due now (console scripts, tests)."""
        for _ in range(max_passes):
            if await self.tick() == 0:
                return

    async def drain(self) -> None:
        """Wait until no request of this pipeline is in flight."""
        while True:
            pending = [
                *self._inflight,
                *self._chatter,
                *(t for t in (self._refill, self._recorder) if t is not None and not t.done()),
            ]
            if not pending:
                await self.progress.drain()
                if not self._inflight and not self._chatter:
                    return
                continue
            await asyncio.gather(*pending, return_exceptions=True)

    def stop(self) -> None:
        """Claim nothing more (shutdown); requests in flight finish."""
        self._stopping = True

    async def until_next_due(self) -> timedelta | None:
        """How long until the next scheduled target falls due (zero if one is due already),
        so the scheduler can wake for it instead of at its next tick."""
        async with self._uow() as uow:
            due = await uow.posts.next_due()
        return None if due is None else max(due - self._clock.now(), timedelta())

    async def settle(self) -> int:
        """Look up unconfirmed targets at the provider before anything is sent again."""
        if self._stopping:
            return 0
        now = self._clock.now()
        free = self.config.concurrency - len(self._inflight)
        if free <= 0:
            return 0
        lookups: list[tuple[Post, Route, str, tuple[Network, ...]]] = []
        async with self._uow() as uow:
            for post in await uow.posts.due_unconfirmed(now, limit=min(free, self.config.batch)):
                groups: dict[tuple[Route, str], list[Target]] = {}
                for t in post.targets.values():
                    if t.state is TargetState.UNCONFIRMED and due_time(t, now) <= now:
                        groups.setdefault((t.route, t.idempotency_key or ""), []).append(t)
                for (route, key), targets in groups.items():
                    wait = self._budget.reserve((route, post.profile_id), now)
                    for t in targets:
                        # Taken: the next ticks look elsewhere while this lookup runs.
                        t.due_at = wait or now + self.config.settle_after
                    if wait is None:
                        lookups.append((post, route, key, tuple(t.network for t in targets)))
                await uow.posts.save(post)
            await uow.commit()
        for post, route, key, networks in lookups:
            self._start(self._settle_group(post, route, key, networks), f"looking up {post.id}")
        return len(lookups)

    async def _settle_group(
        self, post: Post, route: Route, key: str, networks: tuple[Network, ...]
    ) -> None:
        tag_logs(post_id=post.id, target=",".join(n.value for n in networks))  # own task
        publisher = self._publishers.get(route)
        sent_at = min((post.targets[n].sent_at or self._clock.now()) for n in networks)
        found: Mapping[Network, Outcome] = {}
        if publisher is not None:
            async with self._uow() as uow:
                profile = await uow.profiles.get(post.profile_id)
            if profile is not None:
                request = PublishRequest(post, networks, key, profile)
                try:
                    found = await publisher.lookup(request, since=sent_at - timedelta(minutes=5))
                except Exception as e:
                    log.warning("lookup of post %s failed: %s", post.id, e)
        now = self._clock.now()
        waited = now - sent_at
        outcomes: dict[Network, Outcome] = {}
        for n in networks:
            outcome = found.get(n, Outcome(OutcomeKind.UNKNOWN))
            if outcome.kind is OutcomeKind.ABSENT and waited < self.config.absent_grace:
                outcome = Outcome(OutcomeKind.UNKNOWN)  # the provider's history may lag
            if outcome.kind in (OutcomeKind.UNKNOWN, OutcomeKind.RETRY):
                if waited >= self.config.give_up_settling:
                    outcome = Outcome(
                        OutcomeKind.FAILED,
                        reason=f"Couldn't confirm it went out; check {n.label} before retrying.",
                    )
                else:
                    outcome = Outcome(OutcomeKind.UNKNOWN)
            outcomes[n] = outcome
        attempt = {n: (TargetState.UNCONFIRMED, post.targets[n].sent_at) for n in networks}
        await self._apply(post.id, outcomes, key, attempt=attempt)

    async def recover(self) -> int:
        """Targets whose worker vanished: unsent ones go back to the schedule, sent ones are
        checked (unconfirmed), never re-sent blindly."""
        now = self._clock.now()
        async with self._uow() as uow:
            posts = await uow.posts.expired_leases(now, limit=self.config.batch)
            for post in posts:
                for t in post.targets.values():
                    if t.locked_until is not None and t.locked_until < now:
                        hand_back(t, now)
                await uow.posts.save(post)
            await uow.commit()
        return len(posts)

    async def release(self) -> None:
        """On shutdown, after `stop()` and `drain()`, and on start for a process that died with
        this worker id: hand back every target this worker still holds, and its progress
        marks. Claimed targets go back to the schedule, keeping their due time; one whose
        request may have left (its job crashed) is looked up."""
        now = self._clock.now()
        while True:
            async with self._uow() as uow:
                posts = await uow.posts.held_by(self.config.worker, limit=self.config.batch)
                for post in posts:
                    for t in post.targets.values():
                        if t.locked_by == self.config.worker:
                            hand_back(t, now)
                    await uow.posts.save(post)
                await uow.commit()
            if len(posts) < self.config.batch:
                break
        await self.progress.release()
