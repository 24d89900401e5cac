"""The digest's buttons are its owner's: another member's tap on 📈 Last 7 days or on the
/digest status buttons is refused and changes nothing (SQL store)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.ports import UnitOfWorkFactory
from core.replies import Reply, unseal
from tests.analytics.support import make_chat, make_env, make_profile

NOT_YOURS = "Only the author can do that."


def actor(user: str) -> Actor:
    return Actor(
        Identity(ChatPlatform.CONSOLE, user),
        ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE),
        user,
    )


def data(reply: Reply, label: str) -> str:
    (found,) = [b for row in reply.buttons for b in row if label in b.label]
    return found.callback_data


async def test_last_7_days_answers_only_the_digests_owner(store: UnitOfWorkFactory) -> None:
    ben = await make_profile(store, "ben", name="Ben's bikes")
    await make_profile(store, "ana")
    env = make_env(store, {})
    chat = make_chat(env, {})
    assert (await chat.say("/digest on", user="ben")).text.startswith("📬 Digest on")
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert (await chat.services.runner.tick()).sent == 1
    [(_, digest, _)] = env.messenger.sent
    stats = data(digest, "Last 7 days")
    _, stamp = unseal(stats)
    assert stamp is not None and stamp.owner == ben.id  # sealed by the runner, for Ben

    for _ in range(2):  # repeated taps by someone else
        refused = await chat.app.handle_tap(actor("ana"), stats, None)
        assert (refused.toast, refused.text) == (NOT_YOURS, "")
    mine = await chat.app.handle_tap(actor("ben"), stats, None)
    assert "Last 7 days" in mine.text
    now = await chat.say("/digest now", user="ben")
    refused = await chat.app.handle_tap(actor("ana"), data(now, "Last 7 days"), None)
    assert refused.toast == NOT_YOURS


async def test_status_buttons_never_act_for_another_member(store: UnitOfWorkFactory) -> None:
    ben = await make_profile(store, "ben", name="Ben's bikes")
    ana = await make_profile(store, "ana")
    env = make_env(store, {})
    chat = make_chat(env, {})
    await chat.say("/digest on", user="ben")
    status = await chat.say("/digest", user="ben")
    for label in ("Off", "Weekly", "Now"):
        refused = await chat.app.handle_tap(actor("ana"), data(status, label), None)
        assert (refused.toast, refused.text, refused.edit) == (NOT_YOURS, "", False)
    async with store() as uow:
        assert await uow.digests.for_profile(ana.id) == []
        (bens,) = await uow.digests.for_profile(ben.id)
    assert bens.enabled and not bens.weekly
    weekly = await chat.app.handle_tap(actor("ben"), data(status, "Weekly"), None)
    assert weekly.edit and "Mondays" in weekly.text
