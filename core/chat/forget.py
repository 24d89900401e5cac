"""/forget: asks, naming what goes; deletes the profile at its provider first, then here."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from core.actions import Action
from core.billing_ports import Cancels
from core.chat.base import Flow
from core.chat.team_admins import forget_refusal, teams_left_without_admin
from core.commands import Command, ascii_number
from core.errors import DomainError, PublishError, TransientError
from core.handlers import Actor, refuse
from core.model import PAYING, MessageRef, Profile, Provider, Route
from core.ports import AccountDeleter, UnitOfWork, unwrapped
from core.replies import Button, Reply, code
from core.roles import Role
from core.states import TargetState
from core.teams import Team
from core.wording import plural

log = logging.getLogger(__name__)

# As for /disconnect: the answer holds for the question as asked; what it named may have
# changed since, so an older button asks for /forget again.
CONFIRM_FOR = timedelta(minutes=10)
_PAGE = 100
IN_PRIVATE = (
    "/forget deletes your whole profile, so it is only done in a private chat with me, "
    "where nobody else can tap its button."
)
DONE = (
    "Done: your profile and everything Postroom kept for you are deleted. Posts already "
    "published stay on the networks. Send me anything to start afresh."
)
GONE = "Your data is already deleted. Send /start to begin again."
# Who keeps a profile's account for a route, as users know it from connecting there.
_PROVIDER = {Route.AYRSHARE: "Ayrshare"}
_PAID = {
    Provider.STRIPE: "card subscription (Stripe)",
    Provider.TELEGRAM_STARS: "Star subscription",
}
# Where a subscriber stops a subscription we could not stop for them.
_STOP = {
    Provider.STRIPE: "/billing's page at Stripe, or your card statement's contact",
    Provider.TELEGRAM_STARS: "Telegram's Settings → My Stars",
}


@dataclass(frozen=True, slots=True)
class _Kept:
    """What /forget would delete, as the question names it."""

    posts: int
    scheduled: int
    out: int | None  # a post that may be on its way to a network right now
    digests: int
    channels: int


class ForgetFlow(Flow):
    """/forget and its confirmation button."""

    async def _forget(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not actor.chat.private and actor.team is None:
            return Reply(IN_PRIVATE, buttons=((Button("🗑 Delete my data ↗", private="forget"),),))
        if cmd.args.strip():
            raise DomainError(
                f"Just {code('/forget')}, with nothing after it: I ask before deleting anything."
            )
        async with self._uow() as uow:
            kept = await _kept(uow, profile)
            orphaned = (
                []
                if actor.team
                else await teams_left_without_admin(uow, actor.identity, profile.id)
            )
        if orphaned:
            raise DomainError(forget_refusal(orphaned))
        if kept.out is not None:
            raise DomainError(_publishing(kept.out))
        whose = "all your data" if actor.team is None else f"the team profile {actor.team.name}"
        lines = [
            f"Delete {whose}? This cannot be undone. What goes:",
            f"• {plural(kept.posts, 'post')}"
            + (f" ({kept.scheduled:,} scheduled: they will not go out)" if kept.scheduled else ""),
        ]
        if profile.connections:
            names = ", ".join(n.label for n in profile.connections)
            lines.append(f"• your connected networks: {names}")
        if kept.digests:
            lines.append(f"• {plural(kept.digests, 'digest')}")
        if kept.channels:
            lines.append(f"• {plural(kept.channels, 'linked channel')}")
        lines.append("• your stats, tracked posts, campaigns and media kits (pages go offline)")
        for route, _ in self._deleters(profile):
            name = _PROVIDER.get(route, route.value)
            lines.append(f"• your {name} profile, with the accounts linked to it there")
        if (paid := _renewing(profile)) is not None:
            lines.append(
                f"• your Pro {_PAID[paid]}: cancelled first, so it renews no more (the time "
                "left is not refunded)"
            )
        lines.append("Posts already published stay on the networks.")
        minute = int(self._clock.now().timestamp()) // 60
        return Reply(
            "\n".join(lines),
            buttons=(
                (
                    Button("Yes, delete everything", Action.FORGET, str(minute)),
                    Button("Keep my data", Action.COMMAND, "status"),
                ),
            ),
        )

    async def _tap_forget(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        # A team's admin deletes the team profile in its chat (the role is checked on entry).
        if not actor.chat.private and actor.team is None:
            return refuse(IN_PRIVATE)
        asked = ascii_number(arg)
        age = None if asked is None else int(self._clock.now().timestamp()) // 60 - asked
        if age is None or age < -1:  # a minute to come was never asked about (clocks drift)
            return refuse("This button is broken. Send /forget again.")
        if age > CONFIRM_FOR.total_seconds() // 60:
            return refuse("This question is too old; send /forget again.")
        async with self._uow() as uow:
            kept = await _kept(uow, profile)
            # Before the provider: a refusal then must not have deleted anything anywhere.
            orphaned = (
                []
                if actor.team
                else await teams_left_without_admin(uow, actor.identity, profile.id)
            )
        if orphaned:
            return refuse(forget_refusal(orphaned))
        if kept.out is not None:
            return refuse(_publishing(kept.out))
        # The subscription before anything: a profile deleted here while it renews there
        # would go on being charged, for nothing. Down: nothing is deleted, try again.
        stopped, note = await self._stop_subscription(profile)
        if stopped is False:
            return Reply(
                "Your subscription could not be cancelled just now, so nothing was deleted. "
                "Please try again in a minute.",
                toast="Nothing was deleted",
            )
        # The provider next: if it refuses or is down, nothing here is deleted, and the key
        # that reaches the account there is still ours to try again with.
        deleted: list[Route] = []
        for route, deleter in self._deleters(profile):
            try:
                await deleter.delete_account(profile)
            except PublishError as e:
                log.warning("profile %s: its %s account was not deleted", profile.id, route.value)
                name = _PROVIDER.get(route, route.value)
                why = (
                    f"{name} could not be reached or was busy"
                    if isinstance(e, TransientError)
                    else e.reason.rstrip(".")
                )
                cancelled = (
                    " (your subscription is cancelled: it renews no more)" if stopped else ""
                )
                return Reply(
                    f"Your {name} profile could not be deleted ({why}), so nothing was "
                    f"deleted here either{cancelled}. Please try again in a minute.",
                    toast="Nothing was deleted",
                )
            deleted.append(route)
        try:
            async with self._uow() as uow:
                if await uow.profiles.lock(profile.id) is None:
                    return refuse(GONE)
                if actor.team is not None:
                    await uow.profiles.delete(profile.id)
                elif late := await _orphans(uow, actor, profile):
                    return refuse(forget_refusal(late))
                await uow.commit()
        except Exception:
            if not deleted:
                raise  # nothing was deleted anywhere: the calm "try again" answer is true
            log.exception("profile %s: deleted at the provider, not here", profile.id)
            return await self._half_done(profile, deleted)
        log.info("profile %s deleted with all its data (/forget)", profile.id)
        if actor.team is not None:
            return Reply(
                f"Done: the team profile {actor.team.name} and everything Postroom kept for it "
                "are deleted; its members keep their own profiles. Posts already published "
                "stay on the networks." + note,
                edit=message is not None,
                toast="The team's data is deleted",
            )
        return Reply(DONE + note, edit=message is not None, toast="Your data is deleted")

    async def _stop_subscription(self, profile: Profile) -> tuple[bool | None, str]:
        """Cancel the profile's renewing subscription at its provider: (True, "") when it
        was, (None, "") when there was none, (False, "") when the provider is down, and
        (None, a note) when it refused or cannot be asked here: the user stops it there."""
        paid = _renewing(profile)
        if paid is None:
            return None, ""
        provider = self._payments.get(paid)
        note = f"\nYour {_PAID[paid]} could not be cancelled from here: stop it in {_STOP[paid]}."
        if not isinstance(provider, Cancels):
            log.warning("profile %s: no %s here to cancel its subscription", profile.id, paid)
            return None, note
        try:
            await provider.cancel(profile)
        except TransientError as e:
            log.warning("profile %s: its subscription was not cancelled: %s", profile.id, e)
            return False, ""
        except PublishError as e:
            log.warning("profile %s: its subscription was refused a cancel: %s", profile.id, e)
            return None, note
        log.info("profile %s: its %s subscription cancelled (/forget)", profile.id, paid.value)
        return True, ""

    async def _half_done(self, profile: Profile, deleted: list[Route]) -> Reply:
        """The provider's account is gone but storage failed: forget its key at least, so the
        next /forget does not ask the provider about an account it no longer has."""
        try:
            async with self._uow() as uow:
                current = await uow.profiles.lock(profile.id)
                if current is not None:
                    for route in deleted:
                        current.accounts.pop(route, None)
                    await uow.profiles.save(current)
                    await uow.commit()
        except Exception:
            log.exception("profile %s: its deleted provider account is still stored", profile.id)
        names = " and ".join(_PROVIDER.get(r, r.value) for r in deleted)
        return Reply(
            f"Your {names} profile is deleted, but deleting the rest here failed on our side. "
            "Please send /forget again in a minute.",
            toast="Not everything was deleted",
        )

    def _deleters(self, profile: Profile) -> list[tuple[Route, AccountDeleter]]:
        """The routes whose account for this profile lives at the provider."""
        found: list[tuple[Route, AccountDeleter]] = []
        for route in profile.accounts:
            publisher = unwrapped(self._publishers.get(route))
            if isinstance(publisher, AccountDeleter):
                found.append((route, publisher))
        return found


def _renewing(profile: Profile) -> Provider | None:
    """The provider of the profile's subscription when it would charge again."""
    sub = profile.subscription
    if sub is None or sub.provider not in _PAID or sub.status not in PAYING:
        return None
    return None if sub.cancel_at_period_end else sub.provider


