"""Claiming due targets and sending them: send, wait, hold or fail each, once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from core.errors import DomainError, PermanentError, TransientError
from core.log_context import tag_logs
from core.model import Network, Post, Profile, Route, Target
from core.ports import Checkpoint, Outcome, OutcomeKind, PublishRequest, UnitOfWork
from core.publishing.base import Claimed, Send
from core.publishing.decisions import (
    SENT,
    all_fresh,
    due_time,
    end_lease,
    hold_target,
    unschedule_if_idle,
)
from core.publishing.keys import idempotency_key
from core.publishing.notices import author_away, failure_notice, late_notice
from core.publishing.outcomes import outcome_of
from core.publishing.quotas import QUOTAS
from core.publishing.recording import Recording
from core.states import TargetState
from core.when import format_local
from core.wording import duration

log = logging.getLogger(__name__)


class Dispatch(Recording):
    """Claims due targets, decides for each (send, wait, hold or fail) and sends."""

    async def dispatch(self) -> int:
        """Claim due posts while requests are free and start sending them; returns how many
        requests were started."""
        if self._claiming.locked():
            return 0  # another pass is claiming and will use the free room
        started = 0
        async with self._claiming:
            while not self._stopping:
                free = self.config.concurrency - len(self._inflight)
                if free <= 0 or (free < self._min_claim and self._inflight):
                    self._more_due = True
                    break
                limit = min(self.config.batch, free)
                claimed = await self._claim(limit)
                for send in claimed.sends:
                    self._sending[send.post.id] += 1
                    self._start(self._send(send), f"publishing post {send.post.id}")
                # "Publishing…" goes to the chat beside the requests, never before them: a
                # slow or rate-limited chat must not delay publishing.
                self.progress.kick(claimed.marked)
                for profile_id in claimed.lapsed:
                    self._tell(self._lapsed(profile_id))
                for post, notice in claimed.notices:
                    self._tell(self._notifier.notify(post, notice))
                started += len(claimed.sends) + len(claimed.notices)
                # Posts are claimed whole, so a full claim can fall short of `limit` by up to
                # one post's targets.
                self._more_due = claimed.targets > 0 and claimed.targets + len(Network) > limit
                if not self._more_due:
                    break
        return started

    def _start(self, job: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(job, what))
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        if not self._more_due or self._stopping or self._claiming.locked():
            return
        if self._refill is not None and not self._refill.done():
            return
        free = self.config.concurrency - len(self._inflight)
        if free >= self._min_claim or not self._inflight:
            # More is due than the last claim took: claim again now, not at the next tick.
            self._refill = asyncio.get_running_loop().create_task(
                self._guarded(self.dispatch(), "claiming more due posts")
            )

    async def _claim(self, limit: int) -> Claimed:
        now = self._clock.now()
        result = Claimed()
        async with self._uow() as uow:
            posts = await uow.posts.claim_due(
                now,
                worker=self.config.worker,
                lease_until=now + self.config.lease,
                limit=limit,
            )
            for post in posts:
                mine = [t for t in post.targets.values() if self._holds(t)]
                result.targets += len(mine)
                profile = await self._profile(uow, post.profile_id, now)
                if profile is None:
                    continue  # deleted with its posts a moment ago
                profile, mine = await self._gated(uow, post, profile, mine, now, result)
                await self._prepare(uow, post, profile, mine, now, result)
                await uow.posts.save(post)
            shown = {s.post.id: s.post for s in result.sends} | {p.id: p for p in result.changed}
            result.marked = await self.progress.mark(uow, shown.values())
            await uow.commit()
        return result

    async def _gated(
        self,
        uow: UnitOfWork,
        post: Post,
        profile: Profile,
        mine: list[Target],
        now: datetime,
        result: Claimed,
    ) -> tuple[Profile, list[Target]]:
        """The claimed targets the profile's tier, derived now, still reaches; the others
        are held back to draft (core.billing.holds), not sent, when its plan has ended."""
        gate = self._gate
        if gate is None or not gate.lapsed_for(profile, now, mine):
            return profile, mine
        # The cached profile may predate a renewal: read it again before holding anything.
        fresh = await uow.profiles.get(profile.id)
        if fresh is None:
            return profile, mine
        self._profiles[fresh.id] = (now + self.config.profile_cache, fresh)
        if not gate.lapsed_for(fresh, now, mine):
            return fresh, mine
        tier = gate.tier(fresh, now)
        held = [t for t in mine if not gate.reaches(tier, t)]
        if not held:
            return fresh, mine
        for t in held:
            hold_target(t)
        unschedule_if_idle(post)
        result.changed.append(post)
        result.lapsed.add(fresh.id)
        log.info(
            "post %s: %s held, the plan of profile %s has ended",
            post.id,
            ",".join(t.network.value for t in held),
            fresh.id,
        )
        return fresh, [t for t in mine if t not in held]

    async def _lapsed(self, profile_id: int) -> None:
        assert self._gate is not None
        await self._gate.lapsed(profile_id)

    def _holds(self, t: Target) -> bool:
        return t.state is TargetState.QUEUED and t.locked_by == self.config.worker

    async def _prepare(
        self,
        uow: UnitOfWork,
        post: Post,
        profile: Profile,
        mine: list[Target],
        now: datetime,
        result: Claimed,
    ) -> None:
        """Decide for each claimed target of `post`: send, wait, hold or fail (in `uow`)."""
        late = [
            t
            for t in mine
            if t.attempts == 0 and now - due_time(t, now) > self.config.missed_grace
        ]
        late_networks = {t.network for t in late}
        if late and all_fresh(post, late_networks):
            self._hold(post, late, profile, result)
            return
        failed: list[Target] = []
        for t in late:
            # Part of a post that is already under way (a retry the author asked for, due
            # while the bot was down): not sent this late without asking again.
            due = format_local(due_time(t, now), profile.timezone)
            reason = (
                f"Not sent: it was due at {due} and the bot was not running then. "
                "Tap Retry to send it now."
            )
            end_lease(t, TargetState.FAILED, reason)
            failed.append(t)
        groups: dict[tuple[Route, int, str | None, str], list[Target]] = {}
        for t in mine:
            if t.network in late_networks:
                continue
            # A target re-sent after an outcome we could not see (5xx, timeout, absent from
            # the lookup) keeps the key it was sent with, whatever else is due with it.
            prior = t.idempotency_key if t.attempts > 0 else None
            # One request per distinct text: Ayrshare takes one `post` per request, so the
            # networks sharing a version go together and each version gets its own key
            # (its own networks in `idempotency_key`).
            text = post.text_for(t.network)
            groups.setdefault((t.route, t.round, prior, text), []).append(t)
        for (route, round_, prior, _), targets in groups.items():
            for t in list(targets):
                refusal = await self._quota_now(uow, post, profile, t, now)
                if refusal is not None:
                    end_lease(t, TargetState.FAILED, refusal)
                    failed.append(t)
                    targets.remove(t)
            if not targets:
                continue
            wait = self._budget.reserve((route, profile.id), now)
            if wait is not None:
                for t in targets:  # over the profile's request budget: back in line
                    end_lease(t, TargetState.SCHEDULED, None)
                    t.due_at = wait
                continue
            networks = tuple(sorted((t.network for t in targets), key=lambda n: n.rank))
            key = prior or idempotency_key(post.id, networks, round_)
            for t in targets:
                t.move_to(TargetState.PUBLISHING)
                t.attempts += 1
                t.idempotency_key = key
                t.sent_at = now
                t.error = None
                t.locked_until = now + self.config.lease
            result.sends.append(Send(post, profile, route, networks, key))
        if failed:
            result.changed.append(post)
            if author_away(post):
                result.notices.append((post, failure_notice(post, failed)))

    def _hold(self, post: Post, late: list[Target], profile: Profile, result: Claimed) -> None:
        due = min(t.due_at for t in late if t.due_at is not None)
        when = format_local(post.scheduled_at or due, profile.timezone)
        for t in late:
            end_lease(t, TargetState.SCHEDULED, None)
            t.move_to(TargetState.DRAFT)
        post.scheduled_at = None
        notice = late_notice(post, when, duration(self.config.missed_grace))
        result.notices.append((post, notice))

    async def _quota_now(
        self, uow: UnitOfWork, post: Post, profile: Profile, t: Target, now: datetime
    ) -> str | None:
        quota = QUOTAS.get(t.network)
        if quota is None:
            return None
        activity = await uow.posts.network_activity(
            profile.id, t.network, since=now - quota.window, until=now
        )
        sent = sorted(at for at, state in activity if state in SENT and at > now - quota.window)
        if len(sent) < quota.posts:
            return None
        opens = format_local(sent[len(sent) - quota.posts] + quota.window, profile.timezone)
        return (
            f"Not sent: {t.network.label} allows {quota.posts} posts per "
            f"{int(quota.window.total_seconds() // 3600)} hours per account and this account "
            f"has used them. Tap Retry after {opens}."
        )

    async def _send(self, send: Send) -> None:
        post = send.post
        tag_logs(post_id=post.id, target=",".join(n.value for n in send.networks))  # own task
        try:
            sent = {n: post.targets[n].sent_at for n in send.networks}
            checkpoint = self._checkpoint(post.id, send.key, sent)
            request = PublishRequest(post, send.networks, send.key, send.profile, checkpoint)
            outcomes = await self._call(send.route, request)
            waits = [o.retry_after for o in outcomes.values() if o.retry_after is not None]
            if waits:
                until = self._clock.now() + timedelta(seconds=max(waits))
                self._budget.block((send.route, send.profile.id), until)
            attempt = {n: (TargetState.PUBLISHING, post.targets[n].sent_at) for n in outcomes}
            await self._apply(post.id, outcomes, send.key, attempt=attempt)
        finally:
            # No longer renewed: if the outcome was not recorded, the lease runs out.
            self._sending[post.id] -= 1
            if self._sending[post.id] <= 0:
                del self._sending[post.id]

    def _checkpoint(
        self, post_id: int, key: str, sent: Mapping[Network, datetime | None]
    ) -> Checkpoint:
        async def note(network: Network, provider_post_id: str) -> None:
            async with self._uow() as uow:
                post = await uow.posts.lock(post_id)
                t = None if post is None else post.targets.get(network)
                if post is None or t is None or network not in sent:
                    return  # deleted meanwhile
                attempt = (t.state, t.idempotency_key, t.sent_at)
                if attempt != (TargetState.PUBLISHING, key, sent[network]):
                    return  # its lease ran out and another worker took it on
                t.provider_post_id = provider_post_id
                await uow.posts.save(post)
                await uow.commit()

        return note

    async def _call(self, route: Route, request: PublishRequest) -> Mapping[Network, Outcome]:
        publisher = self._publishers.get(route)
        if publisher is None:
            reason = "This server is not set up to publish there yet."
            return {n: Outcome(OutcomeKind.FAILED, reason=reason) for n in request.networks}
        try:
            profile = await self._accounts.ensure_account(request.profile, route)
            if profile is not request.profile:  # its account was just created: remember it
                self._profiles[profile.id] = (
                    self._clock.now() + self.config.profile_cache,
                    profile,
                )
        except TransientError as e:
            return {n: Outcome(OutcomeKind.RETRY, reason=e.reason) for n in request.networks}
        except (PermanentError, DomainError) as e:
            return {n: Outcome(OutcomeKind.FAILED, reason=str(e)) for n in request.networks}
        request = replace(request, profile=profile)
        try:
            outcomes = dict(await publisher.publish(request))
        except Exception as e:
            return dict.fromkeys(request.networks, outcome_of(e, route))
        for n in request.networks:
            outcomes.setdefault(n, Outcome(OutcomeKind.UNKNOWN, reason="no result for it"))
        return outcomes
