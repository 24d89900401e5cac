"""A core harness: Postroom and its pipeline over in-memory storage and sandbox networks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from adapters.sandbox import FailMode, SandboxPublisher
from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.billing_ports import PaymentProvider
from core.handlers import Actor
from core.model import (
    ChatKind,
    ChatPlatform,
    ChatRef,
    Identity,
    MessageRef,
    Network,
    Provider,
    Route,
    Tier,
)
from core.policy import Policy
from core.ports import Publisher, UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from core.replies import Button, Reply
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.fakes.messenger import RecordingMessenger

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
VIDEO = "https://cdn.example.com/launch.mp4"


class Harness:
    """Drives core like a chat adapter: users type, tap buttons on messages, see edits."""

    def __init__(
        self,
        *,
        tier: Tier = Tier.PRO,
        fail: Mapping[Network, FailMode] | None = None,
        policy: Policy | None = None,
        publishers: Mapping[Route, Publisher] | None = None,
        clock: FixedClock | None = None,
        uow: UnitOfWorkFactory | None = None,
        settings: Mapping[str, object] | None = None,
        payments: Mapping[Provider, PaymentProvider] | None = None,
    ) -> None:
        self.clock = clock or FixedClock(START)
        self.uow: UnitOfWorkFactory = uow or InMemoryUnitOfWorkFactory()
        self.messenger = RecordingMessenger()
        self.publishers: Mapping[Route, Publisher] = publishers or {
            route: SandboxPublisher(route, fail=fail or {}, clock=self.clock) for route in Route
        }
        services = bootstrap(
            Settings.model_validate({"default_tier": tier, **(settings or {})}),
            clock=self.clock,
            uow=self.uow,
            publishers=self.publishers,
            policy=policy or Policy.default(),
            pipeline_config=PipelineConfig(),
            bot_username="PostroomBot",
            sandbox=False,
            messengers={ChatPlatform.CONSOLE: self.messenger},
            payments=payments,
        )
        self.services = services
        self.accounts = services.accounts
        self.app = services.postroom
        self.pipeline = services.pipeline

    def actor(self, user: str = "ana") -> Actor:
        chat = ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE)
        return Actor(Identity(ChatPlatform.CONSOLE, user), chat, user)

    async def say(self, text: str, user: str = "ana", media: tuple[str, ...] = ()) -> Reply:
        """What the bot answers in chat (sent as a new message, whose buttons can be tapped)."""
        reply = await self.app.handle_text(self.actor(user), text, media)
        assert reply is not None, f"no reply to {text!r}"
        if reply.text:
            await self.messenger.send(self.actor(user).chat, reply)
        return reply

    def message_of(self, reply: Reply) -> MessageRef:
        for _, shown, ref in reversed(self.messenger.sent):
            if shown is reply:
                return ref
        for ref, shown in reversed(self.messenger.edits):
            if shown is reply:
                return ref
        raise AssertionError("that reply is not on screen")

    async def tap(self, reply: Reply, label: str, user: str = "ana") -> Reply:
        """Tap the button whose label contains `label` on the message showing `reply`."""
        button = find_button(reply, label)
        message = self.message_of(reply)
        answer = await self.app.handle_tap(self.actor(user), button.callback_data, message)
        if answer.edit:
            await self.messenger.edit(message, answer)
        elif answer.text:
            await self.messenger.send(message.chat, answer)
        return answer

    async def connect(self, *networks: Network, user: str = "ana") -> None:
        view = await self.say("/connect", user)
        for network in networks:
            view = await self.tap(view, network.label, user)

    async def compose(self, text: str, *networks: Network, user: str = "ana") -> Reply:
        """Connect `networks`, then /post `text` (they are ticked by default once connected)."""
        await self.connect(*networks, user=user)
        return await self.say(f"/post {text}", user)

    def current(self, message: MessageRef) -> Reply:
        shown = self.messenger.last(message)
        assert shown is not None
        return shown


def find_button(reply: Reply, label: str) -> Button:
    for row in reply.buttons:
        for button in row:
            if label.lower() in button.label.lower():
                return button
    labels = [b.label for row in reply.buttons for b in row]
    raise AssertionError(f"no button {label!r} in {labels}")


def field_values(reply: Reply) -> dict[str, str]:
    return {f.label: f.value for f in reply.fields}
