"""A team of three in a console group, over SQL: ana (chat admin), ben (editor), cal (viewer)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.replies import Reply
from core.teams import Team
from tests.core.harness import Harness, find_button

CREW = ChatRef(ChatPlatform.CONSOLE, "#crew", kind=ChatKind.SHARED)


@dataclass
class ChatAdminList:
    """The console's answer to "who administers this chat": a list the test keeps."""

    admins: set[tuple[str, str]] = field(default_factory=set)  # (chat, user)
    asked: int = 0

    async def is_admin(self, chat: ChatRef, identity: Identity) -> bool:
        self.asked += 1
        return (chat.chat, identity.user) in self.admins


def member(user: str, chat: ChatRef = CREW) -> Actor:
    return Actor(Identity(ChatPlatform.CONSOLE, user), chat, user.title(), user, "Crew chat")


class TeamHarness:
    """Says and taps in the group as a member; `private` for their private chat."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.admins = ChatAdminList({(CREW.chat, "ana")})
        h.app.add_chat_admins(ChatPlatform.CONSOLE, self.admins)

    async def say(self, text: str, user: str = "ana", chat: ChatRef = CREW) -> Reply:
        reply = await self.h.app.handle_text(member(user, chat), text)
        assert reply is not None, f"no reply to {text!r}"
        if reply.text:
            await self.h.messenger.send(chat, reply)
        return reply

    async def tap(self, reply: Reply, label: str, user: str = "ana") -> Reply:
        button = find_button(reply, label)
        message = self.h.message_of(reply)
        who = member(user, message.chat)
        answer = await self.h.app.handle_tap(who, button.callback_data, message)
        if answer.edit:
            await self.h.messenger.edit(message, answer)
        elif answer.text:
            await self.h.messenger.send(message.chat, answer)
        return answer

    async def team(self) -> Team:
        async with self.h.uow() as uow:
            team = await uow.teams.team_in_chat(CREW)
        assert team is not None
        return team

    async def three(self) -> Team:
        """Ana makes the team; Ben and Cal write; Ana makes Ben an editor."""
        made = await self.say("/team create Launch crew")
        assert made.text.startswith("✅ Launch crew is a team profile now"), made.text
        await self.say("/team", "ben")
        await self.say("/team", "cal")
        changed = await self.say("/team role @ben editor")
        assert changed.text == "@ben is now editor of Launch crew.", changed.text
        return await self.team()


async def team_with_facebook(h: Harness) -> TeamHarness:
    """The team of three, with Facebook connected by Ana through the team chat's /connect
    deep link (which also makes her private chat post as the team)."""
    team = TeamHarness(h)
    made = await team.three()
    view = await h.say(f"/start connect-{made.id}")
    await h.tap(view, "Facebook")
    return team
