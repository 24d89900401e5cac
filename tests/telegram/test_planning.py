"""Templates, slots and the queue through the Telegram driver and the fake Bot API, on SQL."""

from __future__ import annotations

from datetime import UTC, datetime

from core.actions import Action
from core.ports import UnitOfWorkFactory
from core.states import PostState
from tests.telegram.conftest import MakeWorld
from tests.telegram.driver import ANA, BEN


async def test_template_to_queue_to_published_in_telegram(
    make_world: MakeWorld, uow_factory: UnitOfWorkFactory
) -> None:
    world = await make_world(uow=uow_factory)
    tg = world.tg
    await tg.say("/connect")
    await tg.tap("Facebook")
    await tg.say("/timezone Europe/Berlin")
    await tg.say("/post Weekly tip {date}: {link}")
    await tg.say("/templates save tip")
    assert tg.last().text.startswith("Saved draft #1 as the template 'tip'.")
    await tg.say("/templates save tip")
    assert tg.last().text.startswith("You already have a template called 'tip'.")
    await tg.say("/post Hi {who}")
    await tg.say("/templates save who")
    assert tg.last().text.startswith("Unknown placeholder {who}.")
    await tg.say("/templates")
    await tg.tap("Use tip")
    assert "needs link" in tg.last().text
    await tg.say("/templates use tip link=https://example.com/tip")
    composer = tg.last()
    assert composer.text.startswith("✍️ New post")

    await tg.say("/slots add funday 9:00")
    assert tg.last().text.startswith("I don't know the day 'funday'")
    await tg.say("/slots add wed 12:00")
    assert "• Wed 12:00 — next Wed 25 Nov 12:00" in tg.last().text
    await tg.tap("Add to queue", message=composer)
    # The composer message itself becomes the scheduled post's confirmation.
    queued = next(m for m in tg.fake.chat_messages(ANA.id) if m.message_id == composer.message_id)
    assert queued.text.startswith("🗓 Added to the queue: slot Wed 12:00.")
    assert "Scheduled for Wed 25 Nov 2026, 12:00 (Europe/Berlin)" in queued.text
    await tg.say("/queue")
    assert "1. Wed 25 Nov 12:00 · #3 Weekly tip 2026-11-24: https://example.…" in tg.last().text
    listing = tg.last()
    await tg.tap("⬆ #3", message=listing)
    await tg.tap("⬆ #3", user=BEN, message=listing)  # not his: nothing moves
    # A forged tap on Ana's post id sealed for Ben: not his post.
    await tg.tap_data(
        await world.sealed(Action.QUEUE.data("up", 3), BEN), user=BEN, message=listing
    )
    world.clock.set(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))  # 12:00 in Berlin
    await world.pipeline.run_until_idle()
    async with world.uow() as uow:
        post = await uow.posts.get(3)
    assert post is not None and post.state is PostState.PUBLISHED
    answers = [c.params.get("text") for c in tg.fake.calls_to("answerCallbackQuery")]
    assert "Post #3 is already first in the queue." in answers
    assert "Only the author can do that." in answers
    assert "Post #3 is not in your queue here; /queue lists it." in answers
