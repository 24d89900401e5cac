"""Composing a digest: a profile's stored numbers read into its facts for one date."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from core.analytics.engagement import engagement
from core.analytics_ports import ChartRenderer
from core.connections import expiring, short_state
from core.digests.cache import ChartCache
from core.digests.facts import DigestFacts, FactsMemo
from core.digests.figures import Totals, exposure_total, followers, top_post, week_chart
from core.digests.inputs import DigestInputs, DigestWindow, read_inputs
from core.digests.render import render_digest
from core.metrics import AnalyticsItem
from core.model import ConnectionStatus, Network, Profile
from core.policy import Policy
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Reply
from core.views import clip
from core.when import month_of

QUOTA_WARNING = 0.8  # "quota nearly used" from 80% of the month's posts
FAILING_AFTER = 3  # an item whose refresh failed this many times in a row needs attention


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
        now = self._clock.now()
        shown = [(n, profile.connections[n]) for n in Network if n in profile.connections]
        reconnect = any(c.status is ConnectionStatus.BROKEN or expiring(c, now) for _, c in shown)
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
            reconnect=reconnect,
            connections=tuple(f"{n.label}: {short_state(c, now)}" for n, c in shown),
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
