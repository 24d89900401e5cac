"""What the chat shows when the author acts on a post that is on its way: the tap is answered,
and the post's progress message follows every change (cancel, delete) made elsewhere."""

from __future__ import annotations

from adapters.sandbox import SandboxPublisher
from core.model import Route
from tests.telegram.conftest import World
from tests.telegram.driver import ANA, TelegramDriver


async def _connect(tg: TelegramDriver, *labels: str) -> None:
    await tg.say("/connect")
    for label in labels:
        await tg.tap(label)


async def test_a_second_publish_tap_while_publishing_is_answered_without_an_edit(
    world: World,
) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.say("/post Once only")
    composer = tg.last()
    world.chat.after_update = None  # the worker has not claimed it yet
    button = next(b for b in composer.buttons() if "Publish" in b["text"])
    await tg.tap_data(button["callback_data"], user=ANA, message=composer)
    assert "Facebook  🕒 pending" in composer.text
    edits = len(fake.calls_to("editMessageText"))

    await tg.tap_data(button["callback_data"], user=ANA, message=composer)

    answer = fake.calls_to("answerCallbackQuery")[-1].params["text"]
    assert answer == "Post #1 is already being published."  # not "already scheduled"
    assert len(fake.calls_to("editMessageText")) == edits  # nothing re-sent
    assert [c for c in fake.calls if c.error] == []
    await world.pipeline.run_until_idle()
    assert "1 of 1 published" in composer.text


async def test_cancel_after_publish_now_ends_in_the_progress_message(world: World) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    await tg.say("/post Not yet")
    progress = tg.last()
    world.chat.after_update = None  # the worker has not claimed it yet
    await tg.tap("Publish now", message=progress)
    assert "Facebook  🕒 pending" in progress.text

    await tg.say("/cancel 1")

    assert tg.last().text == "Cancelled. Post #1 is a draft again."
    assert "Facebook  ☐ not sent" in progress.text  # not "pending" forever
    await world.pipeline.run_until_idle()
    assert "Facebook  ☐ not sent" in progress.text


async def test_deleting_a_post_waiting_to_go_out_ends_in_its_progress_message(
    world: World,
) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    await tg.say("/post Never mind")
    progress = tg.last()
    world.chat.after_update = None
    await tg.tap("Publish now", message=progress)

    await tg.say("/delete 1")
    await tg.tap("Yes, delete", message=tg.last())

    assert tg.last().text == "Post #1 deleted."
    assert progress.text == "🗑 Post #1 deleted."  # not "pending" forever
    await world.pipeline.run_until_idle()
    sandbox = world.publishers[Route.AYRSHARE]
    assert isinstance(sandbox, SandboxPublisher)
    assert not sandbox.posts()  # nothing went out after "deleted"