async def _kept(uow: UnitOfWork, profile: Profile) -> _Kept:
    posts, scheduled, out, offset = 0, 0, None, 0
    while True:
        page, posts = await uow.posts.list_for_profile(profile.id, offset=offset, limit=_PAGE)
        for post in page:
            targets = post.targets.values()
            if out is None and any(t.may_be_out for t in targets):
                out = post.id
            if any(t.state is TargetState.SCHEDULED for t in targets):
                scheduled += 1
        offset += _PAGE
        if offset >= posts or not page:
            break
    digests = await uow.digests.for_profile(profile.id)
    channels = await uow.links.for_profile(profile.id)
    return _Kept(posts, scheduled, out, len(digests), len(channels))


async def _orphans(uow: UnitOfWork, actor: Actor, profile: Profile) -> list[Team]:
    """Delete the profile, then see whether a team it administered is left without an admin
    (an admin demoted since the question): then roll back. Team profiles are locked first, so
    on PostgreSQL a role change waits; on SQLite the delete holds the one write lock."""
    memberships = await uow.teams.memberships(actor.identity)
    # A team whose profile is this one goes with it: it cannot be left without an admin.
    mine = [
        t
        for t, m in memberships
        if m.active and m.role is Role.ADMIN and t.profile_id != profile.id
    ]
    for team in mine:
        await uow.profiles.lock(team.profile_id)
    await uow.profiles.delete(profile.id)
    # The caller leaves the unit of work uncommitted then: closing it rolls the delete back.
    return [t for t in mine if await _no_admin(uow, t)]


async def _no_admin(uow: UnitOfWork, team: Team) -> bool:
    return not any(m.active and m.role is Role.ADMIN for m in await uow.teams.members(team.id))


def _publishing(post_id: int) -> str:
    return (
        f"Post #{post_id} is being published right now, and deleting it could lose track of "
        "where it went; send /forget again once it is out (/posts shows it)."
    )
