"""The publishing pipeline: claim due targets, publish once, settle what is unknown, recover."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core import views
from core.accounts import Accounts
from core.actions import Action
from core.errors import DomainError, OutcomeUnknown, PermanentError, TransientError
from core.log_context import tag_logs
from core.model import ConnectionStatus, Network, Post, Profile, Route, Target
from core.ports import (
    Clock,
    Outcome,
    OutcomeKind,
    Publisher,
    PublishRequest,
    UnitOfWork,
    UnitOfWorkFactory,
)
from core.progress import ProgressNotifier
from core.replies import Button, Field, Reply
from core.request_budget import RequestBudget
from core.states import TargetState
from core.when import format_local
from core.wording import duration

log = logging.getLogger(__name__)

_SENT = frozenset({TargetState.PUBLISHED, TargetState.PUBLISHING, TargetState.UNCONFIRMED})


def idempotency_key(post_id: int, networks: Sequence[Network], round_: int) -> str:
    """Same post, same targets, same retry round: same key, so a re-send is refused upstream."""
    # Sorted by name, not `Network.rank`: keys already sent upstream must stay the same.
    names = ",".join(sorted(n.value for n in networks))
    digest = hashlib.sha256(f"postroom:{post_id}:{names}:{round_}".encode()).hexdigest()
    return f"pr-{post_id}-{digest[:24]}"


# --- per-network quotas -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Quota:
    """At most `posts` publications per account in any rolling `window`."""

    posts: int
    window: timedelta


# Instagram's rolling 24 h publishing limit per account, enforced at media_publish. Meta's
# current reference says 50 and asks schedulers to enforce it themselves
# (https://developers.facebook.com/docs/instagram-platform/content-publishing/, and
# docs/platform-limits.md#instagram-graph-api); through Ayrshare the same limit comes back as
# code 435 (https://www.ayrshare.com/docs/errors/errors-ayrshare).
QUOTAS: Mapping[Network, Quota] = {Network.INSTAGRAM: Quota(50, timedelta(hours=24))}


def quota_refusal(
    network: Network, taken: Sequence[datetime], when: datetime, tz: str
) -> str | None:
    """Why one more post to `network` at `when` would break its rolling quota, given when the
    account's other posts there went out or are due; None when it fits.

    Every publication, the new one and those after it, must find fewer than the quota's posts
    in the window before it.
    """
    quota = QUOTAS.get(network)
    if quota is None:
        return None
    later = [t for t in taken if when < t < when + quota.window]
    for point in (when, *later):
        used = sum(1 for t in taken if point - quota.window < t <= point)
        if used + 1 > quota.posts:
            hours = int(quota.window.total_seconds() // 3600)
            return (
                f"{network.label} allows {quota.posts} posts per {hours} hours per account, "
                f"and this account already has {used} published or scheduled in the "
                f"{hours} hours up to {format_local(point, tz)}. Pick a later time, or untick "
                f"{network.label}."
            )
    return None


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    worker: str = "worker-1"
    lease: timedelta = timedelta(minutes=5)
    batch: int = 64  # targets claimed per database round trip
    concurrency: int = 64  # requests (publish or lookup) in flight at once
    # Tries in all, backing off exponentially from 5 s (docs/product-rules.md#publishing-retries).
    max_attempts: int = 3
    backoff: timedelta = timedelta(seconds=5)
    settle_after: timedelta = timedelta(seconds=30)
    # How long a lookup may find nothing before we conclude the request never landed.
    absent_grace: timedelta = timedelta(minutes=2)
    give_up_settling: timedelta = timedelta(hours=24)
    # Later than this after its due time, a post that never went out is held for the author.
    missed_grace: timedelta = timedelta(minutes=15)
    profile_requests: int = 300  # Ayrshare: 300 requests per 5 minutes per User Profile
    profile_window: timedelta = timedelta(minutes=5)
    # Profiles (their provider keys, time zone) are reused this long between database reads.
    profile_cache: timedelta = timedelta(minutes=1)


@dataclass(slots=True)
class _Send:
    """One request about to go out: its targets are publishing, its key stored."""

    post: Post
    profile: Profile
    route: Route
    networks: tuple[Network, ...]
    key: str


@dataclass(slots=True)
class _Found:
    """What a request or a lookup found, waiting to be recorded."""

    post_id: int
    outcomes: Mapping[Network, Outcome]
    key: str
    sent: Post | None
    recorded: asyncio.Future[tuple[Post, list[Target]] | None]
    # The state and send time each target had when the request or lookup began: an answer
    # only settles a target still in that attempt. A slow lookup finding nothing must not
    # pull back a target that another lookup has since re-sent (same key, newer send).
    attempt: Mapping[Network, tuple[TargetState, datetime | None]]


@dataclass(slots=True)
class _Claimed:
    """What one claim decided, acted on after its transaction commits."""

    sends: list[_Send] = field(default_factory=list)
    notices: list[tuple[Post, Reply]] = field(default_factory=list)
    changed: list[Post] = field(default_factory=list)  # progress to show (not sent)
    targets: int = 0


class Pipeline:
    """Publishes due targets exactly once, from any number of processes sharing the database.

    `tick()` runs one pass and waits for the requests it started (tests, console scripts);
    the scheduler calls `step()`, which lets requests finish in the background while the next
    ticks claim more, and `stop()`, `drain()` and `release()` on shutdown.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        accounts: Accounts,
        notifier: ProgressNotifier,
        clock: Clock,
        config: PipelineConfig | None = None,
        rng: random.Random | None = None,
        budget: RequestBudget | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._accounts = accounts
        self._notifier = notifier
        self._clock = clock
        self.config = config or PipelineConfig()
        self._rng = rng or random.Random()
        # Shared with analytics when the composition root passes one in (one per provider).
        self._budget = budget or RequestBudget(
            self.config.profile_requests, self.config.profile_window
        )
        self._profiles: dict[int, tuple[datetime, Profile]] = {}
        self._inflight: set[asyncio.Task[None]] = set()
        self._refill: asyncio.Task[None] | None = None
        self._to_record: list[_Found] = []
        self._chatter: set[asyncio.Task[None]] = set()
        self._recorder: asyncio.Task[None] | None = None
        self._claiming = asyncio.Lock()
        self._more_due = False  # the last claim was full: more may be due now
        self._stopping = False

    async def tick(self) -> int:
        """One pass (recover lost work, settle unknown outcomes, publish what is due), waiting
        for every request it started."""
        done = await self.step()
        await self.drain()
        return done

    async def step(self) -> int:
        """One pass; the requests it starts run on in the background."""
        return await self.recover() + await self.settle() + await self.dispatch()

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
                return
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

    def _tell(self, message: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Update the chat in the background: it never holds a request slot."""
        task = asyncio.get_running_loop().create_task(self._guarded(message, "telling the chat"))
        self._chatter.add(task)
        task.add_done_callback(self._chatter.discard)
        return task

    def _start(self, job: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(job, what))
        self._inflight.add(task)
        task.add_done_callback(self._finished)

    async def _guarded(self, job: Coroutine[Any, Any, object], what: str) -> None:
        try:
            await job
        except Exception:
            # Leave the lease to run out: recovery decides from the recorded state.
            log.exception("%s crashed", what)

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

    @property
    def _min_claim(self) -> int:
        # Claim in chunks: one claim per finished request would cost a query per request.
        return max(1, min(self.config.batch, self.config.concurrency) // 4)

    # --- dispatch ---------------------------------------------------------------------

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
                    self._start(self._send(send), f"publishing post {send.post.id}")
                for post in claimed.changed:
                    self._tell(self._notifier.show(post))
                for post, notice in claimed.notices:
                    self._tell(self._notifier.notify(post, notice))
                started += len(claimed.sends) + len(claimed.notices)
                # Posts are claimed whole, so a full claim can fall short of `limit` by up to
                # one post's targets.
                self._more_due = claimed.targets > 0 and claimed.targets + len(Network) > limit
                if not self._more_due:
                    break
        return started

    async def _claim(self, limit: int) -> _Claimed:
        now = self._clock.now()
        result = _Claimed()
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
                await self._prepare(uow, post, profile, mine, now, result)
                await uow.posts.save(post)
            await uow.commit()
        return result

    async def _profile(self, uow: UnitOfWork, profile_id: int, now: datetime) -> Profile | None:
        """The profile, from a short-lived cache: loading it (and decrypting its provider key)
        for every post would cost more than the post's own writes."""
        cached = self._profiles.get(profile_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        profile = await uow.profiles.get(profile_id)
        if profile is not None:
            if len(self._profiles) > 10_000:
                self._profiles.clear()
            self._profiles[profile_id] = (now + self.config.profile_cache, profile)
        return profile

    def _holds(self, t: Target) -> bool:
        return t.state is TargetState.QUEUED and t.locked_by == self.config.worker

    async def _prepare(
        self,
        uow: UnitOfWork,
        post: Post,
        profile: Profile,
        mine: list[Target],
        now: datetime,
        result: _Claimed,
    ) -> None:
        """Decide for each claimed target of `post`: send, wait, hold or fail (in `uow`)."""
        late = [
            t for t in mine if t.attempts == 0 and now - _due(t, now) > self.config.missed_grace
        ]
        late_networks = {t.network for t in late}
        if late and self._all_fresh(post, late_networks):
            self._hold(post, late, profile, result)
            return
        failed: list[Target] = []
        for t in late:
            # Part of a post that is already under way (a retry the author asked for, due
            # while the bot was down): not sent this late without asking again.
            due = format_local(_due(t, now), profile.timezone)
            reason = (
                f"Not sent: it was due at {due} and the bot was not running then. "
                "Tap Retry to send it now."
            )
            self._end(t, TargetState.FAILED, reason)
            failed.append(t)
        groups: dict[tuple[Route, int, str | None], list[Target]] = {}
        for t in mine:
            if t.network in late_networks:
                continue
            # A target re-sent after an outcome we could not see (5xx, timeout, absent from
            # the lookup) keeps the key it was sent with, whatever else is due with it.
            prior = t.idempotency_key if t.attempts > 0 else None
            groups.setdefault((t.route, t.round, prior), []).append(t)
        for (route, round_, prior), targets in groups.items():
            for t in list(targets):
                refusal = await self._quota_now(uow, post, profile, t, now)
                if refusal is not None:
                    self._end(t, TargetState.FAILED, refusal)
                    failed.append(t)
                    targets.remove(t)
            if not targets:
                continue
            wait = self._budget.reserve((route, profile.id), now)
            if wait is not None:
                for t in targets:  # over the profile's request budget: back in line
                    self._end(t, TargetState.SCHEDULED, None)
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
            result.sends.append(_Send(post, profile, route, networks, key))
        if failed:
            result.changed.append(post)
            if _author_away(post):
                result.notices.append((post, _failure_notice(post, failed)))

    def _all_fresh(self, post: Post, late: set[Network]) -> bool:
        """Nothing of the post has gone out: every target that is not a draft is late here."""
        return all(
            t.network in late for t in post.targets.values() if t.state is not TargetState.DRAFT
        )

    def _hold(self, post: Post, late: list[Target], profile: Profile, result: _Claimed) -> None:
        due = min(t.due_at for t in late if t.due_at is not None)
        when = format_local(post.scheduled_at or due, profile.timezone)
        for t in late:
            self._end(t, TargetState.SCHEDULED, None)
            t.move_to(TargetState.DRAFT)
        post.scheduled_at = None
        nets = ", ".join(t.network.label for t in post.ordered_targets())
        late_by = duration(self.config.missed_grace)
        notice = Reply(
            f"⏰ Post #{post.id} was due {when}, while the bot was not running, so it was "
            f"not sent. Posts more than {late_by} late wait for you: publish it "
            f"now, edit it, or delete it.\n{views.clip(post.text) or '(media only)'}\nTo: {nets}",
            buttons=(
                (
                    Button("🚀 Publish now", Action.PUBLISH, str(post.id)),
                    Button("✍️ Edit", Action.EDIT, str(post.id)),
                    # Asks for confirmation first: the draft's text and media are lost.
                    Button("🗑 Delete", Action.DELETE, str(post.id)),
                ),
            ),
        )
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
        sent = sorted(at for at, state in activity if state in _SENT and at > now - quota.window)
        if len(sent) < quota.posts:
            return None
        opens = format_local(sent[len(sent) - quota.posts] + quota.window, profile.timezone)
        return (
            f"Not sent: {t.network.label} allows {quota.posts} posts per "
            f"{int(quota.window.total_seconds() // 3600)} hours per account and this account "
            f"has used them. Tap Retry after {opens}."
        )

    def _end(self, t: Target, state: TargetState, error: str | None) -> None:
        """Move a claimed or sent target on, out of this worker's lease."""
        if state is not t.state:
            t.move_to(state)
        t.locked_by = t.locked_until = None
        if error is not None:
            t.error = error

    # --- sending ----------------------------------------------------------------------

    async def _send(self, send: _Send) -> None:
        post = send.post
        tag_logs(post_id=post.id, target=",".join(n.value for n in send.networks))  # own task
        # "Publishing…" goes to the chat beside the request, never before it: a slow or
        # rate-limited chat must not delay publishing.
        shown = self._tell(self._notifier.show(post, store=False))
        request = PublishRequest(post, send.networks, send.key, send.profile)
        outcomes = await self._call(send.route, request)
        waits = [o.retry_after for o in outcomes.values() if o.retry_after is not None]
        if waits:
            until = self._clock.now() + timedelta(seconds=max(waits))
            self._budget.block((send.route, send.profile.id), until)
        attempt = {n: (TargetState.PUBLISHING, post.targets[n].sent_at) for n in outcomes}
        await self._apply(post.id, outcomes, send.key, sent=post, shown=shown, attempt=attempt)

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
            # Includes a refused duplicate key: the earlier request got there, so it is looked
            # up, never shown as a failure.
            return dict.fromkeys(request.networks, Outcome(OutcomeKind.UNKNOWN, reason=e.reason))
        except Exception:
            # A bug after the request may have left: treat as unknown, never re-send blindly.
            log.exception("publisher %s raised unexpectedly", route.value)
            return dict.fromkeys(request.networks, Outcome(OutcomeKind.UNKNOWN))
        for n in request.networks:
            outcomes.setdefault(n, Outcome(OutcomeKind.UNKNOWN, reason="no result for it"))
        return outcomes

    async def _apply(
        self,
        post_id: int,
        outcomes: Mapping[Network, Outcome],
        key: str,
        *,
        sent: Post | None = None,
        shown: asyncio.Task[None] | None = None,
        attempt: Mapping[Network, tuple[TargetState, datetime | None]],
    ) -> None:
        """Record what a request (or a lookup) found, then show it in the chat. Outcomes that
        arrive together are recorded in one transaction. `sent` is the post as it was sent,
        whose progress message `shown` is putting in the chat."""
        loop = asyncio.get_running_loop()
        found = _Found(post_id, outcomes, key, sent, loop.create_future(), attempt)
        self._to_record.append(found)
        if self._recorder is None or self._recorder.done():
            self._recorder = loop.create_task(self._record_queued())
        recorded = await found.recorded
        if recorded is not None:
            self._tell(self._show_outcome(*recorded, sent=sent, shown=shown))

    async def _show_outcome(
        self,
        post: Post,
        failed: list[Target],
        *,
        sent: Post | None,
        shown: asyncio.Task[None] | None,
    ) -> None:
        if shown is not None:
            await shown
        if post.progress is None and sent is not None and sent.progress is not None:
            # The chat took longer than the request: remember its message now.
            post.progress = sent.progress
            async with self._uow() as uow:
                stored = await uow.posts.get(post.id)
                if stored is not None and stored.progress is None:
                    stored.progress = post.progress
                    await uow.posts.save(stored)
                    await uow.commit()
        await self._notifier.show(post)
        if failed and _author_away(post):
            await self._notifier.notify(post, _failure_notice(post, failed))

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

    async def _record(self, batch: Sequence[_Found]) -> list[tuple[Post, list[Target]] | None]:
        now = self._clock.now()
        results: list[tuple[Post, list[Target]] | None] = []
        async with self._uow() as uow:
            for found in batch:
                post = await uow.posts.get(found.post_id)
                if post is None:
                    results.append(None)
                    continue
                if post.progress is None and found.sent is not None:
                    post.progress = found.sent.progress  # set once the chat has answered
                delay: timedelta | None = None
                reconnect: list[Network] = []
                failed: list[Target] = []
                for network, outcome in found.outcomes.items():
                    t = post.targets.get(network)
                    if t is None or t.idempotency_key != found.key or t.state not in _OPEN:
                        continue  # settled meanwhile (another worker's lookup), or moved on
                    if found.attempt.get(network, (t.state, t.sent_at)) != (t.state, t.sent_at):
                        continue  # an answer about an earlier attempt of this target
                    if outcome.kind is OutcomeKind.RETRY and delay is None:
                        # One wait for the whole request, so its targets are retried together.
                        delay = self._backoff(t.attempts, outcome)
                    self._settle_target(t, outcome, now, delay or timedelta())
                    if t.state is TargetState.FAILED:
                        failed.append(t)
                    if outcome.reconnect:
                        reconnect.append(network)
                await uow.posts.save(post)
                if reconnect:
                    await self._mark_broken(uow, post.profile_id, reconnect, now)
                results.append((post, failed))
            await uow.commit()
        return results

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

    def _settle_target(self, t: Target, outcome: Outcome, now: datetime, delay: timedelta) -> None:
        match outcome.kind:
            case OutcomeKind.PUBLISHED:
                self._end(t, TargetState.PUBLISHED, None)
                t.url, t.published_at, t.error = outcome.url, now, None
                t.external_id = outcome.external_id or t.external_id
                t.provider_post_id = outcome.provider_post_id or t.provider_post_id
            case OutcomeKind.FAILED:
                reason = outcome.reason or "The network refused the post."
                if outcome.reconnect:
                    reason += f" Reconnect {t.network.label}: /connect"
                self._end(t, TargetState.FAILED, reason)
            case OutcomeKind.RETRY:
                reason = outcome.reason or "a temporary error"
                if outcome.key_spent:
                    # The provider processed the request, so it refuses its key from now on.
                    t.round += 1
                    t.idempotency_key = None
                if t.attempts < self.config.max_attempts:
                    self._end(t, TargetState.SCHEDULED, reason)
                    t.due_at = now + delay
                elif outcome.key_spent:
                    self._end(t, TargetState.FAILED, _gave_up(t.attempts, reason))
                else:
                    # A 5xx may hide a post that went out: look before calling it failed, so
                    # a manual retry (with a fresh key) cannot post it twice.
                    self._end(t, TargetState.UNCONFIRMED, reason)
                    t.due_at = now + self.config.settle_after
            case OutcomeKind.ABSENT:
                if t.attempts >= self.config.max_attempts:
                    self._end(t, TargetState.FAILED, _gave_up(t.attempts, t.error))
                else:
                    # It never landed: send again with the same key.
                    self._end(t, TargetState.SCHEDULED, None)
                    t.due_at = now
            case OutcomeKind.UNKNOWN:
                self._end(t, TargetState.UNCONFIRMED, outcome.reason)
                t.due_at = now + self.config.settle_after

    def _backoff(self, attempts: int, outcome: Outcome) -> timedelta:
        base = self.config.backoff.total_seconds() * 2 ** max(attempts - 1, 0)
        delay = base * self._rng.uniform(0.8, 1.2)
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        return timedelta(seconds=delay)

    # --- settle and recover -----------------------------------------------------------

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
                    if t.state is TargetState.UNCONFIRMED and _due(t, now) <= now:
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
                        self._hand_back(t, now)
                await uow.posts.save(post)
            await uow.commit()
        return len(posts)

    async def release(self) -> None:
        """On shutdown, after `stop()` and `drain()`: hand back every target this worker still
        holds. Claimed ones go back to the schedule, keeping their due time; one whose request
        may have left (its job crashed) is looked up."""
        now = self._clock.now()
        while True:
            async with self._uow() as uow:
                posts = await uow.posts.held_by(self.config.worker, limit=self.config.batch)
                for post in posts:
                    for t in post.targets.values():
                        if t.locked_by == self.config.worker:
                            self._hand_back(t, now)
                    await uow.posts.save(post)
                await uow.commit()
            if len(posts) < self.config.batch:
                return

    def _hand_back(self, t: Target, now: datetime) -> None:
        if t.state is TargetState.QUEUED:
            self._end(t, TargetState.SCHEDULED, None)  # never sent: due as it was
        elif t.state is TargetState.PUBLISHING:
            self._end(t, TargetState.UNCONFIRMED, None)
            t.due_at = now
        else:
            t.locked_by = t.locked_until = None


_OPEN = frozenset({TargetState.PUBLISHING, TargetState.UNCONFIRMED})


def _due(t: Target, default: datetime | None) -> datetime:
    if t.due_at is not None:
        return t.due_at
    assert default is not None
    return default


def _gave_up(attempts: int, reason: str | None) -> str:
    return f"Gave up after {attempts} attempts: {reason or 'no answer'}"


def _author_away(post: Post) -> bool:
    """A scheduled post fails while its author may be elsewhere: the edited progress message
    alone could go unseen, so a short notice follows. After "Publish now" the author is looking
    at that message, and a second one would be noise (one message per task:
    docs/product-rules.md#chat)."""
    return post.scheduled_at is not None


def _failure_notice(post: Post, failed: Sequence[Target]) -> Reply:
    """The short message an author gets when targets of a post fail for good."""
    failed = sorted(failed, key=lambda t: t.network.rank)
    names = ", ".join(t.network.label for t in failed)
    retry = views.retry_buttons(post, failed)
    return Reply(
        f"❌ Post #{post.id} was not published to {names}: "
        f"{views.clip(post.text, 40) or '(media only)'}",
        fields=tuple(Field(t.network.label, t.error or "failed") for t in failed),
        buttons=views.rows(retry, 2),
    )
