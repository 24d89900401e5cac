"""The operator's commands on a profile's plan: grant, revoke, show (support)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.billing.holds import held_posts
from core.billing.lifecycle import Billing, Change
from core.errors import DomainError
from core.model import Identity, Profile, Tier
from core.ports import Clock, UnitOfWorkFactory
from core.when import month_of


class UnknownIdentity(DomainError):
    """No profile answers to this identity: nothing was changed (none is created)."""


@dataclass(frozen=True, slots=True)
class Summary:
    """What `postroom admin show` prints."""

    profile: Profile
    lines: tuple[tuple[str, str], ...]


class Operator:
    def __init__(self, billing: Billing, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._billing = billing
        self._uow = uow
        self._clock = clock

    async def find(self, identity: Identity) -> Profile:
        """The identity's profile (or the profile a linked channel acts for); never creates
        one, unlike a first chat message."""
        async with self._uow() as uow:
            link = await uow.links.link_of(identity)
            if link is not None and (owner := await uow.profiles.get(link.profile_id)):
                return owner
            profile = await uow.profiles.by_identity(identity)
        if profile is None:
            raise UnknownIdentity(
                f"no profile for {identity}: it has never written to the bot (nothing changed)"
            )
        return profile

    async def grant(self, identity: Identity, tier: Tier, *, days: int | None) -> Change:
        profile = await self.find(identity)
        how = "until revoked" if days is None else f"for {days} days"
        return await self._billing.grant(
            profile.id, tier, days=days, reason=f"postroom admin grant {how}"
        )

    async def revoke(self, identity: Identity) -> Change:
        return await self._billing.revoke((await self.find(identity)).id)

    async def show(self, identity: Identity) -> Summary:
        profile = await self.find(identity)
        now = self._clock.now()
        standing = self._billing.standing(profile, now)
        rules = self._billing.policy[profile.tier]
        since, until = month_of(now, profile.timezone)
        async with self._uow() as uow:
            used = await uow.posts.count_outgoing(profile.id, since=since, until=until)
            scheduled = await uow.posts.count_scheduled(profile.id)
            held = await held_posts(uow, profile.id)
        sub = profile.subscription
        lines = [
            ("profile", str(profile.id)),
            ("plan", profile.tier.value),
            ("derived now", standing.tier.value),
            ("provider", standing.provider.value if standing.provider else "-"),
            ("renews", _iso(standing.renews_at)),
            ("ends", _iso(standing.ends_at)),
            ("posts this month", f"{used} of {rules.posts_per_month}"),
            ("scheduled", f"{scheduled} of {rules.max_scheduled}"),
            ("held", ", ".join(f"#{p.id}" for p in held) or "-"),
        ]
        if sub is not None:
            lines.append(
                (
                    "subscription",
                    f"{sub.provider.value} {sub.status.value} plan={sub.plan} "
                    f"period_end={_iso(sub.current_period_end)} "
                    f"cancel_at_period_end={str(sub.cancel_at_period_end).lower()} "
                    f"customer={sub.customer_id or '-'} id={sub.subscription_id or '-'}",
                )
            )
        for g in profile.grants:
            state = "revoked" if g.revoked_at else ("running" if g.grants(now) else "ended")
            lines.append(
                (
                    f"grant {g.id}",
                    f"{g.tier.value} from {_iso(g.starts_at)} to {_iso(g.ends_at)} ({state})",
                )
            )
        return Summary(profile, tuple(lines))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if isinstance(moment, datetime) else "-"
