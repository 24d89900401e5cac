"""/forget over the fake Bot API: asked and confirmed in a private chat, refused in a group
with a deep link to the private chat, and the next message starts a fresh profile."""

from __future__ import annotations

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, Identity
from tests.fakes.telegram_api import BOT_USERNAME
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, User


async def _profile(world: World, user: User = ANA) -> int | None:
    async with world.uow() as uow:
        found = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(user.id)))
    return None if found is None else found.id


def _toast(world: World) -> str:
    return str(world.fake.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


async def test_forget_in_a_private_chat_deletes_the_profile_and_starts_afresh(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await make_world(uow=uow_factory)
    tg = world.tg
    await tg.say("/post Launch day")
    await tg.say("/post Ben's", user=BEN)
    ana = await _profile(world)
    assert ana is not None
    await tg.say("/forget")
    question = tg.last()
    assert question.text.startswith("Delete all your data?") and "1 post" in question.text
    await tg.tap("Keep my data", message=question)  # the status, nothing deleted
    assert await _profile(world) == ana

    await tg.tap("Yes, delete everything", user=BEN, message=question)
    assert _toast(world) == "Only the author can do that."
    await tg.tap("Yes, delete everything", message=question)
    assert question.text.startswith("Done: your profile and everything Postroom kept")
    assert question.buttons() == []  # edited in place: nothing left to tap
    assert await _profile(world) is None and await _profile(world, BEN) is not None

    await tg.say("/start")
    fresh = await _profile(world)
    assert fresh is not None and fresh != ana


async def test_forget_in_a_group_points_to_the_private_chat(world: World) -> None:
    tg = world.tg
    await tg.say(f"/forget@{BOT_USERNAME}", chat=GROUP)
    answer = tg.last(GROUP["id"])
    assert answer.text.startswith("/forget deletes your whole profile, so it is only done in")
    (button,) = answer.buttons()
    assert button["url"] == f"https://t.me/{BOT_USERNAME}?start=forget"
    await tg.say("/start forget")  # the deep link, in the private chat
    assert tg.last().text.startswith("Delete all your data?")
