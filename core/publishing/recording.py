"""Recording outcomes: what a request or lookup found settles each target, with backoff."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from core.model import ConnectionStatus, Network, Target
from core.ports import Outcome, OutcomeKind, UnitOfWork
from core.publishing.base import Found, PipelineBase, Recorded
from core.publishing.decisions import OPEN, settle_target
from core.publishing.notices import author_away, failure_notice
from core.states import TargetState

log = logging.getLogger(__name__)


class Recording(PipelineBase):
    """Records what requests and lookups found, a batch per transaction, then tells the chat."""

    async def _apply(
        self,
        post_id: int,
        outcomes: Mapping[Network, Outcome],
        key: str,
        *,
        attempt: Mapping[Network, tuple[TargetState, datetime | None]],
    ) -> None:
        """Record what a request (or a lookup) found, then show it in the chat. Outcomes that
        arrive together are recorded in one transaction, with the marks that make the chat
        show them (durably: any process renders a mark whose worker died)."""
        loop = asyncio.get_running_loop()
        found = Found(post_id, outcomes, key, loop.create_future(), attempt)
        self._to_record.append(found)
        if self._recorder is None or self._recorder.done():
            self._recorder = loop.create_task(self._record_queued())
        recorded = await found.recorded
        if recorded is None:
            return
        post, failed, marked = recorded
        if marked is not None:
            self.progress.kick([marked])
        if failed and author_away(post):
            self._tell(self._notifier.notify(post, failure_notice(post, failed)))

    async def _record_queued(self) -> None:
        while self._to_record:
            batch = self._to_record[: self.config.batch]
            del self._to_record[: len(batch)]
            try:
                results = await self._record(batch)
            except Exception:
                # One outcome that cannot be written must not hold back the others.
                log.exception("recording %d outcomes together failed; one at a time", len(batch))
                for found in batch:
                    try:
                        [result] = await self._record([found])
                    except Exception as e:
                        found.recorded.set_exception(e)
                    else:
                        found.recorded.set_result(result)
                continue
            for found, result in zip(batch, results, strict=True):
                found.recorded.set_result(result)

    async def _record(self, batch: Sequence[Found]) -> list[Recorded | None]:
        now = self._clock.now()
        results: list[Recorded | None] = []
        async with self._uow() as uow:
            for found in batch:
                post = await uow.posts.get(found.post_id)
                if post is None:
                    results.append(None)
                    continue
                delay: timedelta | None = None
                reconnect: list[Network] = []
                failed: list[Target] = []
                for network, outcome in found.outcomes.items():
                    t = post.targets.get(network)
                    if t is None or t.idempotency_key != found.key or t.state not in OPEN:
                        continue  # settled meanwhile (another worker's lookup), or moved on
                    if found.attempt.get(network, (t.state, t.sent_at)) != (t.state, t.sent_at):
                        continue  # an answer about an earlier attempt of this target
                    if outcome.kind is OutcomeKind.RETRY and delay is None:
                        # One wait for the whole request, so its targets are retried together.
                        delay = self._backoff(t.attempts, outcome)
                    settle_target(t, outcome, now, delay or timedelta(), self.config)
                    if t.state is TargetState.FAILED:
                        failed.append(t)
                    if outcome.reconnect:
                        reconnect.append(network)
                await uow.posts.save(post)
                if reconnect:
                    await self._mark_broken(uow, post.profile_id, reconnect, now)
                results.append((post, failed, None))
            marked = await self.progress.mark(uow, [r[0] for r in results if r is not None])
            await uow.commit()
        held = {post.id: (post, version) for post, version in marked}
        return [r and (r[0], r[1], held.get(r[0].id)) for r in results]

    async def _mark_broken(
        self, uow: UnitOfWork, profile_id: int, networks: list[Network], now: datetime
    ) -> None:
        profile = await uow.profiles.get(profile_id)
        if profile is None:
            return
        for n in networks:
            if n in profile.connections:
                profile.connections[n].status = ConnectionStatus.BROKEN
                profile.connections[n].updated_at = now
        await uow.profiles.save(profile)

    def _backoff(self, attempts: int, outcome: Outcome) -> timedelta:
        base = self.config.backoff.total_seconds() * 2 ** max(attempts - 1, 0)
        delay = base * self._rng.uniform(0.8, 1.2)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        return timedelta(seconds=delay)
