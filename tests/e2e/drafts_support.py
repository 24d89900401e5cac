"""A console user of a Pro bot on the test database and the fake Ayrshare, for draft tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.bootstrap import Services
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef
from core.replies import Button, Reply
from tests.e2e.conftest import BuildServices
from tests.fakes.ayrshare_api import FakeAyrshare, Recorded
from tests.fakes.messenger import RecordingMessenger

X_KEYS = {"ayrshare_x_api_key": "x-key", "ayrshare_x_api_secret": "x-secret"}
LONG = "Launch day! " + "Our new app is live and it does a lot of things. " * 8  # 400+ chars


def actor(user: str = "ana", chat: str | None = None) -> Actor:
    kind = ChatKind.PRIVATE if chat is None else ChatKind.SHARED
    return Actor(
        Identity(ChatPlatform.CONSOLE, user),
        ChatRef(ChatPlatform.CONSOLE, chat or user, kind=kind),
        user,
    )


def find(reply: Reply, label: str) -> Button:
    for row in reply.buttons:
        for b in row:
            if label.lower() in b.label.lower():
                return b
    raise AssertionError(f"no {label!r} in {labels(reply)}")


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


@dataclass
class Chat:
    """Ana (or another user) typing and tapping; each answer is a message she can tap."""

    services: Services
    fake: FakeAyrshare
    shown: dict[int, Reply] = field(default_factory=dict)

    @property
    def messenger(self) -> RecordingMessenger:
        m = self.services.messengers[ChatPlatform.CONSOLE]
        assert isinstance(m, RecordingMessenger)
        return m

    async def say(
        self, line: str, user: str = "ana", media: tuple[str, ...] = (), chat: str | None = None
    ) -> Reply | None:
        reply = await self.services.postroom.handle_text(actor(user, chat), line, media)
        return reply

    async def said(self, line: str, user: str = "ana", chat: str | None = None) -> Reply:
        reply = await self.say(line, user, chat=chat)
        assert reply is not None, f"no answer to {line!r}"
        return reply

    async def show(self, reply: Reply, user: str = "ana", chat: str | None = None) -> MessageRef:
        """Put `reply` on screen as a message of its own (what a chat adapter does)."""
        return await self.messenger.send(actor(user, chat).chat, reply)

    async def tap(
        self,
        reply: Reply,
        label: str,
        user: str = "ana",
        message: MessageRef | None = None,
        chat: str | None = None,
    ) -> Reply:
        data = find(reply, label).callback_data
        return await self.services.postroom.handle_tap(actor(user, chat), data, message)

    def posts(self) -> list[Recorded]:
        return self.fake.requests_to("POST", "/post")


async def pro_chat(make_services: BuildServices, *platforms: str, **settings: object) -> Chat:
    fake = FakeAyrshare()
    services = await make_services(fake, **(X_KEYS | settings))
    chat = Chat(services, fake)
    await chat.said("/connect")
    (profile,) = fake.profiles.values()
    for platform in platforms:
        fake.link(profile.profile_key, platform)
    return chat
