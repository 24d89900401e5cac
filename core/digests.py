"""Daily and weekly digests: what they say, the /digest command, and delivery once per chat and
day through the Messenger, even across restarts and several workers."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from core.actions import Action
from core.app import Actor
from core.commands import Command
from core.digest_cache import ChartCache
from core.digest_figures import (
    Totals,
    exposure_total,
    followers,
    midnight,
    outcome_line,
    top_post,
    week_chart,
)
from core.digest_inputs import DigestInputs, DigestWindow, read_inputs
from core.digest_model import (
    DigestClaim,
    DigestSubscription,
    latest_occurrence,
    next_occurrence,
)
from core.engagement import RATE_RULE, Engagement, engagement, format_engagement
from core.errors import Conflict, DomainError
from core.metrics import (
    AnalyticsItem,
    ChartSeries,
    Metric,
    PublishCounts,
    delta_count,
    delta_percent,
    delta_points,
    format_count,
)
from core.model import (
    ChatPlatform,
    ChatRef,
    ConnectionStatus,
    MessageRef,
    Network,
    Profile,
)
from core.policy import Policy
from core.ports import ChartRenderer, Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.replies import Button, Field, Reply, seal
from core.stats import StatsCommands
from core.utf16 import units
from core.views import clip
from core.when import month_of, read_clock, zone
from core.wording import count_of

__all__ = [
    "CAPTION_BUDGET",
    "DigestCommands",
    "DigestComposer",
    "DigestConfig",
    "DigestFacts",
    "DigestRunner",
    "parse_clock",
    "plain_size",
    "render_digest",
]

log = logging.getLogger(__name__)

# A digest with its chart is one photo whose caption Telegram caps at 1024 characters
# (https://core.telegram.org/bots/api#sendphoto); Slack's section text caps at 3000 and ten
# fields (https://api.slack.com/reference/block-kit/blocks#section). Rendered by
# construction well inside the smallest of these.
CAPTION_BUDGET = 1000
MAX_ATTENTION = 3
QUOTA_WARNING = 0.8  # "quota nearly used" from 80% of the month's posts
FAILING_AFTER = 3  # an item whose refresh failed this many times in a row needs attention
LATE_AFTER = timedelta(minutes=30)


def parse_clock(text: str) -> int:
    """Minutes after midnight for `09:00`, `9:30`, `9am`, `18h` (`core.when.read_clock`);
    refuses anything else."""
    clock = read_clock(text)
    if clock is not None:
        return clock.hour * 60 + clock.minute
    raise DomainError(f"I can't read {text.strip()[:20]!r} as a time; use e.g. 09:00 or 18:30.")


def plain_size(reply: Reply) -> int:
    """The reply's length as chat clients count it once rendered: text lines, then one line per
    field (`label  value · view`), in UTF-16 units (Telegram's measure)."""
    lines = reply.text.splitlines()
    for f in reply.fields:
        lines.append(f"{f.label}  {f.value}" + (" · view" if f.url else ""))
    return sum(units(line) for line in lines) + max(len(lines) - 1, 0)


# --- what a digest says -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestFacts:
    """Everything a digest shows, computed from stored numbers; rendering is separate."""

    profile_name: str
    day: date  # the digest's date; it reports on the period before it
    weekly: bool
    named: bool  # in a group or channel: say whose digest it is
    views: tuple[int | None, int | None]  # (this period, the one before)
    rate: tuple[Engagement | None, Engagement | None]  # over the networks' gains
    followers: tuple[int | None, int | None]
    top: tuple[AnalyticsItem, int] | None  # the post seen most in the period, and how much
    outcomes: PublishCounts
    attention: tuple[str, ...] = ()
    late_for: datetime | None = None  # when it was due, if sent late
    timezone: str = "UTC"
    chart: ChartSeries | None = None
    reconnect: bool = False  # a broken connection: offer the button in private chats

    @property
    def has_data(self) -> bool:
        rate = self.rate[0]
        measured = rate is not None and rate.rate is not None
        return (
            measured
            or any(v is not None for v in (*self.views, *self.followers))
            or bool(self.outcomes.published or self.outcomes.failed)
        )


def _day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _period_label(facts: DigestFacts) -> str:
    if facts.weekly:
        start, end = facts.day - timedelta(days=7), facts.day - timedelta(days=1)
        return f"Last week ({start.day} {start:%b} – {end.day} {end:%b}) vs the week before"
    return f"Yesterday ({_day_label(facts.day - timedelta(days=1))}) vs the day before"


def render_digest(facts: DigestFacts, image: bytes | None, *, private: bool) -> Reply:
    """The digest as one reply: a photo caption when there is a chart, within every chat
    platform's limits by construction (long names and reasons are clipped)."""
    word = "Weekly" if facts.weekly else "Daily"
    head = f"📊 {word} digest"
    if facts.named:
        head += f" · {clip(facts.profile_name, 40)}"
    lines = [head, _period_label(facts)]
    if facts.late_for is not None:
        local = facts.late_for.astimezone(zone(facts.timezone))
        lines.append(f"⏰ Sent late: it was due {_day_label(local.date())} {local:%H:%M}.")
    if not facts.has_data:
        lines.append(
            "No numbers for this period yet: they arrive about an hour after a post is "
            "published (daily on Free). Add posts published elsewhere with /track <url>."
        )
    views_now, views_before = facts.views
    rate_now, rate_before = facts.rate
    followers_now, followers_before = facts.followers
    rate_change = delta_points(_rate(rate_now), _rate(rate_before))
    fields = [
        Field("Views", f"{format_count(views_now)}  {delta_percent(views_now, views_before)}"),
        Field(
            "Engagement",
            f"{format_engagement(rate_now, 'network')}  {rate_change}",
        ),
        Field(
            "Followers",
            f"{format_count(followers_now)}  {delta_count(followers_now, followers_before)}",
        ),
    ]
    if facts.top is not None:
        item, seen = facts.top
        title = clip(item.title, 40) or "(no text)"
        what = "views" if Metric.VIEWS in item.metrics else "impressions"
        fields.append(
            Field(
                "Top post", f"“{title}” on {item.network.label} — {count_of(seen, what)}", item.url
            )
        )
    else:
        fields.append(Field("Top post", "n/a"))
    fields.append(Field("Posts", outcome_line(facts.outcomes, 120)))
    shown = list(facts.attention[:MAX_ATTENTION])
    if len(facts.attention) > MAX_ATTENTION:
        shown.append(f"+{len(facts.attention) - MAX_ATTENTION} more: /status")
    fields += [Field("⚠️", clip(a, 120)) for a in shown]
    fields.append(Field("ℹ️", RATE_RULE))
    buttons: list[Button] = []
    if private:
        buttons.append(Button("📈 Last 7 days", Action.DIGEST, "stats"))
        if facts.reconnect:
            buttons.append(Button("🔗 Reconnect", Action.COMMAND, "connect"))
    reply = Reply(
        "\n".join(lines),
        fields=tuple(fields),
        buttons=(tuple(buttons),) if buttons else (),
        image=image,
    )
    if plain_size(reply) > CAPTION_BUDGET:
        # Unreachable with the clips above unless a label grows; keep the promise anyway.
        reply = Reply(
            "\n".join(lines[:2]),
            fields=tuple(Field(f.label, clip(f.value, 60), f.url) for f in fields[:6]),
            buttons=reply.buttons,
            image=image,
        )
    return reply


# --- computing the facts ----------------------------------------------------------------------


def _rate(found: Engagement | None) -> float | None:
    return None if found is None else found.rate


FactsMemo = dict[tuple[int, date, bool], DigestFacts]


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


class DigestComposer:
    """Reads a profile's stored numbers and builds its digest for one date."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        policy: Policy,
        clock: Clock,
        charts: ChartRenderer | None = None,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._clock = clock
        self.charts = None if charts is None else ChartCache(charts)

    async def facts(
        self,
        profile: Profile,
        day: date,
        *,
        weekly: bool,
        named: bool,
        late_for: datetime | None = None,
    ) -> DigestFacts:
        window = DigestWindow(profile, day, weekly)
        async with self._uow() as uow:
            inputs = await read_inputs(uow, [window])
            used = await self._used(uow, profile)
        return self._facts(window, inputs[window.key], used, named=named, late_for=late_for)

    async def facts_many(self, windows: Sequence[DigestWindow]) -> FactsMemo:
        """The facts of many digests, read in a few statements for all of them (a wave of
        digests composed ahead); `named` is set per chat when composing."""
        async with self._uow() as uow:
            inputs = await read_inputs(uow, windows)
            used = {w.profile.id: await self._used(uow, w.profile) for w in windows}
        return {
            w.key: self._facts(w, inputs[w.key], used[w.profile.id], named=False) for w in windows
        }

    def _facts(
        self,
        window: DigestWindow,
        inputs: DigestInputs,
        used: int,
        *,
        named: bool,
        late_for: datetime | None = None,
    ) -> DigestFacts:
        profile, day, weekly, span = window.profile, window.day, window.weekly, window.span
        end, tz = window.end, profile.timezone
        start_at, end_at = window.start_at, window.end_at
        rows, accounts, items = inputs.rows, inputs.accounts, inputs.items
        history, outcomes = inputs.history, inputs.outcomes
        attention = self._attention(profile, items, used)
        days = Totals.read(rows, items, since=window.oldest, timezone=tz)
        now_gain = days.gain(end, end - timedelta(days=span))
        before_gain = days.gain(end - timedelta(days=span), end - timedelta(days=2 * span))
        known = followers(accounts, end, end - timedelta(days=span))
        chart = week_chart(days, end)
        broken = any(c.status is ConnectionStatus.BROKEN for c in profile.connections.values())
        return DigestFacts(
            profile_name=profile.display_name or f"profile {profile.id}",
            day=day,
            weekly=weekly,
            named=named,
            views=(exposure_total(now_gain), exposure_total(before_gain)),
            rate=(
                None if now_gain is None else engagement(now_gain.values()),
                None if before_gain is None else engagement(before_gain.values()),
            ),
            followers=known,
            top=top_post(items, history, start_at, end_at),
            outcomes=outcomes,
            attention=attention,
            late_for=late_for,
            timezone=tz,
            chart=chart,
            reconnect=broken,
        )

    async def compose(
        self,
        profile: Profile,
        day: date,
        *,
        weekly: bool,
        named: bool,
        private: bool,
        late_for: datetime | None = None,
        memo: FactsMemo | None = None,
    ) -> Reply:
        """The digest of `profile` for `day`. With a `memo` (one run of the runner), the
        facts are read once per profile and reused for each of its chats."""
        key = (profile.id, day, weekly)
        facts = None if memo is None else memo.get(key)
        if facts is None:
            facts = await self.facts(profile, day, weekly=weekly, named=named)
            if memo is not None:
                memo[key] = facts
        facts = replace(facts, named=named, late_for=late_for)
        image = None
        if self.charts is not None and facts.chart is not None:
            image = await self.charts.image(profile.id, day, weekly, facts.chart)
        return render_digest(facts, image, private=private)

    async def _used(self, uow: UnitOfWork, profile: Profile) -> int:
        """Posts counted against this month's limit so far."""
        since, until = month_of(self._clock.now(), profile.timezone)
        return await uow.posts.count_outgoing(profile.id, since=since, until=until)

    def _attention(
        self, profile: Profile, items: Sequence[AnalyticsItem], used: int
    ) -> tuple[str, ...]:
        found: list[str] = []
        for network in Network:
            conn = profile.connections.get(network)
            if conn is not None and conn.status is ConnectionStatus.BROKEN:
                found.append(f"{network.label} needs reconnecting — /connect")
        limit = self._policy[profile.tier].posts_per_month
        if limit and used >= QUOTA_WARNING * limit:
            way_out = "/upgrade" if profile.tier.value == "free" else "resets on the 1st"
            found.append(f"{used} of {limit} posts used this month — {way_out}")
        failing: dict[Network, str] = {}
        for item in items:
            if item.failures >= FAILING_AFTER and item.last_error:
                failing.setdefault(item.network, item.last_error)
        for network, reason in failing.items():
            found.append(f"{network.label} numbers can't be refreshed: {clip(reason, 60)}")
        return tuple(found)


# --- delivery ---------------------------------------------------------------------------------


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

    # --- claiming ----------------------------------------------------------------------------

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

    # --- helpers -------------------------------------------------------------------------

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


# --- /digest ----------------------------------------------------------------------------------


USAGE = (
    "/digest on — a daily digest in this chat at 09:00 your time\n"
    "/digest time 18:30 · /digest weekly (Mondays) · /digest daily\n"
    "/digest here — move it to this chat (a group, or a channel where I'm admin)\n"
    "/digest now — show one now · /digest off"
)


class DigestCommands:
    """The /digest command and its buttons (action "dg")."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        composer: DigestComposer,
        clock: Clock,
        stats: StatsCommands | None = None,
    ) -> None:
        self._uow = uow
        self._composer = composer
        self._clock = clock
        self._stats = stats

    async def command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        word, _, rest = cmd.args.strip().partition(" ")
        return await self._do(actor, profile, word.lower(), rest.strip())

    async def tap(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if arg == "stats" and self._stats is not None:
            return await self._stats.period(profile, 7)
        reply = await self._do(actor, profile, arg, "")
        if arg == "now":
            return reply  # a digest of its own, below the settings message
        return Reply(reply.text, reply.fields, reply.buttons, edit=True, image=reply.image)

    async def _do(self, actor: Actor, profile: Profile, word: str, rest: str) -> Reply:
        now = self._clock.now()
        tz = zone(profile.timezone)
        chat = actor.chat
        match word:
            case "" | "status":
                return await self._status(profile, chat)
            case "on" | "here":
                async with self._uow() as uow:
                    sub = await self._upsert(uow, profile, chat, enabled=True)
                    moved = []
                    if word == "here":
                        for other in await uow.digests.for_profile(profile.id):
                            if other.id != sub.id and other.enabled:
                                other.enabled = False
                                await uow.digests.save(other)
                                moved.append(other.chat.chat)
                    await uow.commit()
                text = f"📬 Digest on in this chat: {self._when(sub, profile)}."
                if moved:
                    text += " It no longer goes to the other chat" + (
                        "s." if len(moved) > 1 else "."
                    )
                return Reply(text + "\n/digest now shows one · /digest off stops it")
            case "off":
                async with self._uow() as uow:
                    current = await uow.digests.find(profile.id, chat)
                    targets = (
                        [current]
                        if current is not None and current.enabled
                        else [s for s in await uow.digests.for_profile(profile.id) if s.enabled]
                    )
                    for s in targets:
                        s.enabled = False
                        await uow.digests.save(s)
                    await uow.commit()
                if not targets:
                    return Reply("The digest is already off. /digest on starts it here.")
                return Reply("🔕 Digest off. /digest on starts it again.")
            case "time":
                minute = parse_clock(rest)
                return await self._change(profile, chat, minute=minute)
            case "weekly" | "daily":
                return await self._change(profile, chat, weekly=word == "weekly")
            case "now" | "preview":
                async with self._uow() as uow:
                    existing = await uow.digests.find(profile.id, chat)
                weekly = existing.weekly if existing is not None else False
                if rest.lower() == "weekly":
                    weekly = True
                day = now.astimezone(tz).date()
                private = actor.chat.private
                return await self._composer.compose(
                    profile, day, weekly=weekly, named=not private, private=private
                )
        raise DomainError(f"I don't know /digest {word[:20]}.\n{USAGE}")

    async def _upsert(
        self, uow: UnitOfWork, profile: Profile, chat: ChatRef, *, enabled: bool
    ) -> DigestSubscription:
        now = self._clock.now()
        sub = await uow.digests.find(profile.id, chat)
        if sub is None:
            sub = DigestSubscription(0, profile.id, chat, created_at=now)
        sub.chat = chat  # with the kind this update shows
        sub.enabled = enabled
        sub.next_due_at = next_occurrence(
            now, sub.minute_of_day, sub.weekly, zone(profile.timezone)
        )
        return await uow.digests.save(sub)

    async def _change(
        self,
        profile: Profile,
        chat: ChatRef,
        *,
        minute: int | None = None,
        weekly: bool | None = None,
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            sub = await uow.digests.find(profile.id, chat)
            created = sub is None
            if sub is None:
                sub = DigestSubscription(0, profile.id, chat, created_at=now)
            sub.chat = chat  # with the kind this update shows
            if minute is not None:
                sub.minute_of_day = minute
            if weekly is not None:
                sub.weekly = weekly
            sub.enabled = True
            sub.next_due_at = next_occurrence(
                now, sub.minute_of_day, sub.weekly, zone(profile.timezone)
            )
            sub = await uow.digests.save(sub)
            await uow.commit()
        verb = "on" if created else "set"
        return Reply(f"📬 Digest {verb}: {self._when(sub, profile)}.")

    def _when(self, sub: DigestSubscription, profile: Profile) -> str:
        cadence = "Mondays" if sub.weekly else "every day"
        text = f"{cadence} at {sub.local_time} ({profile.timezone})"
        if sub.next_due_at is not None:
            local = sub.next_due_at.astimezone(zone(profile.timezone))
            text += f", next {_day_label(local.date())} {local:%H:%M}"
        return text

    async def _status(self, profile: Profile, chat: ChatRef) -> Reply:
        async with self._uow() as uow:
            subs = [s for s in await uow.digests.for_profile(profile.id) if s.enabled]
        here = next((s for s in subs if s.chat == chat), None)
        lines = []
        if here is not None:
            lines.append(f"📬 Digest in this chat: {self._when(here, profile)}.")
        elif subs:
            lines.append(
                f"📬 Your digest goes to {len(subs)} other chat"
                + ("s" if len(subs) > 1 else "")
                + f": {self._when(subs[0], profile)}."
            )
        else:
            lines.append("📭 No digest yet.")
        lines.append(USAGE)
        buttons = (
            (Button("🔕 Off", Action.DIGEST, "off"), Button("📅 Weekly", Action.DIGEST, "weekly"))
            if here is not None
            else (Button("📬 On here", Action.DIGEST, "on"),)
        )
        return Reply(
            "\n".join(lines), buttons=((*buttons, Button("👀 Now", Action.DIGEST, "now")),)
        )
