"""/tier, /upgrade, /billing and the Renew button: the plan, its usage, the ways to pay."""

from __future__ import annotations

import logging

from core.actions import Action
from core.billing_ports import SelfService
from core.chat.base import Flow
from core.commands import Command
from core.errors import PublishError
from core.handlers import Actor, profile_wide
from core.model import ChatPlatform, MessageRef, Profile, Provider, Subscription, Tier
from core.replies import Button, Field, Reply, code
from core.tiers import Plan, Standing
from core.when import format_local, month_of

log = logging.getLogger(__name__)


IN_PRIVATE = "Payment links are shown to you alone, in a private chat with me."
NO_CARD = "Card payments are not set up on this Postroom; /tier shows your plan."
NO_CUSTOMER = (
    "You have no card subscription with Stripe here, so there is nothing to change. "
    "/upgrade shows the ways to get Pro."
)
STARS = (
    "Your Pro is paid in Telegram Stars: Telegram's Settings → My Stars shows the "
    "subscription and cancels it. /paysupport for help with a payment."
)
GRANTED = "Your plan was given by the operator of this Postroom: there is nothing to pay."
# The sandbox makes every profile Pro; say so, and where real payments come from.
SANDBOX = (
    "This is the sandbox: every profile is Pro here, so there is nothing to pay. Real "
    "payments need Telegram Stars or Stripe configured (README: Plans and billing)."
)
PORTAL = (
    "Change your card, see your invoices or cancel on Stripe's page (the link is yours "
    "alone and works for a short while; /billing gives a new one)."
)
PORTAL_DOWN = "Stripe did not answer just now; try /billing again in a minute."


class PlanFlow(Flow):
    """/tier, /upgrade, /billing and the Renew button."""

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
        sub = profile.subscription
        # One paying subscription at a time: a second one would overwrite the first
        # (core.billing.AlreadySubscribed). A one-period Stars purchase can be added to.
        if (
            sub is not None
            and sub.grants(self._clock.now())
            and (sub.provider is Provider.STRIPE or not sub.cancel_at_period_end)
        ):
            return Reply(_subscribed(sub, profile))
        if self._sandbox_pro(profile):
            return Reply(SANDBOX)
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
            if _only_you(actor):
                buttons = await self._pay_buttons(actor, profile, plan)
            elif self._payments:  # a link tied to this profile, not for a group to see
                lines.append(IN_PRIVATE)
                buttons = [(Button("⭐ Upgrade in a private chat ↗", private="upgrade"),)]
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
        sub = profile.subscription
        running = sub is not None and sub.grants(self._clock.now())
        for provider in self._payments.values():
            if provider.unavailable(actor.chat.platform, plan) is not None:
                continue
            if running and sub is not None and provider.provider is not sub.provider:
                continue  # more Stars for a period bought in Stars, not a second provider
            try:
                offer = await provider.offer(profile, actor.identity, plan)
            except PublishError as e:
                log.warning("%s could not make an offer: %s", provider.provider.value, e.reason)
                continue
            rows.append((Button(offer.label, url=offer.url),))
        return rows

    def _sandbox_pro(self, profile: Profile) -> bool:
        """The sandbox's own Pro, with no way to pay set up: nothing to sell or manage."""
        return (
            self.sandbox
            and not self._payments
            and profile.tier is Tier.PRO
            and profile.subscription is None
        )

    async def _billing_command(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your billing")
        sub = profile.subscription
        if self._sandbox_pro(profile):
            return Reply(SANDBOX)
        if (
            sub is not None
            and sub.provider is Provider.TELEGRAM_STARS
            and sub.grants(self._clock.now())
        ):
            return Reply(STARS)
        manager = self._payments.get(Provider.STRIPE)
        if not isinstance(manager, SelfService):
            if profile.tier is not Tier.FREE and sub is None:
                return Reply(GRANTED)
            return Reply(NO_CARD)
        if not _only_you(actor):
            return Reply(
                IN_PRIVATE,
                buttons=((Button("💳 Billing in a private chat ↗", private="billing"),),),
            )
        try:
            url = await manager.manage(profile)
        except PublishError as e:
            log.warning("stripe could not open the portal: %s", e.reason)
            return Reply(PORTAL_DOWN)
        if url is None:
            return Reply(GRANTED if profile.tier is not Tier.FREE and sub is None else NO_CUSTOMER)
        return Reply(PORTAL, buttons=((Button("💳 Manage billing ↗", url=url),),))


def _only_you(actor: Actor) -> bool:
    """Whether an answer to `actor` is seen by them alone: a private chat, or Slack, which
    shows a command's link-only answer to the asker alone (ephemeral, adapters/slack)."""
    return actor.chat.private or actor.chat.platform is ChatPlatform.SLACK


def _subscribed(sub: Subscription, profile: Profile) -> str:
    """/upgrade while a paid subscription runs: it, and where to change it instead."""
    end = sub.current_period_end
    when = ""
    if end is not None:
        verb = "ends" if sub.cancel_at_period_end else "renews"
        when = f"; it {verb} {format_local(end, profile.timezone)}"
    if sub.provider is Provider.STRIPE:
        how = "by card (Stripe)"
        manage = "/billing changes the card, resumes or cancels it"
    else:
        how = "in Telegram Stars"
        manage = "/billing says where Telegram manages it"
    return (
        f"You're already on Pro{when}, paid {how}: a second subscription is not needed. {manage}."
    )


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
