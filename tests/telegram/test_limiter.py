"""Sending under Telegram's flood limits: per-chat pacing, 429 retries, update ordering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update
from telegram.error import RetryAfter

from adapters.telegram.application import ChatOrderedProcessor
from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.telegram.conftest import World
from tests.telegram.driver import ANA, BEN, TelegramDriver

ANA_CHAT = ChatRef(ChatPlatform.TELEGRAM, str(ANA.id))
BEN_CHAT = ChatRef(ChatPlatform.TELEGRAM, str(BEN.id))


async def test_one_chat_gets_a_burst_of_three_then_one_message_a_second(world: World) -> None:
    for n in range(6):
        await world.messenger.send(ANA_CHAT, Reply(f"Message {n}"))
    assert world.time.slept == [1.0, 1.0, 1.0]
    # Another chat is not held up by Ana's queue.
    await world.messenger.send(BEN_CHAT, Reply("Hello Ben"))
    assert world.time.slept == [1.0, 1.0, 1.0]


async def test_pacing_holds_across_concurrent_sends_to_one_chat(world: World) -> None:
    started = world.time.now
    await asyncio.gather(*(world.messenger.send(ANA_CHAT, Reply(f"M{n}")) for n in range(5)))
    # Three at once, then the 4th one second later and the 5th two seconds later.
    assert world.time.now - started == 2.0
    assert len(world.fake.calls_to("sendMessage")) == 5


async def test_button_answers_are_never_paced(world: World) -> None:
    tg: TelegramDriver = world.tg
    for n in range(4):
        await world.messenger.send(ANA_CHAT, Reply(f"M{n}"))
    slept = list(world.time.slept)
    await tg.tap_data("zz", user=ANA, message=tg.last())  # a toast only
    assert world.time.slept == slept


async def test_a_429_waits_retry_after_then_sends(world: World) -> None:
    world.fake.fail_next(
        "sendMessage", code=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    await world.messenger.send(ANA_CHAT, Reply("Eventually"))
    assert world.time.slept == [pytest.approx(7.1)]
    assert [c.params["text"] for c in world.fake.calls_to("sendMessage")] == ["Eventually"]


async def test_a_429_pauses_every_chat(world: World) -> None:
    world.fake.fail_next("sendMessage", code=429, description="Too Many Requests", retry_after=5)
    await world.messenger.send(ANA_CHAT, Reply("First"))
    started = world.time.now
    await world.messenger.send(BEN_CHAT, Reply("Second"))
    assert world.time.now == started  # the pause was over before Ben's message


async def test_after_three_retries_the_429_is_raised(world: World) -> None:
    world.fake.fail_next(
        "sendMessage", code=429, description="Too Many Requests", retry_after=1, times=4
    )
    with pytest.raises(RetryAfter):
        await world.messenger.send(ANA_CHAT, Reply("Never"))
    assert world.time.slept == [pytest.approx(1.1)] * 3
    assert world.fake.calls_to("sendMessage") == []


async def test_updates_of_one_chat_run_in_order_and_chats_run_side_by_side() -> None:
    processor = ChatOrderedProcessor(8)
    order: list[str] = []
    release = asyncio.Event()

    async def work(name: str, wait: bool) -> None:
        order.append(f"start {name}")
        if wait:
            await release.wait()
        order.append(f"end {name}")

    def update(update_id: int, chat_id: int) -> Update:
        chat = Chat(chat_id, "private")
        return Update(
            update_id, message=Message(update_id, datetime(2026, 11, 24, tzinfo=UTC), chat)
        )

    async with processor:
        tasks = [
            asyncio.create_task(processor.process_update(update(1, 1), work("a1", True))),
            asyncio.create_task(processor.process_update(update(2, 1), work("a2", False))),
            asyncio.create_task(processor.process_update(update(3, 2), work("b1", False))),
        ]
        await asyncio.sleep(0.01)
        assert order == ["start a1", "start b1", "end b1"]
        release.set()
        await asyncio.gather(*tasks)
    assert order[3:] == ["end a1", "start a2", "end a2"]
