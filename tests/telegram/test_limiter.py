"""Sending under Telegram's flood limits: per-chat pacing, 429 retries, update ordering."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from telegram import Chat, Message, Update
from telegram.error import RetryAfter

from adapters.telegram.application import ChatOrderedProcessor
from adapters.telegram.limiter import OVERALL_RATE
from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.telegram.conftest import World
from tests.telegram.driver import ANA, BEN, TelegramDriver

GAP = 1 / OVERALL_RATE  # the overall spacing between any two messages
ANA_CHAT = ChatRef(ChatPlatform.TELEGRAM, str(ANA.id))
BEN_CHAT = ChatRef(ChatPlatform.TELEGRAM, str(BEN.id))


def _sent_at(world: World, method: str = "sendMessage") -> list[float]:
    """When the fake received each successful call, in seconds after the first."""
    times = [c.at for c in world.fake.calls_to(method)]
    return [t - times[0] for t in times]


async def test_one_chat_gets_a_burst_of_three_then_one_message_a_second(world: World) -> None:
    for n in range(6):
        await world.messenger.send(ANA_CHAT, Reply(f"Message {n}"))
    # The burst keeps the overall spacing (1/30 s), then one message a second.
    assert _sent_at(world) == pytest.approx([0, GAP, 2 * GAP, 1.0, 2.0, 3.0])
    # Another chat is not held up by Ana's queue, only by the overall spacing.
    await world.messenger.send(BEN_CHAT, Reply("Hello Ben"))
    assert _sent_at(world)[-1] == pytest.approx(3.0 + GAP)


async def test_pacing_holds_across_concurrent_sends_to_one_chat(world: World) -> None:
    await asyncio.gather(*(world.messenger.send(ANA_CHAT, Reply(f"M{n}")) for n in range(5)))
    # Three at once (at the overall spacing), then the 4th one second later and the 5th two
    # seconds later.
    assert _sent_at(world) == pytest.approx([0, GAP, 2 * GAP, 1.0, 2.0])


async def test_a_wave_to_many_chats_starts_at_the_ceiling_without_a_burst(world: World) -> None:
    """300 digests at once: Telegram refuses the 31st message within any one second (the fake
    counts strictly), so the wave must not open with a burst and then run at the full rate."""
    chats = [ChatRef(ChatPlatform.TELEGRAM, str(5_000_000 + n)) for n in range(300)]
    await asyncio.gather(*(world.messenger.send(chat, Reply("Your digest")) for chat in chats))
    assert world.fake.refused_for_flood() == []
    sent = _sent_at(world)
    assert len(sent) == 300
    busiest = max(sum(1 for t in sent if start <= t < start + 1) for start in sent)
    assert busiest == OVERALL_RATE
    # At the limiter's rate from the first message to the last: evenly spaced.
    assert sent[-1] == pytest.approx(299 * GAP)


async def test_a_group_gets_at_most_twenty_messages_a_minute(world: World) -> None:
    group = ChatRef(ChatPlatform.TELEGRAM, "-1001234567890")
    await asyncio.gather(*(world.messenger.send(group, Reply(f"G{n}")) for n in range(22)))
    sent = _sent_at(world)
    assert len(sent) == 22
    assert all(sum(1 for t in sent if start <= t < start + 60) <= 20 for start in sent)
    assert sent[20] == pytest.approx(60.0)


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
    # The pause was over before Ben's message: it waits only the overall spacing.
    assert world.time.now - started == pytest.approx(GAP)


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
