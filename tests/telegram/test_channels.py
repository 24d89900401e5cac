"""Channels over the fake Bot API: linking one to an admin's profile and publishing its posts."""

from __future__ import annotations

import re

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.states import PostState
from tests.fakes.telegram_api import BOT_USERNAME
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, JSON, TelegramDriver

NEWS: JSON = {"id": -1005555555555, "type": "channel", "title": "Postroom News"}
OTHER: JSON = {"id": -1006666666666, "type": "channel", "title": "Other Channel"}
CODE = re.compile(r"/link ([A-Za-z0-9_-]{16})")


@pytest.fixture
async def world(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    """Channel links are stored in the database, so these bots run on SQL."""
    return await make_world(uow=uow_factory)


async def post_in(tg: TelegramDriver, chat: JSON, text: str) -> None:
    """A channel post: it has no sender, only the channel (Bot API `channel_post`)."""
    update = tg.message_update("channel_post", chat=chat)
    message = update["channel_post"]
    message["sender_chat"] = chat
    message["text"] = text
    command = text.split(maxsplit=1)[0]
    message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    tg.fake.note(str(chat["title"]), text)
    await tg.deliver(update)


async def test_connect_in_a_channel_explains_linking_and_a_linked_channel_publishes(
    world: World,
) -> None:
    tg, fake = world.tg, world.fake
    fake.add_chat(NEWS)
    fake.add_chat(OTHER)
    fake.admins.add((NEWS["id"], BEN.id))
    await tg.say("/connect")
    await tg.tap("Facebook")
    await post_in(tg, NEWS, f"/connect@{BOT_USERNAME}")
    answer = tg.last(NEWS["id"])
    assert answer.text.startswith("This channel publishes with the networks of the profile")
    urls = [b["url"] for b in answer.buttons()]
    assert urls == [
        f"https://t.me/{BOT_USERNAME}?start=link",
        f"https://t.me/{BOT_USERNAME}?start=connect",
    ]
    await post_in(tg, NEWS, "/link")  # a bare /link answers the same way
    assert tg.last(NEWS["id"]).text == answer.text
    # Ana follows the deep link: `/start link` in her private chat gives the code.
    await tg.say("/start link")
    found = CODE.search(tg.last().text)
    assert found is not None, tg.last().text
    await post_in(tg, NEWS, f"/link@{BOT_USERNAME} {found.group(1)}")
    assert tg.last(NEWS["id"]).text.startswith("✅ This channel is linked")
    await post_in(tg, NEWS, f"/post@{BOT_USERNAME} Channel news")
    composer = tg.last(NEWS["id"])
    assert "☑ Facebook" in composer.labels()
    await tg.tap("Publish now", user=BEN, message=composer)  # an admin of the channel
    assert "1 of 1 published" in composer.text
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.PUBLISHED
    # The other channel is not linked and sees none of Ana's networks.
    await post_in(tg, OTHER, f"/post@{BOT_USERNAME} Not ours")
    other = tg.last(OTHER["id"])
    assert "☐ Facebook" in other.labels()
    # The spent code, posted again, links nothing.
    await post_in(tg, OTHER, f"/link {found.group(1)}")
    assert tg.last(OTHER["id"]).text.startswith("That code was used already")


async def test_a_channel_code_is_not_shown_before_it_is_asked_for_in_private(
    world: World,
) -> None:
    tg, fake = world.tg, world.fake
    fake.add_chat(NEWS)
    await post_in(tg, NEWS, "/link")
    assert not CODE.search(tg.last(NEWS["id"]).text)  # no code is ever shown in the channel
    await tg.say("/link")
    assert CODE.search(tg.last(ANA.id).text)
