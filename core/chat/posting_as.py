""" "Posting as": in a private chat, a member of teams chooses where their posts go.

The composer there shows "Posting as: <profile> ▾"; its button moves the draft to the next
profile the user may post for (their own, then each team where they are an editor or admin)
and remembers the choice for this identity (`TeamRepository.choose_posting`). /team lists the
same choices. In a team's chat, posts always go to the team.
"""

from __future__ import annotations

from dataclasses import replace

from core import views
from core.actions import Action
from core.chat.base import int_arg, require_draft
from core.chat.teams import TeamFlow
from core.errors import DomainError
from core.handlers import Actor
from core.model import MessageRef, Network, Profile, Target
from core.replies import Button, Reply, seal
from core.roles import Capability, allows
from core.teams import Team

YOURSELF = "yourself"


class PostingAsFlow(TeamFlow):
    """The composer's "Posting as" line and button, and the choice from /team."""

    async def _posting_line(self, actor: Actor, reply: Reply) -> Reply:
        """A private chat's composer with "Posting as" for a member of a team; any other
        reply as it is (nothing is shown to someone in no team)."""
        post_id = _composer_post(reply)
        if post_id is None or not actor.chat.private:
            return reply
        teams = await self._postable(actor)
        if not teams:
            return reply
        async with self._uow() as uow:
            post = await uow.posts.get(post_id)
        if post is None:
            return reply
        options: list[tuple[int, str]] = [(0, YOURSELF)] + [(t.id, t.name) for t in teams]
        at = next((i for i, t in enumerate(teams, 1) if t.profile_id == post.profile_id), 0)
        shown, following = options[at][1], options[(at + 1) % len(options)][0]
        button = Button(f"Posting as: {shown} ▾"[:40], Action.POSTING_AS, f"{post.id}:{following}")
        # Sealed for the draft's profile, whichever profile the reply was made for.
        row = seal(Reply("", buttons=((button,),)), post.profile_id, self._clock.now()).buttons
        return replace(
            reply, text=f"Posting as: {shown} ▾\n{reply.text}", buttons=row + reply.buttons
        )

    async def _postable(self, actor: Actor) -> list[Team]:
        """The teams the user may post for: a member still, as an editor or admin."""
        async with self._uow() as uow:
            found = await uow.teams.memberships(actor.identity)
        return [t for t, m in found if m.active and allows(m.role, Capability.COMPOSE)]

    async def _tap_posting_as(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if not actor.chat.private:
            raise DomainError("Choose where your posts go in a private chat with me.")
        post_arg, moves, team_arg = arg.rpartition(":")
        if not (team_arg.isascii() and team_arg.isdigit() and len(team_arg) <= 9):
            raise DomainError("This button is broken. Send /team again.")
        team = await self._chosen_team(actor, int(team_arg))
        name = YOURSELF if team is None else team.name
        if not moves:  # /team's list: the choice only
            async with self._uow() as uow:
                await uow.teams.choose_posting(actor.identity, None if team is None else team.id)
                await uow.commit()
            shown = await self._my_teams(replace(actor, team=None, role=None))
            return replace(shown, edit=True, toast=f"Posting as {name}"[:200])
        return await self._move_draft(actor, profile, int_arg(post_arg, "post"), team)

    async def _chosen_team(self, actor: Actor, team_id: int) -> Team | None:
        """The team chosen (None: their own profile), if they may still post for it."""
        if team_id == 0:
            return None
        async with self._uow() as uow:
            team = await uow.teams.team(team_id)
            member = None if team is None else await uow.teams.member(team_id, actor.identity)
        if team is None or member is None or not member.active:
            raise DomainError("You are not in that team (any more). Send /team again.")
        if not allows(member.role, Capability.COMPOSE):
            raise DomainError(
                f"You are a {member.role.value} of {team.name}: you cannot post for it."
            )
        return team

    async def _move_draft(
        self, actor: Actor, profile: Profile, post_id: int, team: Team | None
    ) -> Reply:
        """The draft goes to the chosen profile, ticked for what that profile has connected,
        and the choice is remembered for the next /post."""
        target = (
            await self._accounts.profile_for(actor.identity, actor.name)
            if team is None
            else await self._profile_of_team(team)
        )
        unavailable = self._unavailable(target)
        async with self._uow() as uow:
            post = await self._own_post_in(uow, actor, profile, post_id, lock=True)
            require_draft(post)
            if post.origin != actor.chat:
                raise DomainError("Choose where a draft goes in the chat it was written in.")
            post.profile_id = target.id
            post.targets = {
                n: Target(n, self._policy.route(target.tier, n))
                for n in Network
                if self._policy.allows(target.tier, n)
                and n not in unavailable
                and n in target.connected()
            }
            await uow.posts.save(post)
            await uow.teams.choose_posting(actor.identity, None if team is None else team.id)
            await uow.commit()
        name = YOURSELF if team is None else team.name
        shown = views.composer(
            post, target, self._policy, unavailable, edit=True, toast=f"Posting as {name}"[:200]
        )
        return seal(shown, target.id, self._clock.now())  # the draft is the target's now

    async def _profile_of_team(self, team: Team) -> Profile:
        async with self._uow() as uow:
            found = await uow.profiles.get(team.profile_id)
        if found is None:
            raise DomainError(f"{team.name}'s profile has been deleted.")
        return found


def _composer_post(reply: Reply) -> int | None:
    """The draft a reply is the composer of: the one its network toggles tick."""
    for row in reply.buttons:
        for button in row:
            if button.action is Action.TOGGLE:
                number = button.arg.partition(":")[0]
                return int(number) if number.isascii() and number.isdigit() else None
    return None
