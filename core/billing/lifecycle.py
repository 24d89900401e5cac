"""The billing lifecycle: providers and the operator report here; tiers change only here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.billing import notices
from core.billing.holds import Released, held_posts, hold, reachable, release
from core.errors import DomainError
from core.model import (
    ChatKind,
    ChatRef,
    Grant,
    Identity,
    Post,
    Profile,
    Provider,
    Subscription,
    SubscriptionStatus,
    Tier,
)
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.publishing.notices import failure_notice
from core.publishing.progress import ProgressNotifier
from core.replies import Reply, seal
from core.tiers import Plan, Standing, derive_tier

log = logging.getLogger(__name__)

# Postroom's own once-only records in the events table (reminders), apart from providers'.
OWN = "postroom"


class UnknownProfile(DomainError):
    """An event or a grant for a profile that does not exist: nothing was changed."""


class AlreadySubscribed(DomainError):
    """A second paying subscription while one runs (Stars while a card subscription is on,
    two Checkout links both paid): not applied, since one would overwrite the other."""

    def __init__(self, current: Subscription) -> None:
        super().__init__(
            f"a {current.provider.value} subscription {current.subscription_id or '-'} runs"
        )
        self.current = current


@dataclass(slots=True)
class Change:
    """What one billing call did."""

    profile_id: int
    before: Tier
    standing: Standing
    duplicate: bool = False  # the event was handled before: nothing changed this time
    held: list[Post] = field(default_factory=list)
    released: Released = field(default_factory=Released)
    told: list[Reply] = field(default_factory=list)  # what the owner was sent
    # A second paying subscription, recorded but not applied: the one that runs. The caller
    # refunds or cancels what was paid (core.stars.sales, core.stripe.events).
    conflict: Subscription | None = None

    @property
    def tier(self) -> Tier:
        return self.standing.tier


Mutation = Callable[[Subscription | None, datetime], Subscription | None]
# More work in the transaction of a change (a Stars charge marked refunded with its revert).
Also = Callable[[UnitOfWork], Awaitable[object]]


class Billing:
    """activate / extend / revert / cancel / sync for providers; grant / revoke for the
    operator; refresh for the scheduled job. Each call is one transaction: the event id is
    recorded (a replay changes nothing), the subscription or grant changes, the tier is
    derived again (core.tiers) and applied — a lapse holds the scheduled posts the new tier
    cannot reach, a renewal releases them — and the owner is told afterwards."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: Policy,
        messengers: Messengers,
        *,
        base: Tier = Tier.FREE,
        plans: Sequence[Plan] = (),
        notifier: ProgressNotifier | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._messengers = messengers
        self.base = base
        self.plans = tuple(plans)
        self._notifier = notifier

    @property
    def policy(self) -> Policy:
        return self._policy

    def standing(self, profile: Profile, now: datetime | None = None) -> Standing:
        """The profile's tier as derived now (what the next lifecycle pass applies)."""
        return derive_tier(
            profile.subscription, profile.grants, now or self._clock.now(), base=self.base
        )

    def plan(self, key: str) -> Plan | None:
        return next((p for p in self.plans if p.key == key), None)

    # --- providers ----------------------------------------------------------------------

    async def activate(
        self,
        profile_id: int,
        *,
        provider: Provider,
        event_id: str,
        plan: Plan,
        period_end: datetime,
        customer_id: str = "",
        subscription_id: str = "",
        price_id: str = "",
        renews: bool = True,
        tell: bool = True,
        also: Also | None = None,
    ) -> Change:
        """A first payment: the profile is on `plan` until `period_end` (a one-period purchase
        is `renews=False`: it ends then, and gets the reminder three days before). It never
        shortens a period already paid for; while another subscription runs (one that renews
        by itself, or another provider's), it is recorded but not applied (`Change.conflict`)."""

        def mutate(current: Subscription | None, now: datetime) -> Subscription:
            end = period_end
            if current is not None and current.grants(now):
                if current.provider is not provider or not current.cancel_at_period_end:
                    raise AlreadySubscribed(current)
                end = max(end, current.current_period_end or end)
            return Subscription(
                provider=provider,
                status=SubscriptionStatus.ACTIVE,
                tier=plan.tier,
                plan=plan.key,
                customer_id=customer_id,
                subscription_id=subscription_id,
                price_id=price_id,
                current_period_end=end,
                cancel_at_period_end=not renews,
                created_at=now,
                updated_at=now,
            )

        return await self._change(
            profile_id, provider, event_id, "activate", mutate, tell, also=also
        )

    async def extend(
        self,
        profile_id: int,
        *,
        provider: Provider,
        event_id: str,
        period_end: datetime,
        tell: bool = True,
        also: Also | None = None,
    ) -> Change:
        """A renewal paid: the period runs to `period_end` (never shortened by a late or
        repeated renewal)."""

        def mutate(current: Subscription | None, now: datetime) -> Subscription:
            sub = _own(current, provider)
            end = max(period_end, sub.current_period_end or period_end)
            return replace(
                sub,
                status=SubscriptionStatus.ACTIVE,
                current_period_end=end,
                updated_at=now,
            )

        return await self._change(
            profile_id, provider, event_id, "extend", mutate, tell, also=also
        )

    async def revert(
        self,
        profile_id: int,
        *,
        provider: Provider,
        event_id: str,
        period_end: datetime | None = None,
        tell: bool = True,
        also: Also | None = None,
    ) -> Change:
        """A payment refunded: the period goes back to `period_end` (the end before that
        payment) and renews no more, or, with None, the subscription ends now. `also` runs
        in the same transaction (the refund marked where it is kept)."""

        def mutate(current: Subscription | None, now: datetime) -> Subscription:
            sub = _own(current, provider)
            if period_end is None or period_end <= now:
                return replace(
                    sub,
                    status=SubscriptionStatus.CANCELED,
                    current_period_end=min(now, sub.current_period_end or now),
                    updated_at=now,
                )
            return replace(
                sub, current_period_end=period_end, cancel_at_period_end=True, updated_at=now
            )

        return await self._change(
            profile_id, provider, event_id, "revert", mutate, tell, also=also
        )

    async def cancel(
        self,
        profile_id: int,
        *,
        provider: Provider,
        event_id: str,
        at_period_end: bool = True,
        tell: bool = True,
    ) -> Change:
        """The user or the provider cancelled: at the period end (Pro stays until then, with
        a reminder), or now."""

        def mutate(current: Subscription | None, now: datetime) -> Subscription:
            sub = _own(current, provider)
            if at_period_end:
                return replace(sub, cancel_at_period_end=True, updated_at=now)
            return replace(sub, status=SubscriptionStatus.CANCELED, updated_at=now)

        return await self._change(profile_id, provider, event_id, "cancel", mutate, tell)

    async def sync(
        self,
        profile_id: int,
        *,
        event_id: str,
        subscription: Subscription,
        tell: bool = True,
    ) -> Change:
        """The provider's own view of the subscription (Stripe's subscription object) replaces
        ours whole, unless ours is newer: a state older than the stored one (`state_at`), or
        any state of a subscription that was canceled (final at Stripe), changes nothing, so
        events arriving out of order cannot revive it. Another subscription while ours runs
        is recorded, not applied (`Change.conflict`)."""

        def mutate(current: Subscription | None, now: datetime) -> Subscription | None:
            new = subscription
            same = (
                current is not None
                and current.provider is new.provider
                and current.subscription_id in ("", new.subscription_id)
            )
            if current is not None and not same and current.grants(now):
                raise AlreadySubscribed(current)
            if current is not None and same and current.subscription_id:
                final = SubscriptionStatus.CANCELED
                if current.status is final and new.status is not final:
                    log.info("%s: canceled already; a state %s ignored", event_id, new.status)
                    return None
                if current.state_at and new.state_at and new.state_at < current.state_at:
                    log.info("%s: older than the stored state; ignored", event_id)
                    return None
            created = current.created_at if current is not None else None
            return replace(new, created_at=created or now, updated_at=now)

        return await self._change(
            profile_id, subscription.provider, event_id, "sync", mutate, tell
        )

    # --- the operator -------------------------------------------------------------------

    async def grant(self, profile_id: int, tier: Tier, *, days: int | None, reason: str) -> Change:
        """An operator grant of `tier` for `days` (None: until revoked)."""
        if days is not None and not 0 < days <= 3660:
            raise DomainError("--days must be between 1 and 3660")
        async with self._uow() as uow:
            profile = await self._locked(uow, profile_id)
            now = self._clock.now()
            ends = None if days is None else now + timedelta(days=days)
            grant = await uow.billing.add_grant(
                profile_id, Grant(0, tier, starts_at=now, ends_at=ends, reason=reason)
            )
            profile.grants.append(grant)
            change = await self._apply(uow, profile, now)
            await uow.commit()
        await self._tell(change, profile, True)
        return change

    async def revoke(self, profile_id: int) -> Change:
        """End every running operator grant now (a paid subscription is left alone)."""
        async with self._uow() as uow:
            profile = await self._locked(uow, profile_id)
            now = self._clock.now()
            await uow.billing.revoke_grants(profile_id, now)
            profile.grants = [
                g if not g.grants(now) else replace(g, revoked_at=now) for g in profile.grants
            ]
            change = await self._apply(uow, profile, now)
            await uow.commit()
        await self._tell(change, profile, True)
        return change

    # --- the scheduled pass -------------------------------------------------------------

    async def refresh(self, profile_id: int) -> Change:
        """Derive the tier again and apply it (a period that ended, a grant run out)."""
        async with self._uow() as uow:
            profile = await self._locked(uow, profile_id)
            change = await self._apply(uow, profile, self._clock.now())
            await uow.commit()
        await self._tell(change, profile, True)
        return change

    # --- the one path every change takes ------------------------------------------------

    async def _change(
        self,
        profile_id: int,
        source: Provider,
        event_id: str,
        kind: str,
        mutate: Mutation,
        tell: bool,
        *,
        also: Also | None = None,
    ) -> Change:
        if not event_id or len(event_id) > 255:
            raise DomainError("a payment event needs an id of at most 255 characters")
        async with self._uow() as uow:
            profile = await self._locked(uow, profile_id)
            now = self._clock.now()
            fresh = await uow.billing.record_event(
                source.value, event_id, profile_id=profile_id, kind=kind, now=now
            )
            if not fresh:
                log.info(
                    "%s event %s for profile %s seen before: ignored", source, event_id, profile_id
                )
                return Change(
                    profile_id, profile.tier, self.standing(profile, now), duplicate=True
                )
            try:
                changed = mutate(profile.subscription, now)
            except AlreadySubscribed as e:
                # Recorded (a replay changes nothing), not applied: the caller refunds or
                # cancels the second payment; the log line is the operator's flag.
                await uow.commit()
                log.error(
                    "SECOND PAYMENT: %s %s (%s) for profile %s while %s; not applied, to be "
                    "refunded",
                    source.value,
                    kind,
                    event_id,
                    profile_id,
                    e,
                )
                standing = self.standing(profile, now)
                return Change(profile_id, profile.tier, standing, conflict=e.current)
            if changed is not None:
                await uow.billing.save_subscription(profile_id, changed)
                profile.subscription = changed
            if also is not None:
                await also(uow)
            change = await self._apply(uow, profile, now)
            await uow.commit()
        log.info(
            "%s %s for profile %s: %s -> %s",
            source.value,
            kind,
            profile_id,
            change.before.value,
            change.tier.value,
        )
        await self._tell(change, profile, tell)
        return change

    async def _locked(self, uow: UnitOfWork, profile_id: int) -> Profile:
        profile = await uow.profiles.lock(profile_id)
        if profile is None:
            raise UnknownProfile(f"there is no profile {profile_id}")
        return profile

    async def _apply(self, uow: UnitOfWork, profile: Profile, now: datetime) -> Change:
        """Apply the derived tier (in `uow`, under the profile's lock)."""
        standing = self.standing(profile, now)
        change = Change(profile.id, profile.tier, standing)
        if standing.tier is profile.tier:
            return change
        await uow.billing.set_tier(profile.id, standing.tier)
        if _rank(standing.tier) < _rank(profile.tier):
            await hold(uow, profile, self._policy, standing.tier)
            # With those the dispatcher held when it found the plan over before this pass
            # (not a paused queue's posts the new tier still reaches: core.planning).
            change.held = [
                p
                for p in await held_posts(uow, profile.id)
                if any(
                    t.held_due is not None and not reachable(self._policy, standing.tier, t)
                    for t in p.targets.values()
                )
            ]
        # Only a lapse holds: an upgrade leaves what Free scheduled through its own login
        # (Instagram) to go out as scheduled, on the route it was scheduled with.
        change.released = await release(uow, profile, self._policy, standing.tier, now)
        profile.tier = standing.tier
        return change

    async def _tell(self, change: Change, profile: Profile, tell: bool) -> None:
        """After the commit: progress messages follow the posts, the owner hears what
        happened (once: only the pass that changed the tier has news of the tier)."""
        if change.duplicate:
            return
        for post in [*change.held, *change.released.scheduled]:
            await self._show(post)
        tz = profile.timezone
        if _rank(change.tier) < _rank(change.before):
            change.told.append(notices.ended(change.before, change.tier, change.held))
        elif change.tier is not change.before:
            change.told.append(notices.back(change.standing, change.released.scheduled, tz))
        for post in change.released.late:
            due = min((t.due_at or post.created_at for t in post.targets.values()), default=None)
            change.told.append(notices.late(post, post.scheduled_at or due, tz))
        for post, problems in change.released.unfit:
            change.told.append(notices.unfit(post, problems, "while your plan had ended"))
        for post, failed in change.released.failed:
            await self._show(post)
            change.told.append(failure_notice(post, failed))
        if tell and change.told:
            async with self._uow() as uow:
                identities = await uow.profiles.identities(profile.id)
            for reply in change.told:
                await self.send(profile.id, identities, reply)

    async def send(self, profile_id: int, identities: Sequence[Identity], reply: Reply) -> bool:
        """Send `reply` to the profile's owner in a private chat (the first identity whose
        platform this process can write to); False when none could be reached."""
        for identity in identities:
            messenger = self._messengers.get(identity.platform)
            if messenger is None:
                continue
            chat = ChatRef(
                identity.platform, identity.user, identity.workspace, kind=ChatKind.PRIVATE
            )
            try:
                await messenger.send(chat, seal(reply, profile_id, self._clock.now()))
                return True
            except Exception:
                log.exception("could not tell profile %s about its plan", profile_id)
                return False
        log.warning("no chat to tell profile %s about its plan", profile_id)
        return False

    async def _show(self, post: Post) -> None:
        if self._notifier is not None and post.progress is not None:
            await self._notifier.show(post)


def _own(current: Subscription | None, provider: Provider) -> Subscription:
    if current is None or current.provider is not provider:
        raise DomainError(f"no {provider.value} subscription to change")
    return current


def _rank(tier: Tier) -> int:
    return list(Tier).index(tier)
