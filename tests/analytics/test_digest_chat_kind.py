"""Whether a digest goes to a private chat is the chat's kind, as the adapter saw it: a Slack
DM's id is not its user's id, and a Slack channel is shared (memory and SQL stores)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.digests.delivery import DigestConfig, DigestRunner
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.ports import UnitOfWorkFactory
from core.replies import Reply
from tests.analytics.support import make_chat, make_env, make_profile

ANA = Identity(ChatPlatform.SLACK, "ana")
DM = ChatRef(ChatPlatform.SLACK, "D024BE91L", kind=ChatKind.PRIVATE)
TEAM = ChatRef(ChatPlatform.SLACK, "C024BE91M", kind=ChatKind.SHARED)


def labels(reply: Reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


async def test_digest_now_in_a_slack_dm_is_private_and_in_a_channel_named(
    store: UnitOfWorkFactory,
) -> None:
    await make_profile(store, "ana", platform=ChatPlatform.SLACK)
    chat = make_chat(make_env(store, {}), {})
    private = await chat.app.handle_text(Actor(ANA, DM, "Ana"), "/digest now")
    assert private is not None
    assert private.text.startswith("📊 Daily digest\n")  # her own chat: no name needed
    assert labels(private) == ["📈 Last 7 days"]
    shared = await chat.app.handle_text(Actor(ANA, TEAM, "Ana"), "/digest now")
    assert shared is not None
    assert shared.text.startswith("📊 Daily digest · Ana's bakery")
    assert labels(shared) == []  # nobody else's taps to refuse, nothing private shown


async def test_a_scheduled_digest_keeps_the_kind_of_the_chat_it_was_asked_in(
    store: UnitOfWorkFactory,
) -> None:
    await make_profile(store, "ana", platform=ChatPlatform.SLACK)
    env = make_env(store, {})
    chat = make_chat(env, {})
    for where in (DM, TEAM):
        on = await chat.app.handle_text(Actor(ANA, where, "Ana"), "/digest on")
        assert on is not None and on.text.startswith("📬 Digest on")
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    runner = DigestRunner(
        env.uow, {ChatPlatform.SLACK: env.messenger}, env.composer, env.clock, DigestConfig("w1")
    )
    assert (await runner.tick()).sent == 2
    sent = {to.chat: reply for to, reply, _ in env.messenger.sent}
    assert sent[DM.chat].text.startswith("📊 Daily digest\n")
    assert labels(sent[DM.chat]) == ["📈 Last 7 days"]
    assert sent[TEAM.chat].text.startswith("📊 Daily digest · Ana's bakery")
    assert labels(sent[TEAM.chat]) == []
