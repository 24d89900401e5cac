"""Delivering digests once per chat and day: claims with leases, retries, composing ahead."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from core.digest_schedule import (
    DigestClaim,
    DigestSubscription,
    latest_occurrence,
    next_occurrence,
)
from core.digests.compose import DigestComposer
from core.digests.facts import FactsMemo
from core.digests.figures import midnight
from core.digests.inputs import DigestWindow
from core.errors import Conflict
from core.model import ChatKind, ChatPlatform, ChatRef, Profile
from core.ports import ChatUnreachable, Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.replies import Reply, seal
from core.when import zone

log = logging.getLogger(__name__)

DIGEST_PAUSED = (
    "📭 I couldn't post your digest in that channel: I'm not in it (or it is archived). "
    "It is paused: add me there with /invite @Postroom, then turn it on again with "
    "/digest here in that channel."
)
LATE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class DigestConfig:
    worker: str = "worker-1"
    lease: timedelta = timedelta(minutes=5)
    batch: int = 500  # subscriptions claimed per query
    concurrency: int = 64  # digests in flight; the messenger's rate limiter paces them
    max_attempts: int = 5
    retry_backoff: timedelta = timedelta(minutes=2)  # doubled per failed attempt
    lookahead: timedelta = timedelta(minutes=15)  # composed this far ahead of their time
    cache_size: int = 4000
    # Profiles whose numbers are read together when composing ahead: a few statements per
    # batch instead of several per digest.
    read_batch: int = 200


@dataclass(slots=True)
class _Prepared:
    reply: Reply
    composed_at: datetime


@dataclass(slots=True)
class RunReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    prepared: int = 0
    errors: list[str] = field(default_factory=list)


class DigestRunner:
    """Claims due digests in the database and sends them through the messengers.

    The claim is the (subscription, day) delivery row: inserted under a UNIQUE constraint, so
    one worker sends each digest; a worker that dies leaves a lease that runs out and another
    worker takes over. A digest whose time passed while the bot was down is sent once, late,
    with its date. Digests coming due soon are composed ahead (charts take time to draw), so
    sending at the hour is limited by the chat platform's pace only.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        messengers: Messengers,
        composer: DigestComposer,
        clock: Clock,
        config: DigestConfig | None = None,
    ) -> None:
        self._uow = uow
        self._messengers = messengers
        self._composer = composer
        self._clock = clock
        self.config = config or DigestConfig()
        self._cache: OrderedDict[tuple[int, date], _Prepared] = OrderedDict()
        self._profiles: dict[int, Profile] = {}
        # Records of digests already out, still being written when a stop cancelled their
        # sender: release() waits for them, or it would hand a sent digest back.
        self._marking: set[asyncio.Task[None]] = set()

    async def tick(self) -> RunReport:
        """Send every digest due now. Claims are taken a batch at a time and the next batch is
        claimed while the last one is still going out, so the messenger's pace is the limit;
        each batch is sent well within its lease."""
        report = RunReport()
        queue: asyncio.Queue[DigestClaim | None] = asyncio.Queue()
        low = self.config.concurrency  # claim more when this few are left waiting
        room = asyncio.Event()

        async def sender() -> None:
            while (claim := await queue.get()) is not None:
                if queue.qsize() <= low:
                    room.set()
                try:
                    await self._deliver(claim, report)
                except Exception:
                    # Recording the outcome failed (the database): the lease runs out and
                    # another tick takes the digest over.
                    log.exception("digest %s for %s", claim.day, claim.subscription.chat)

        try:
            async with asyncio.TaskGroup() as senders:
                for _ in range(self.config.concurrency):
                    senders.create_task(sender())
                try:
                    while True:
                        claims = await self._claim(report)
                        for claim in claims:
                            queue.put_nowait(claim)
                        if len(claims) < self.config.batch:
                            break
                        while queue.qsize() > low:
                            room.clear()
                            await room.wait()
                finally:
                    for _ in range(self.config.concurrency):
                        queue.put_nowait(None)
        finally:
            self._profiles.clear()
        return report

    async def prepare(self) -> int:
        """Compose the digests due within the lookahead, so they are ready at their time."""
        now = self._clock.now()
        horizon = now + self.config.lookahead
        platforms = set(self._messengers)
        async with self._uow() as uow:
            coming = await uow.digests.due(
                horizon, limit=self.config.cache_size, platforms=platforms
            )
        todo: list[tuple[DigestSubscription, Profile, date]] = []
        try:
            for sub in coming:
                if sub.chat.platform not in platforms or sub.next_due_at is None:
                    continue
                profile = await self._profile(sub.profile_id)
                if profile is None:
                    continue
                occurrence = sub.next_due_at if sub.next_due_at > now else None
                if occurrence is None:
                    continue  # already due: the next tick sends it
                day = occurrence.astimezone(zone(profile.timezone)).date()
                if (sub.id, day) in self._cache or now < midnight(day, profile.timezone):
                    continue  # ready, or its period is not over yet
                todo.append((sub, profile, day))
            memo = await self._facts_ahead(todo)
            done = 0
            for sub, profile, day in todo:
                try:
                    reply = await self._compose(sub, profile, day, late_for=None, memo=memo)
                except Exception:
                    log.exception("preparing the digest of subscription %s failed", sub.id)
                    continue
                self._remember(sub.id, day, reply, now)
                done += 1
            return done
        finally:
            self._profiles.clear()

    async def _facts_ahead(
        self, todo: Sequence[tuple[DigestSubscription, Profile, date]]
    ) -> FactsMemo:
        """The facts of every digest about to be composed, read a batch of profiles at a
        time; a batch that fails is left to be read digest by digest."""
        windows = {w.key: w for w in (DigestWindow(p, day, sub.weekly) for sub, p, day in todo)}
        batches = list(windows.values())
        memo: FactsMemo = {}
        for start in range(0, len(batches), self.config.read_batch):
            batch = batches[start : start + self.config.read_batch]
            try:
                memo.update(await self._composer.facts_many(batch))
            except Exception:
                log.exception("reading the numbers of %d digests at once failed", len(batch))
        return memo

    async def release(self) -> int:
        """A clean stop: unsent claims go back, due at once for the next worker."""
        if self._marking:
            await asyncio.gather(*self._marking, return_exceptions=True)
        async with self._uow() as uow:
            count = await uow.digests.release(self.config.worker, self._clock.now())
            await uow.commit()
        return count

    async def _claim(self, report: RunReport) -> list[DigestClaim]:
        now = self._clock.now()
        lease_until = now + self.config.lease
        platforms = set(self._messengers)
        try:
            claims = await self._claim_due(now, lease_until, platforms)
        except Conflict:
            # Another worker's claims won the commit (in-memory store); the next tick retries.
            log.info("digest claims raced with another worker; retrying next tick")
            claims = []
        # Deliveries whose worker died (lease ran out) or whose retry time came.
        async with self._uow() as uow:
            stalled = await uow.digests.stalled(now, limit=self.config.batch)
        for sub_id, day in stalled:
            async with self._uow() as uow:
                found = await uow.digests.get(sub_id)
                if found is None or not found.enabled or found.chat.platform not in platforms:
                    continue
                attempt = await uow.digests.claim(
                    sub_id, day, worker=self.config.worker, now=now, lease_until=lease_until
                )
                await uow.commit()
            if attempt is not None:
                claims.append(DigestClaim(found, day, attempt, None))
        report.claimed += len(claims)
        return claims

    async def _claim_due(
        self, now: datetime, lease_until: datetime, platforms: set[ChatPlatform]
    ) -> list[DigestClaim]:
        """Claim a batch of due digests and move their subscriptions on, in one transaction."""
        claims: list[DigestClaim] = []
        async with self._uow() as uow:
            due = await uow.digests.due(now, limit=self.config.batch, platforms=platforms)
            for sub in due:
                profile = await self._profile_in(uow, sub.profile_id)
                if profile is None:
                    continue
                tz = zone(profile.timezone)
                occurrence = latest_occurrence(now, sub.minute_of_day, sub.weekly, tz)
                day = occurrence.astimezone(tz).date()
                attempt = await uow.digests.claim(
                    sub.id, day, worker=self.config.worker, now=now, lease_until=lease_until
                )
                following = next_occurrence(now, sub.minute_of_day, sub.weekly, tz)
                await uow.digests.advance(sub.id, expected=sub.next_due_at, next_due_at=following)
                if attempt is not None:
                    late = occurrence if now - occurrence > LATE_AFTER else None
                    claims.append(DigestClaim(sub, day, attempt, late))
            await uow.commit()
        return claims

    async def _deliver(self, claim: DigestClaim, report: RunReport) -> None:
        sub = claim.subscription
        messenger = self._messengers.get(sub.chat.platform)
        try:
            profile = await self._profile(sub.profile_id)
            if profile is None or messenger is None:
                raise LookupError("profile or messenger gone")
            prepared = self._cache.pop((sub.id, claim.day), None)
            if prepared is not None and claim.late_for is None:
                reply = prepared.reply
            else:
                reply = await self._compose(sub, profile, claim.day, late_for=claim.late_for)
            # Its buttons (📈 Last 7 days) are the subscriber's, even in a group.
            sent = await messenger.send(sub.chat, seal(reply, profile.id, self._clock.now()))
        except asyncio.CancelledError:
            raise
        except Exception as e:
            await self._failed(claim, e, report)
            return
        # Shielded: once the message is out, a stop (cancellation) must not lose the record
        # of it, or the next worker would send it again. Only a hard kill between the send
        # and this commit can repeat a digest.
        marking = asyncio.ensure_future(self._mark_sent(claim, sent.message_id))
        self._marking.add(marking)
        marking.add_done_callback(self._marking.discard)
        await asyncio.shield(marking)
        report.sent += 1

    async def _mark_sent(self, claim: DigestClaim, message_id: str) -> None:
        async with self._uow() as uow:
            await uow.digests.mark_sent(
                claim.subscription.id,
                claim.day,
                worker=self.config.worker,
                now=self._clock.now(),
                message_id=message_id,
            )
            await uow.commit()

    async def _failed(self, claim: DigestClaim, error: Exception, report: RunReport) -> None:
        sub = claim.subscription
        reason = f"{type(error).__name__}: {error}"[:500]
        log.warning(
            "digest %s for %s (attempt %d) not sent: %s",
            claim.day,
            sub.chat,
            claim.attempts,
            reason,
        )
        now = self._clock.now()
        if isinstance(error, ChatUnreachable) and not sub.chat.private:
            await self._pause(claim, reason)
            report.failed += 1
            report.errors.append(reason)
            return
        async with self._uow() as uow:
            if claim.attempts >= self.config.max_attempts:
                await uow.digests.mark_failed(
                    sub.id, claim.day, worker=self.config.worker, error=reason
                )
            else:
                wait = self.config.retry_backoff * 2 ** (claim.attempts - 1)
                await uow.digests.mark_retry(
                    sub.id, claim.day, worker=self.config.worker, error=reason, retry_at=now + wait
                )
            await uow.commit()
        report.failed += 1
        report.errors.append(reason)

    async def _pause(self, claim: DigestClaim, reason: str) -> None:
        """The bot may not post in the chat (not a member, archived): retrying cannot help.
        The subscription is paused and its subscriber told once, in their private chat."""
        sub = claim.subscription
        async with self._uow() as uow:
            await uow.digests.mark_failed(
                sub.id, claim.day, worker=self.config.worker, error=reason
            )
            stored = await uow.digests.get(sub.id)
            if stored is not None:
                stored.enabled = False
                await uow.digests.save(stored)
            identities = await uow.profiles.identities(sub.profile_id)
            await uow.commit()
        chat = sub.chat
        found = [
            i for i in identities if i.platform is chat.platform and i.workspace == chat.workspace
        ]
        messenger = self._messengers.get(chat.platform)
        if not found or messenger is None:
            return
        dm = ChatRef(chat.platform, found[0].user, chat.workspace, ChatKind.PRIVATE)
        try:
            await messenger.send(dm, Reply(DIGEST_PAUSED))
        except Exception:
            log.exception("could not tell the subscriber of digest %s it is paused", sub.id)

    async def _compose(
        self,
        sub: DigestSubscription,
        profile: Profile,
        day: date,
        *,
        late_for: datetime | None,
        memo: FactsMemo | None = None,
    ) -> Reply:
        private = sub.chat.private  # the kind seen when it was subscribed
        return await self._composer.compose(
            profile,
            day,
            weekly=sub.weekly,
            named=not private,
            private=private,
            late_for=late_for,
            memo=memo,
        )

    def _remember(self, sub_id: int, day: date, reply: Reply, now: datetime) -> None:
        self._cache[(sub_id, day)] = _Prepared(reply, now)
        while len(self._cache) > self.config.cache_size:
            self._cache.popitem(last=False)

    async def _profile(self, profile_id: int) -> Profile | None:
        if profile_id in self._profiles:
            return self._profiles[profile_id]
        async with self._uow() as uow:
            return await self._profile_in(uow, profile_id)

    async def _profile_in(self, uow: UnitOfWork, profile_id: int) -> Profile | None:
        if profile_id not in self._profiles:
            profile = await uow.profiles.get(profile_id)
            if profile is None:
                return None
            self._profiles[profile_id] = profile
        return self._profiles[profile_id]
