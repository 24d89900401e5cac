"""Team profiles in chat: /team, who acts for which profile, and the role check before each use.

In a team's chat every command and tap acts for the team profile, as the member's role allows
(`core.roles`). Members are recorded as they first act there: as admins when the chat says they
administer it (Telegram group admins, Slack workspace admins and the app's installer), else as
viewers. From then on roles are Postroom's: an admin changes them with `/team role`.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from core.actions import Action
from core.chat.base import Flow
from core.chat.team_admins import save_keeping_an_admin
from core.commands import Command
from core.errors import Conflict, DomainError
from core.handlers import Actor, require
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Profile
from core.ports import UnitOfWork
from core.replies import Button, Reply, Seal, code
from core.roles import Capability, Role, allows, refusal
from core.teams import ChatAdmins, Team, TeamMember, clean_name, read_mention

log = logging.getLogger(__name__)

# In a private chat these always act for the user's own profile, whoever they post as.
PERSONAL = frozenset({"forget", "team"})
_ASK_AT_MOST = 20  # members asked about when a last admin leaves the chat (one API call each)
USAGE = (
    "Team commands: /team — members and roles · "
    f"{code('/team create <name>')} (a chat admin, in the group) · "
    f"{code('/team role @user admin|editor|viewer')} · {code('/team remove @user')} · "
    "/team leave"
)


def left(team: Team) -> str:
    return (
        f"You are no longer a member of {team.name}, so nothing was done for it. "
        "An admin of the team can add you back with "
        f"{code('/team role @you viewer')} in its chat."
    )


class TeamFlow(Flow):
    """/team, and the profile each command or tap acts for."""

    def add_chat_admins(self, platform: ChatPlatform, admins: ChatAdmins) -> None:
        """Let teams in `platform`'s chats ask who administers the chat."""
        self._chat_admins[platform] = admins

    async def _chat_admin(self, actor: Actor) -> bool:
        asker = self._chat_admins.get(actor.chat.platform)
        if asker is None:
            return False
        try:
            return await asker.is_admin(actor.chat, actor.identity)
        except Exception:
            # The platform did not answer: nobody is taken for an admin on a guess.
            log.warning("could not ask who administers chat %s", actor.chat.chat, exc_info=True)
            return False

    # --- who acts for which profile -------------------------------------------------------

    async def _acting(
        self, actor: Actor, command: Command, capability: Capability
    ) -> tuple[Actor, Profile] | None:
        """The team profile a command acts for, with the member's role checked; None: the
        user's own profile, as always (no team here, or a private chat posting as oneself)."""
        if actor.chat.kind is ChatKind.CHANNEL:
            await self._not_a_team_channel(actor)
            return None  # a channel acts for the (personal) profile it is linked to
        if actor.chat.private:
            if command.name in PERSONAL or (command.name, command.args) == ("start", "forget"):
                return None
            if command.name == "start" and (chosen := _team_payload(command.args)):
                await self._choose(actor, chosen)  # /connect in a team's chat led here
            return await self._posting_as(actor, capability)
        async with self._uow() as uow:
            team = await uow.teams.team_in_chat(actor.chat)
            if team is None:
                return None
            member = await uow.teams.member(team.id, actor.identity)
        if member is None:
            member = await self._record(team, actor)
        elif member.name != actor.name[:128] or member.handle != actor.handle[:64]:
            member = await self._touch(member, actor)
        if not member.active:
            raise DomainError(left(team))
        member = await self._adopt(team, member, actor)
        return await self._as_member(actor, team, member, capability)

    async def _posting_as(
        self, actor: Actor, capability: Capability
    ) -> tuple[Actor, Profile] | None:
        async with self._uow() as uow:
            chosen = [(t, m) for t, m in await uow.teams.memberships(actor.identity) if m.posting]
        if not chosen:
            return None
        team, member = chosen[0]
        if not member.active:
            # They left (or were removed) since choosing it: say so, and post as themselves
            # from now on, rather than quietly putting a post somewhere else.
            async with self._uow() as uow:
                await uow.teams.choose_posting(actor.identity, None)
                await uow.commit()
            raise DomainError(left(team) + " You post as yourself again from now on.")
        return await self._as_member(actor, team, member, capability)

    async def _choose(self, actor: Actor, team_id: int) -> None:
        """Post as the team from this private chat, if they may connect its accounts."""
        async with self._uow() as uow:
            team = await uow.teams.team(team_id)
            member = None if team is None else await uow.teams.member(team_id, actor.identity)
            if team is None or member is None or not member.active:
                raise DomainError("You are not in that team (any more). /team lists yours.")
            if not allows(member.role, Capability.CONNECT):  # nothing chosen for them then
                raise DomainError(refusal(member.role, Capability.CONNECT, team.name))
            await uow.teams.choose_posting(actor.identity, team_id)
            await uow.commit()

    async def _tap_acting(
        self, actor: Actor, stamp: Seal, capability: Capability
    ) -> tuple[Actor, Profile] | None:
        """The team profile a tap acts for: the button's, when it is a team's and the tapper
        is a member whose role allows the action. None: the personal rules (only the
        button's owner)."""
        if actor.chat.kind is ChatKind.CHANNEL:
            await self._not_a_team_channel(actor)
            return None
        async with self._uow() as uow:
            team = await uow.teams.team_of_profile(stamp.owner)
            if team is None:
                return None
            own = await uow.profiles.by_identity(actor.identity)
            if own is not None and own.id == stamp.owner:
                return None  # their own profile's button, whatever else it is
            member = await uow.teams.member(team.id, actor.identity)
        if member is None and actor.chat == team.chat:
            member = await self._record(team, actor)
        if member is None:
            raise DomainError(f"This button is {team.name}'s, and you are not in that team.")
        if not member.active:
            raise DomainError(left(team))
        return await self._as_member(actor, team, member, capability)

    async def _not_a_team_channel(self, actor: Actor) -> None:
        """A channel's posters are its admins, not the team's members: they have no role, so
        nothing they post could wait for approval. /link refuses a team profile; a channel
        linked to one before that is refused here until the team unlinks it."""
        async with self._uow() as uow:
            link = await uow.links.link_of(actor.identity)
            team = None if link is None else await uow.teams.team_of_profile(link.profile_id)
        if team is not None:
            raise DomainError(
                f"This channel is linked to the team {team.name}, and team posts are made in "
                "the team's chat, where roles and approvals apply. A team admin can /unlink it "
                "while posting as the team in a private chat with me."
            )

    async def _as_member(
        self, actor: Actor, team: Team, member: TeamMember, capability: Capability
    ) -> tuple[Actor, Profile]:
        if not allows(member.role, capability):
            raise DomainError(refusal(member.role, capability, team.name))
        async with self._uow() as uow:
            profile = await uow.profiles.get(team.profile_id)
        if profile is None:
            raise DomainError(f"{team.name}'s profile has been deleted.")
        return replace(actor, team=team, role=member.role), profile

    async def _record(self, team: Team, actor: Actor) -> TeamMember:
        """A chat user's first contact with the team: an admin if the chat says so."""
        role = Role.ADMIN if await self._chat_admin(actor) else Role.VIEWER
        member = TeamMember(
            team.id,
            actor.identity,
            role,
            name=actor.name[:128],
            handle=actor.handle[:64],
            joined_at=self._clock.now(),
        )
        async with self._uow() as uow:
            if (found := await uow.teams.member(team.id, actor.identity)) is not None:
                return found  # recorded at the same moment by their other update
            await uow.teams.save_member(member)
            await uow.commit()
        log.info("team %s: new member as %s", team.id, role.value)
        return member

    async def _touch(self, member: TeamMember, actor: Actor) -> TeamMember:
        """Keep the name and @handle /team shows and `/team role @x` looks up current."""
        member = replace(member, name=actor.name[:128], handle=actor.handle[:64])
        async with self._uow() as uow:
            await uow.teams.save_member(member)
            await uow.commit()
        return member

    async def member_left(self, chat: ChatRef, identity: Identity) -> None:
        """The platform says `identity` left `chat` or was removed from it: if it is a team's
        chat, they stop acting for the team, from its chat and from their private chat alike.
        A last admin hands over to the longest-standing member the chat says administers it;
        with none, the team is left without an admin rather than with one outside its chat
        (a chat admin who writes there next becomes its admin, see `_adopt`)."""
        async with self._uow() as uow:
            team = await uow.teams.team_in_chat(chat)
            member = None if team is None else await uow.teams.member(team.id, identity)
        if team is None or member is None or not member.active:
            return
        heir = await self._heir(team, member) if member.role is Role.ADMIN else None
        async with self._uow() as uow:
            await uow.profiles.lock(team.profile_id)
            await uow.teams.save_member(replace(member, left_at=self._clock.now()))
            if heir is not None:
                await uow.teams.save_member(replace(heir, role=Role.ADMIN))
            await uow.commit()
        log.info("team %s: a member left its chat%s", team.id, " (admin handed over)" * bool(heir))

    async def _heir(self, team: Team, leaving: TeamMember) -> TeamMember | None:
        """Who takes over from a last admin leaving the chat: None if another admin stays."""
        async with self._uow() as uow:
            others = [
                m
                for m in await uow.teams.members(team.id)
                if m.active and m.identity != leaving.identity
            ]
        if any(m.role is Role.ADMIN for m in others):
            return None
        for m in others[:_ASK_AT_MOST]:
            if await self._chat_admin(Actor(m.identity, team.chat, m.name, m.handle)):
                return m
        return None

    async def _adopt(self, team: Team, member: TeamMember, actor: Actor) -> TeamMember:
        """A team without an active admin (its last one left the chat) gets the first chat
        admin who acts there as its admin: otherwise nobody could manage it again."""
        if member.role is Role.ADMIN:
            return member
        async with self._uow() as uow:
            if any(m.active and m.role is Role.ADMIN for m in await uow.teams.members(team.id)):
                return member
        if not await self._chat_admin(actor):
            return member
        member = replace(member, role=Role.ADMIN)
        async with self._uow() as uow:
            await uow.profiles.lock(team.profile_id)
            await uow.teams.save_member(member)
            await uow.commit()
        log.info("team %s had no admin: a chat admin became its admin", team.id)
        return member

    # --- /team ------------------------------------------------------------------------

    async def _team(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        verb, _, rest = cmd.args.strip().partition(" ")
        verb = verb.lower()
        if actor.chat.kind is ChatKind.CHANNEL:
            return Reply("Teams live in groups, not channels: use /team create in a group.")
        if verb == "create":
            return await self._create(actor, rest)
        if actor.chat.private:
            if verb:
                return Reply(
                    "Team changes are made in the team's chat, where everyone sees them. " + USAGE
                )
            return await self._my_teams(actor)
        if actor.team is None:
            return Reply(
                "This chat has no team profile yet. A chat admin makes one with "
                f"{code('/team create <name>')}: its connected accounts, plan and posts are "
                "then shared by the chat's members."
            )
        if verb == "":
            return await self._show(actor.team, actor)
        if verb == "role":
            return await self._set_role(actor, actor.team, rest)
        if verb == "remove":
            return await self._remove(actor, actor.team, rest)
        if verb == "leave":
            return await self._leave(actor, actor.team, rest)
        return Reply(f"I don't know {code('/team ' + verb[:20])}. " + USAGE)

    async def _create(self, actor: Actor, typed: str) -> Reply:
        if actor.chat.private:
            return Reply(
                "A team belongs to a group chat: add me to the group, and a group admin sends "
                f"{code('/team create <name>')} there."
            )
        name = clean_name(typed, actor.chat_title)
        async with self._uow() as uow:
            found = await uow.teams.team_in_chat(actor.chat)
        if found is not None:
            return Reply(f"This chat already has a team profile: {found.name}. /team shows it.")
        if not await self._chat_admin(actor):
            return Reply("Only an admin of this chat can make it a team.")
        now = self._clock.now()
        owner = Identity(actor.chat.platform, actor.chat.chat, actor.chat.workspace)
        try:
            async with self._uow() as uow:
                team_profile = await uow.profiles.create(
                    owner,
                    tier=self._accounts.default_tier,
                    timezone=self._accounts.default_timezone,
                    display_name=name,
                    now=now,
                )
                team = await uow.teams.add_team(Team(0, team_profile.id, actor.chat, name, now))
                creator = TeamMember(
                    team.id,
                    actor.identity,
                    Role.ADMIN,
                    name=actor.name[:128],
                    handle=actor.handle[:64],
                    joined_at=now,
                )
                await uow.teams.save_member(creator)
                await uow.commit()
        except Conflict:
            return Reply("This chat was just made a team; nothing changed. /team shows it.")
        log.info("team %s made for profile %s", team.id, team_profile.id)
        return Reply(
            f"✅ {name} is a team profile now. Its connected accounts, plan and posts are "
            "shared here: every post made in this chat goes to the team.\n"
            "You are its admin. Chat admins start as admins, everyone else as a viewer as "
            f"they write here; give roles with {code('/team role @user editor')}.\n"
            "Connect the team's networks with /connect."
        )

    async def _show(self, team: Team, actor: Actor) -> Reply:
        async with self._uow() as uow:
            members = [m for m in await uow.teams.members(team.id) if m.active]
        order = {Role.ADMIN: 0, Role.EDITOR: 1, Role.VIEWER: 2}
        members.sort(key=lambda m: (order[m.role], m.label().lower()))
        lines = [f"👥 {team.name} — {len(members)} member(s)"]
        lines += [f"• {m.label()} — {m.role.value}" for m in members]
        lines.append(
            "admin: connect accounts, members and roles, plan · editor: compose, schedule, "
            "retry, cancel · viewer: posts, stats, digests"
        )
        if actor.role is Role.ADMIN:
            lines.append(f"Change a role: {code('/team role @user editor')}")
        return Reply("\n".join(lines))

    async def _target(self, uow: UnitOfWork, actor: Actor, team: Team, typed: str) -> TeamMember:
        mention = read_mention(typed, actor.chat.platform)
        if mention is None:
            raise DomainError(
                f"Name a member as @username, e.g. {code('/team role @ana editor')}."
            )
        found = [m for m in await uow.teams.members(team.id) if mention.matches(m)]
        if not found:
            raise DomainError(
                f"I don't know {str(mention)[:40]} in {team.name} yet: members are listed once "
                "they have written in this chat (/team shows who)."
            )
        if len(found) > 1:
            raise DomainError(
                f"{len(found)} members go by {str(mention)[:40]}; use their @handle."
            )
        return found[0]

    async def _set_role(self, actor: Actor, team: Team, rest: str) -> Reply:
        require(actor, Capability.MANAGE)
        who, _, typed_role = rest.strip().rpartition(" ")
        role = Role.parse(typed_role)
        if not who.strip() or role is None:
            return Reply(f"Usage: {code('/team role @user admin|editor|viewer')}.")
        async with self._uow() as uow:
            member = await self._target(uow, actor, team, who)
            if member.active and member.role is role:
                return Reply(f"{member.label()} is already {role.value}.")
            await save_keeping_an_admin(uow, team, replace(member, role=role, left_at=None))
            await uow.commit()
        back = "" if member.active else " (back in the team)"
        return Reply(f"{member.label()} is now {role.value} of {team.name}{back}.")

    async def _remove(self, actor: Actor, team: Team, rest: str) -> Reply:
        require(actor, Capability.MANAGE)
        if not rest.strip():
            return Reply(f"Usage: {code('/team remove @user')}.")
        async with self._uow() as uow:
            member = await self._target(uow, actor, team, rest)
            if not member.active:
                return Reply(f"{member.label()} is not in {team.name}.")
            await self._take_out(uow, team, member)
        return Reply(
            f"{member.label()} is removed from {team.name}: nothing they do counts for the "
            "team any more. Their posts so far stay the team's."
        )

    async def _leave(self, actor: Actor, team: Team, rest: str) -> Reply:
        if rest.strip():
            return Reply(f"Just {code('/team leave')}, with nothing after it.")
        async with self._uow() as uow:
            member = await uow.teams.member(team.id, actor.identity)
            if member is None or not member.active:
                return Reply(f"You are not in {team.name}.")
            await self._take_out(uow, team, member)
        return Reply(
            f"You left {team.name}. Posts you made stay the team's; an admin can add you back."
        )

    async def _take_out(self, uow: UnitOfWork, team: Team, member: TeamMember) -> None:
        """Mark them left (kept, so writing in the chat does not make them a member again),
        never the last admin."""
        await save_keeping_an_admin(uow, team, replace(member, left_at=self._clock.now()))
        await uow.commit()

    async def _my_teams(self, actor: Actor) -> Reply:
        async with self._uow() as uow:
            mine = [(t, m) for t, m in await uow.teams.memberships(actor.identity) if m.active]
        if not mine:
            return Reply(
                "You are in no team. A group becomes one when a group admin sends "
                f"{code('/team create <name>')} there."
            )
        posting = next((t.name for t, m in mine if m.posting), "yourself")
        lines = ["Your teams:"] + [f"• {t.name} — {m.role.value}" for t, m in mine]
        lines.append(f"Posting as: {posting}. What you do here is for that profile.")
        # Only where they may post: a viewer's posts could only be refused there.
        buttons = [Button("Posting as: yourself", Action.POSTING_AS, "0")] + [
            Button(f"Posting as: {t.name}"[:40], Action.POSTING_AS, str(t.id))
            for t, m in mine
            if allows(m.role, Capability.COMPOSE)
        ]
        return Reply("\n".join(lines), buttons=tuple((b,) for b in buttons))


def _team_payload(args: str) -> int | None:
    """The team of a `/start connect-<team id>` deep link."""
    verb, _, number = args.strip().partition("-")
    if verb != "connect" or not (number.isascii() and number.isdigit() and len(number) <= 9):
        return None
    return int(number)
