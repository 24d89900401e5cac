"""Linking a channel to a profile: a one-time code from a private chat, posted in the channel.

Only a channel's admins can post in it (`can_post_messages`,
https://core.telegram.org/bots/api#chatadministratorrights), so a code posted there proves the
poster administers the channel, and the code proves whose profile it is; neither half alone
links anything. A code seen in the channel afterwards is spent. Only the profile's owner
unlinks, from their private chat. The bot must be an admin of the channel to read its posts
(https://core.telegram.org/bots/faq#what-messages-will-my-bot-get).
"""

from __future__ import annotations

from core import views
from core.actions import Action
from core.channel_links import CODE, CODE_TTL, ChatLink, LinkCode, digest, new_code
from core.chat.base import Flow
from core.commands import Command
from core.errors import Conflict
from core.handlers import Actor, refuse
from core.model import ChatKind, MessageRef, Profile
from core.replies import Button, Reply
from core.replies import code as as_code  # `code` is the link code here

GET_A_CODE = "Get a new one with /link in a private chat with me."


class LinkFlow(Flow):
    """/link, /unlink and the unlink buttons."""

    async def _link(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        typed = cmd.args.strip()
        if actor.chat.kind is ChatKind.CHANNEL:
            if not typed:  # the code is given in a private chat
                return views.continue_in_private(actor.chat.kind)
            return await self._redeem(actor, typed)
        if not actor.chat.private:
            return Reply(
                "Linking is for channels. In a group everyone posts with their own profile: "
                "/connect your networks in a private chat with me."
            )
        if typed:
            return Reply(
                "Post that code in the channel you want to link, not here: "
                f"{as_code('/link <code>')}."
            )
        if actor.team is not None:
            # A channel has no members, only admins: its posts would skip the team's roles
            # and approvals. Team posts are made in the team's chat.
            return Reply(
                f"A channel can't be linked to the team {actor.team.name}: whoever posts in "
                "it would act for the team without a role or an approval. Team posts are made "
                "in the team's chat. To link a channel to your own profile, choose "
                '"Posting as: yourself" in /team first.'
            )
        return await self._issue_code(profile)

    async def _issue_code(self, profile: Profile) -> Reply:
        code, now = new_code(), self._clock.now()
        async with self._uow() as uow:
            await uow.links.add_code(LinkCode(digest(code), profile.id, now, now + CODE_TTL))
            await uow.commit()
        return Reply(
            f"To link a channel to your profile, post this in the channel within {_minutes()} "
            f"minutes (I must be one of its admins to read it):\n{as_code(f'/link {code}')}\n"
            "The channel's posts then publish to the networks you /connect here. "
            "The code works once."
        )

    async def _redeem(self, actor: Actor, typed: str) -> Reply:
        if not CODE.fullmatch(typed):
            return Reply(
                f"That is not a link code: a code is 16 letters, digits, - and _. {GET_A_CODE}"
            )
        now = self._clock.now()
        async with self._uow() as uow:
            code = await uow.links.code(digest(typed))
            if code is None:
                return Reply(
                    f"I don't know that code; it may be mistyped or another bot's. {GET_A_CODE}"
                )
            if code.used_at is not None:
                return Reply(f"That code was used already; each code links once. {GET_A_CODE}")
            if code.expires_at <= now:
                return Reply(
                    f"That code has expired; codes last {_minutes()} minutes. {GET_A_CODE}"
                )
            if await uow.teams.team_of_profile(code.profile_id) is not None:
                return Reply(  # a code made for a team before /link refused teams
                    "That code is a team's, and a channel can't be linked to a team: team "
                    "posts are made in the team's chat."
                )
            current = await uow.links.link_of(actor.identity)
            if current is not None and current.profile_id != code.profile_id:
                return Reply(
                    "This channel is linked to another profile. Only that profile's owner can "
                    "unlink it, with /unlink in a private chat with me."
                )
            try:
                if not await uow.links.use_code(code.digest, now):
                    return Reply(f"That code was used already; each code links once. {GET_A_CODE}")
                if current is None:
                    link = ChatLink(0, actor.identity, code.profile_id, actor.name[:128], now)
                    await uow.links.add(link)
                await uow.commit()
            except Conflict:  # the code, or this channel, was linked at the same moment
                return Reply(
                    f"That code or this channel was just linked; nothing changed. {GET_A_CODE}"
                )
        if current is not None:
            return Reply("This channel is already linked to that profile.")
        return Reply(
            "✅ This channel is linked: its posts now publish to the networks of the profile "
            "that made the code. Its owner can /unlink it in a private chat with me."
        )

    async def _unlink(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not actor.chat.private:
            return Reply(
                "Only the owner of the profile a channel is linked to can unlink it: they send "
                "/unlink to me in a private chat."
            )
        async with self._uow() as uow:
            links = await uow.links.for_profile(profile.id)
        if not links:
            return Reply("No channel is linked to your profile. To link one, send /link.")
        return Reply(
            "Channels linked to your profile (their posts publish to your networks):\n"
            + "\n".join(f"• {link.title or 'A channel'}" for link in links),
            buttons=tuple(
                (Button(f"✖ Unlink {link.title or 'channel'}"[:40], Action.UNLINK, str(link.id)),)
                for link in links
            ),
        )

    async def _tap_unlink(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if not (arg.isascii() and arg.isdigit() and len(arg) <= 9):
            return refuse("This button is broken. Send /unlink again.")
        if not actor.chat.private:  # only the owner unlinks, from their private chat
            return refuse("Only the profile's owner can unlink, with /unlink in a private chat.")
        async with self._uow() as uow:
            link = await uow.links.get(int(arg))
            if link is None:
                return refuse("That channel is no longer linked.")
            if link.profile_id != profile.id:
                return refuse("Only the author can do that.")
            await uow.links.remove(link.id)
            await uow.commit()
        return Reply(
            f"{link.title or 'The channel'} is unlinked: its new posts no longer use your "
            "profile. The posts it made so far stay in your /posts.",
            edit=True,
            toast="Unlinked",
        )


def _minutes() -> int:
    return int(CODE_TTL.total_seconds() // 60)
