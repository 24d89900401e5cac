"""/tier and /upgrade, and the Renew button: the plan, its usage, and the ways to pay."""

from __future__ import annotations

import logging

from core.actions import Action
from core.chat.base import Flow
from core.commands import Command
from core.errors import PublishError
from core.handlers import Actor, profile_wide
from core.model import MessageRef, Profile, Tier
from core.replies import Button, Field, Reply, code
from core.tiers import Plan, Standing
from core.when import format_local, month_of

log = logging.getLogger(__name__)


class PlanFlow(Flow):
    """/tier, /upgrade and the Renew button."""

    async def _tier(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        now = self._clock.now()
        standing = self._billing.standing(profile, now)
        rules = self._policy[profile.tier]
        since, until = month_of(now, profile.timezone)
        async with self._uow() as uow:
            scheduled = await uow.posts.count_scheduled(profile.id)
            used = await uow.posts.count_outgoing(profile.id, since=since, until=until)
        hours = int(rules.analytics_refresh.total_seconds() // 3600)
        fields = [
            Field("Networks", ", ".join(n.label for n in rules.routes)),
            Field("Scheduled posts", f"{scheduled} of {rules.max_scheduled}"),
            Field("Posts this month", f"{used} of {rules.posts_per_month}"),
            Field("Analytics refresh", f"every {hours} h"),
        ]
        if (when := _until(standing, profile)) is not None:
            fields.append(when)
        text = f"You're on {profile.tier.label}{_via(standing)}."
        if scheduled > rules.max_scheduled:
            text += (
                f" You have more scheduled posts than {profile.tier.label} allows: they "
                "stay scheduled, and new ones wait until fewer are."
            )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if profile.tier is not Tier.PRO or standing.ends_at is not None:
            label = "⭐ Upgrade" if profile.tier is not Tier.PRO else "🔁 Renew"
            buttons = ((Button(label, Action.RENEW),),)
        return Reply(text, fields=tuple(fields), buttons=buttons)

    async def _upgrade(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your plan")
        return await self._offers(actor, profile)

    async def _tap_renew(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        profile_wide(actor, "your plan")
        return await self._offers(actor, profile)

    async def _offers(self, actor: Actor, profile: Profile) -> Reply:
        standing = self._billing.standing(profile)
        plan = self._billing.plan("pro")
        if profile.tier is Tier.PRO and standing.ends_at is None:
            when = ""
            if standing.renews_at is not None:
                when = f"; it renews {format_local(standing.renews_at, profile.timezone)}"
            return Reply(f"You're already on Pro{when}: all six networks are yours.")
        pro = ", ".join(n.label for n in self._policy[Tier.PRO].routes)
        lines = [f"Pro publishes to {pro} and refreshes analytics hourly."]
        if profile.tier is Tier.PRO and standing.ends_at is not None:
            lines.insert(0, f"Your Pro ends {format_local(standing.ends_at, profile.timezone)}.")
        buttons: list[tuple[Button, ...]] = []
        if plan is not None:
            lines += plan.prices()
            buttons = await self._pay_buttons(actor, profile, plan)
        if not buttons:
            lines.append(
                "Ask the operator of this Postroom to upgrade you "
                f"({code(f'postroom admin grant {actor.identity} pro --days 30')})."
            )
        return Reply("\n".join(lines), buttons=tuple(buttons))

    async def _pay_buttons(
        self, actor: Actor, profile: Profile, plan: Plan
    ) -> list[tuple[Button, ...]]:
        rows: list[tuple[Button, ...]] = []
        for provider in self._payments.values():
            if provider.unavailable(actor.chat.platform, plan) is not None:
                continue
            try:
                offer = await provider.offer(profile, actor.identity, plan)
            except PublishError as e:
                log.warning("%s could not make an offer: %s", provider.provider.value, e.reason)
                continue
            rows.append((Button(offer.label, url=offer.url),))
        return rows


def _via(standing: Standing) -> str:
    if standing.provider is None:
        return ""
    return {
        "telegram_stars": " (Telegram Stars)",
        "stripe": " (Stripe)",
        "operator": " (granted by the operator)",
    }[standing.provider.value]


def _until(standing: Standing, profile: Profile) -> Field | None:
    if standing.renews_at is not None:
        return Field("Renews", format_local(standing.renews_at, profile.timezone))
    if standing.ends_at is not None:
        return Field("Ends", format_local(standing.ends_at, profile.timezone))
    return None
