"""One table of button actions: once the plug-ins are wired, every action in it has its
handler, a code outside it is refused, and no button is made from a raw code."""

from __future__ import annotations

import pytest

from core.actions import Action
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.ports import UnitOfWorkFactory
from core.replies import MAX_CALLBACK_BYTES, SEAL_BYTES, Button, mark
from tests.analytics.support import make_chat, make_env, make_profile

UNKNOWN = "This button is no longer supported. Send /help to start again."
ANA = Actor(
    Identity(ChatPlatform.CONSOLE, "ana"),
    ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE),
    "Ana",
)


async def test_every_action_in_the_table_is_handled(store: UnitOfWorkFactory) -> None:
    ana = await make_profile(store, "ana")
    env = make_env(store, {})
    chat = make_chat(env, {})
    seal = mark(ana.id, env.clock.now())
    for action in Action:
        # An argument no handler takes: each refuses it in its own words.
        reply = await chat.app.handle_tap(ANA, f"{action.data('zz')}~{seal}", None)
        assert reply.toast != UNKNOWN, action
    unknown = await chat.app.handle_tap(ANA, f"zz:1~{seal}", None)
    assert unknown.toast == UNKNOWN
    with pytest.raises(ValueError, match="taken"):
        chat.app.add_tap(Action.DIGEST, chat.services.digests.tap)


def test_buttons_take_actions_from_the_table_and_fit_the_callback_bound() -> None:
    with pytest.raises(TypeError, match=r"core\.actions"):
        Button("Open", "op", "1")  # type: ignore[arg-type]
    longest = max(len(a.value) for a in Action)
    # The codes leave room for a post id, a network and the seal within Telegram's 64 bytes.
    assert longest + len(":2147483647:instagram") <= MAX_CALLBACK_BYTES - SEAL_BYTES
    assert len({a.value for a in Action}) == len(Action)
