"""Core decides what a chat may see by its kind, on any platform: connect links (which sign in
to the user's own accounts) only in a private chat; elsewhere one tap continues in private."""

from __future__ import annotations

import io

import pytest

from adapters.console.chat import ConsoleChat
from adapters.db.uow import SqlUnitOfWorkFactory
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.replies import Reply
from tests.core.harness import Harness, find_button

ANA = Identity(ChatPlatform.SLACK, "U024BE7LH", "T0001")
DM = ChatRef(ChatPlatform.SLACK, "D024BE91L", "T0001", kind=ChatKind.PRIVATE)
TEAM = ChatRef(ChatPlatform.SLACK, "C024BE91M", "T0001", kind=ChatKind.SHARED)
NEWS = ChatRef(ChatPlatform.TELEGRAM, "-1001234567890", kind=ChatKind.CHANNEL)


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


def links(reply: Reply) -> list[str]:
    return [b.url for row in reply.buttons for b in row if b.url is not None]


def privately(reply: Reply) -> list[str]:
    return [b.private for row in reply.buttons for b in row if b.private is not None]


async def say(h: Harness, chat: ChatRef, text: str) -> Reply:
    reply = await h.app.handle_text(Actor(ANA, chat, "Ana"), text)
    assert reply is not None
    return reply


async def test_connect_links_show_only_in_a_private_chat(h: Harness) -> None:
    # A Slack DM's id is not its user's id: the kind says it is private, not the ids.
    mine = await say(h, DM, "/connect")
    assert mine.text.startswith("Connect your accounts")
    assert find_button(mine, "Facebook").action is not None
    for text in ("/connect", "/start connect"):
        shared = await say(h, TEAM, text)
        assert shared.text.startswith("Connect your networks in a private chat")
        assert privately(shared) == ["connect"] and links(shared) == []
    channel = await say(h, NEWS, "/connect")
    assert channel.text.startswith("This channel publishes with the networks")
    assert privately(channel) == ["link", "connect"]


async def test_the_connect_button_in_a_shared_chat_continues_in_private(h: Harness) -> None:
    status = await say(h, TEAM, "/status")
    button = find_button(status, "Connect networks")
    tapped = await h.app.handle_tap(Actor(ANA, TEAM, "Ana"), button.callback_data, None)
    assert tapped.text.startswith("Connect your networks in a private chat")
    assert privately(tapped) == ["connect"]
    in_dm = await h.app.handle_tap(Actor(ANA, DM, "Ana"), button.callback_data, None)
    assert in_dm.text.startswith("Connect your accounts")


async def test_the_console_follows_a_private_chat_button_itself(h: Harness) -> None:
    out = io.StringIO()
    console = ConsoleChat(h.app, user="ana", out=out)
    await console.send(console.chat, await say(h, TEAM, "/connect"))  # shown in the console
    assert "[1] 🔗 Connect in private ↗ </start connect>" in out.getvalue()
    await console.handle_line("1")
    assert out.getvalue().splitlines()[2] == "Connect your accounts:"
