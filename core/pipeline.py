"""The publishing pipeline: claim due targets, publish once, settle what is unknown, recover."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.accounts import Accounts
from core.errors import DomainError, OutcomeUnknown, PermanentError, TransientError
from core.model import ConnectionStatus, Network, Post, Route
from core.ports import (
    Clock,
    Outcome,
    OutcomeKind,
    Publisher,
    PublishRequest,
    UnitOfWorkFactory,
)
from core.progress import ProgressNotifier
from core.states import TargetState, check_transition

log = logging.getLogger(__name__)


def idempotency_key(post_id: int, networks: Sequence[Network], round_: int) -> str:
    """Same post, same targets, same retry round: same key, so a re-send is refused upstream."""
    names = ",".join(sorted(n.value for n in networks))
    digest = hashlib.sha256(f"postroom:{post_id}:{names}:{round_}".encode()).hexdigest()
    return f"pr-{post_id}-{digest[:24]}"


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    worker: str = "worker-1"
    lease: timedelta = timedelta(minutes=5)
    batch: int = 50
    concurrency: int = 8
    max_attempts: int = 3  # seed 001: 3 attempts, exponential backoff from 5 s
    backoff: timedelta = timedelta(seconds=5)
    settle_after: timedelta = timedelta(seconds=30)
    # How long a lookup may find nothing before we conclude the request never landed.
    absent_grace: timedelta = timedelta(minutes=2)
    give_up_settling: timedelta = timedelta(hours=24)


class Pipeline:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        accounts: Accounts,
        notifier: ProgressNotifier,
        clock: Clock,
        config: PipelineConfig | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._accounts = accounts
        self._notifier = notifier
        self._clock = clock
        self.config = config or PipelineConfig()
        self._rng = rng or random.Random()
        self._slots = asyncio.Semaphore(self.config.concurrency)

    async def tick(self) -> int:
        """One pass: recover lost work, settle unknown outcomes, publish what is due."""
        return await self.recover() + await self.settle() + await self.dispatch()

    async def run_until_idle(self, max_passes: int = 20) -> None:
        """Tick until nothing is due now (console scripts, tests)."""
        for _ in range(max_passes):
            if await self.tick() == 0:
                return

    # --- dispatch ---------------------------------------------------------------------

    async def dispatch(self) -> int:
        now = self._clock.now()
        async with self._uow() as uow:
            posts = await uow.posts.claim_due(
                now,
                worker=self.config.worker,
                lease_until=now + self.config.lease,
                limit=self.config.batch,
            )
            await uow.commit()
        jobs = []
        for post in posts:
            claimed = [
                t
                for t in post.targets.values()
                if t.state is TargetState.QUEUED and t.locked_by == self.config.worker
            ]
            by_route: dict[tuple[Route, int], list[Network]] = {}
            for t in claimed:
                by_route.setdefault((t.route, t.round), []).append(t.network)
            for (route, round_), networks in by_route.items():
                jobs.append(self._guarded(post.id, route, round_, tuple(networks)))
        await asyncio.gather(*jobs)
        return len(jobs)

    async def _guarded(
        self, post_id: int, route: Route, round_: int, networks: tuple[Network, ...]
    ) -> None:
        async with self._slots:
            try:
                await self._publish(post_id, route, round_, networks)
            except Exception:
                # Leave the lease to expire: recovery decides from the recorded state.
                log.exception("publishing post %s to %s crashed", post_id, networks)

    async def _publish(
        self, post_id: int, route: Route, round_: int, networks: tuple[Network, ...]
    ) -> None:
        key = idempotency_key(post_id, networks, round_)
        now = self._clock.now()
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
            profile = None if post is None else await uow.profiles.get(post.profile_id)
            if post is None or profile is None:
                return
            mine = [n for n in networks if _holds(post, n, self.config.worker)]
            for n in mine:
                t = post.targets[n]
                check_transition(t.state, TargetState.PUBLISHING)
                t.state = TargetState.PUBLISHING
                t.attempts += 1
                t.idempotency_key = key
                t.sent_at = now
                t.error = None
            await uow.posts.save(post)
            await uow.commit()
        if not mine:
            return
        await self._notifier.show(post)
        request = PublishRequest(post, tuple(mine), key, profile)
        outcomes = await self._call(route, request)
        await self._apply(post_id, outcomes, key)

    async def _call(self, route: Route, request: PublishRequest) -> Mapping[Network, Outcome]:
        publisher = self._publishers.get(route)
        if publisher is None:
            reason = "This server is not set up to publish there yet."
            return {n: Outcome(OutcomeKind.FAILED, reason=reason) for n in request.networks}
        try:
            profile = await self._accounts.ensure_account(request.profile, route)
        except TransientError as e:
            return {n: Outcome(OutcomeKind.RETRY, reason=e.reason) for n in request.networks}
        except (PermanentError, DomainError) as e:
            return {n: Outcome(OutcomeKind.FAILED, reason=str(e)) for n in request.networks}
        request = PublishRequest(request.post, request.networks, request.idempotency_key, profile)
        try:
            outcomes = dict(await publisher.publish(request))
        except TransientError as e:
            outcome = Outcome(OutcomeKind.RETRY, reason=e.reason, retry_after=e.retry_after)
            return dict.fromkeys(request.networks, outcome)
        except PermanentError as e:
            outcome = Outcome(OutcomeKind.FAILED, reason=e.reason, reconnect=e.reconnect)
            return dict.fromkeys(request.networks, outcome)
        except OutcomeUnknown as e:
            return dict.fromkeys(request.networks, Outcome(OutcomeKind.UNKNOWN, reason=e.reason))
        except Exception:
            # A bug after the request may have left: treat as unknown, never re-send blindly.
            log.exception("publisher %s raised unexpectedly", route.value)
            return dict.fromkeys(request.networks, Outcome(OutcomeKind.UNKNOWN))
        for n in request.networks:
            outcomes.setdefault(n, Outcome(OutcomeKind.UNKNOWN, reason="no result for it"))
        return outcomes

    async def _apply(self, post_id: int, outcomes: Mapping[Network, Outcome], key: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
            if post is None:
                return
            reconnect: list[Network] = []
            for network, outcome in outcomes.items():
                t = post.targets.get(network)
                if (
                    t is None
                    or t.idempotency_key != key
                    or t.state in (TargetState.PUBLISHED, TargetState.FAILED, TargetState.DRAFT)
                ):
                    continue
                self._settle_target(post, network, outcome, now)
                if outcome.reconnect:
                    reconnect.append(network)
            await uow.posts.save(post)
            if reconnect:
                profile = await uow.profiles.get(post.profile_id)
                if profile is not None:
                    for n in reconnect:
                        if n in profile.connections:
                            profile.connections[n].status = ConnectionStatus.BROKEN
                            profile.connections[n].updated_at = now
                    await uow.profiles.save(profile)
            await uow.commit()
        await self._notifier.show(post)

    def _settle_target(
        self, post: Post, network: Network, outcome: Outcome, now: datetime
    ) -> None:
        t = post.targets[network]
        t.locked_by = None
        t.locked_until = None
        match outcome.kind:
            case OutcomeKind.PUBLISHED:
                new, t.url, t.published_at, t.error = TargetState.PUBLISHED, outcome.url, now, None
                t.external_id = outcome.external_id or t.external_id
                t.provider_post_id = outcome.provider_post_id or t.provider_post_id
            case OutcomeKind.FAILED:
                new, t.error = (
                    TargetState.FAILED,
                    outcome.reason or "The network refused the post.",
                )
                if outcome.reconnect:
                    t.error += f" Reconnect {network.label}: /connect"
            case OutcomeKind.RETRY:
                if t.attempts >= self.config.max_attempts:
                    new = TargetState.FAILED
                    t.error = f"Gave up after {t.attempts} attempts: {outcome.reason or 'error'}"
                else:
                    new, t.due_at = TargetState.SCHEDULED, now + self._backoff(t.attempts, outcome)
                    t.error = outcome.reason
            case OutcomeKind.ABSENT:
                new, t.due_at = TargetState.SCHEDULED, now  # never landed: send again, same key
            case OutcomeKind.UNKNOWN:
                new, t.due_at = TargetState.UNCONFIRMED, now + self.config.settle_after
        if new is not t.state:
            check_transition(t.state, new)
            t.state = new

    def _backoff(self, attempts: int, outcome: Outcome) -> timedelta:
        base = self.config.backoff.total_seconds() * 2 ** max(attempts - 1, 0)
        delay = base * self._rng.uniform(0.8, 1.2)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        return timedelta(seconds=delay)

    # --- settle and recover -----------------------------------------------------------

    async def settle(self) -> int:
        """Look up unconfirmed targets at the provider before anything is sent again."""
        now = self._clock.now()
        async with self._uow() as uow:
            posts = await uow.posts.due_unconfirmed(now, limit=self.config.batch)
        for post in posts:
            groups: dict[tuple[Route, str], list[Network]] = {}
            for t in post.targets.values():
                if t.state is TargetState.UNCONFIRMED and t.due_at is not None and t.due_at <= now:
                    groups.setdefault((t.route, t.idempotency_key or ""), []).append(t.network)
            for (route, key), networks in groups.items():
                await self._settle_group(post, route, key, tuple(networks), now)
        return len(posts)

    async def _settle_group(
        self, post: Post, route: Route, key: str, networks: tuple[Network, ...], now: datetime
    ) -> None:
        publisher = self._publishers.get(route)
        sent_at = min((post.targets[n].sent_at or now) for n in networks)
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
        outcomes: dict[Network, Outcome] = {}
        for n in networks:
            outcome = found.get(n, Outcome(OutcomeKind.UNKNOWN))
            waited = now - sent_at
            if outcome.kind is OutcomeKind.ABSENT and waited < self.config.absent_grace:
                outcome = Outcome(OutcomeKind.UNKNOWN)
            if outcome.kind in (OutcomeKind.UNKNOWN, OutcomeKind.RETRY):
                if waited >= self.config.give_up_settling:
                    outcome = Outcome(
                        OutcomeKind.FAILED,
                        reason=f"Couldn't confirm it went out; check {n.label} before retrying.",
                    )
                else:
                    outcome = Outcome(OutcomeKind.UNKNOWN)
            outcomes[n] = outcome
        await self._apply_settled(post.id, outcomes, key)

    async def _apply_settled(
        self, post_id: int, outcomes: Mapping[Network, Outcome], key: str
    ) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
            if post is None:
                return
            changed = False
            for network, outcome in outcomes.items():
                t = post.targets.get(network)
                if t is None or t.state is not TargetState.UNCONFIRMED or t.idempotency_key != key:
                    continue
                if outcome.kind is OutcomeKind.UNKNOWN:
                    t.due_at = now + self.config.settle_after
                    continue
                self._settle_target(post, network, outcome, now)
                changed = True
            await uow.posts.save(post)
            await uow.commit()
        if changed:
            await self._notifier.show(post)

    async def recover(self) -> int:
        """Targets whose worker vanished: unsent ones go back to the schedule, sent ones are
        checked (unconfirmed), never re-sent blindly."""
        now = self._clock.now()
        async with self._uow() as uow:
            posts = await uow.posts.expired_leases(now, limit=self.config.batch)
            for post in posts:
                for t in post.targets.values():
                    if t.locked_until is None or t.locked_until > now:
                        continue
                    if t.state is TargetState.QUEUED:
                        t.state, t.due_at = TargetState.SCHEDULED, now
                    elif t.state is TargetState.PUBLISHING:
                        t.state, t.due_at = TargetState.UNCONFIRMED, now
                    t.locked_by = t.locked_until = None
                await uow.posts.save(post)
            await uow.commit()
        return len(posts)

    async def release(self) -> None:
        """On shutdown: hand back claimed targets this worker has not started sending."""
        now = self._clock.now()
        async with self._uow() as uow:
            posts = await uow.posts.expired_leases(now + self.config.lease * 2, limit=1000)
            for post in posts:
                touched = False
                for t in post.targets.values():
                    if t.state is TargetState.QUEUED and t.locked_by == self.config.worker:
                        t.state, t.due_at, t.locked_by, t.locked_until = (
                            TargetState.SCHEDULED,
                            now,
                            None,
                            None,
                        )
                        touched = True
                if touched:
                    await uow.posts.save(post)
            await uow.commit()


def _holds(post: Post, network: Network, worker: str) -> bool:
    t = post.targets.get(network)
    return t is not None and t.state is TargetState.QUEUED and t.locked_by == worker
