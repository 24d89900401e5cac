"""Queue slots across real clock changes (Europe/Berlin, America/New_York), with the fake
clock: a skipped time falls at the first minute after the jump, a repeated one at its first
occurrence, and the other weeks keep the slot's time."""

from __future__ import annotations

from datetime import UTC, datetime

from core.model import Network, Post
from core.states import PostState
from tests.core.harness import Harness

FB = Network.FACEBOOK


async def get(h: Harness, post_id: int) -> Post:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


async def setup(h: Harness, now: datetime, tz: str, *slots: str) -> None:
    h.clock.set(now)
    await h.connect(FB)
    await h.say(f"/timezone {tz}")
    for slot in slots:
        assert (await h.say(f"/slots add {slot}")).text.startswith("Added")


async def queue(h: Harness, text: str) -> str:
    composer = await h.say(f"/post {text}")
    return (await h.tap(composer, "Add to queue")).text


async def test_berlin_spring_forward_gap_takes_the_first_minute_after_it(h: Harness) -> None:
    # Sunday 28 March 2027: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
    await setup(h, datetime(2027, 3, 22, 10, 0, tzinfo=UTC), "Europe/Berlin", "sun 02:30")
    shown = await h.say("/slots")
    assert "• Sun 02:30 — next Sun 28 Mar 03:00 (the clocks skip 02:30 that day" in shown.text
    first = await queue(h, "Gap day")
    assert first.startswith("🗓 Added to the queue: slot Sun 02:30 (the clocks skip 02:30")
    assert "Scheduled for Sun 28 Mar 2027, 03:00 (Europe/Berlin)" in first
    assert (await get(h, 1)).scheduled_at == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    second = await queue(h, "Next week")
    assert "Sun 4 Apr 2027, 02:30 (Europe/Berlin)" in second
    assert (await get(h, 2)).scheduled_at == datetime(2027, 4, 4, 0, 30, tzinfo=UTC)
    h.clock.set(datetime(2027, 3, 28, 1, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 1)).state is PostState.PUBLISHED
    assert (await get(h, 2)).state is PostState.SCHEDULED


async def test_berlin_fall_back_takes_the_first_of_the_repeated_time(h: Harness) -> None:
    # Sunday 31 October 2027: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    await setup(h, datetime(2027, 10, 25, 10, 0, tzinfo=UTC), "Europe/Berlin", "sun 02:30")
    shown = await h.say("/slots")
    assert "• Sun 02:30 — next Sun 31 Oct 02:30 (02:30 happens twice that day: the first" in (
        shown.text
    )
    await queue(h, "Twice")
    assert (await get(h, 1)).scheduled_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # CEST
    await queue(h, "After")
    assert (await get(h, 2)).scheduled_at == datetime(2027, 11, 7, 1, 30, tzinfo=UTC)  # CET


async def test_new_york_gap_two_slots_on_one_minute_and_the_next_week(h: Harness) -> None:
    # Sunday 14 March 2027: 02:00 EST jumps to 03:00 EDT. 02:30 falls at 03:00 that day, the
    # same minute as the 03:00 slot: one post sits there, the next goes a week on.
    await setup(
        h,
        datetime(2027, 3, 10, 12, 0, tzinfo=UTC),
        "America/New_York",
        "sun 02:30",
        "sun 03:00",
    )
    await queue(h, "One")
    assert (await get(h, 1)).scheduled_at == datetime(2027, 3, 14, 7, 0, tzinfo=UTC)
    await queue(h, "Two")
    assert (await get(h, 2)).scheduled_at == datetime(2027, 3, 21, 6, 30, tzinfo=UTC)  # EDT
    await queue(h, "Three")
    assert (await get(h, 3)).scheduled_at == datetime(2027, 3, 21, 7, 0, tzinfo=UTC)
    listed = await h.say("/queue")
    assert "1. Sun 14 Mar 03:00 · #1" in listed.text and "2. Sun 21 Mar 02:30 · #2" in listed.text


async def test_new_york_fall_back_publishes_once_at_the_first_occurrence(h: Harness) -> None:
    # Sunday 7 November 2027: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice.
    await setup(h, datetime(2027, 11, 1, 12, 0, tzinfo=UTC), "America/New_York", "sun 01:30")
    await queue(h, "Once")
    await queue(h, "Week after")
    assert (await get(h, 1)).scheduled_at == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # EDT
    assert (await get(h, 2)).scheduled_at == datetime(2027, 11, 14, 6, 30, tzinfo=UTC)  # EST
    h.clock.set(datetime(2027, 11, 7, 5, 30, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 1)).state is PostState.PUBLISHED
    h.clock.set(datetime(2027, 11, 7, 6, 30, tzinfo=UTC))  # the second 01:30: nothing more
    await h.pipeline.run_until_idle()
    assert (await get(h, 2)).state is PostState.SCHEDULED


async def test_a_whole_skipped_day_moves_the_slot_to_the_next_valid_minute(h: Harness) -> None:
    # Samoa skipped Friday 30 December 2011 (from Thursday 23:59 -10:00 to Saturday 00:00
    # +14:00): a Friday slot that week falls at the first minute that existed after it.
    await setup(h, datetime(2011, 12, 26, 0, 0, tzinfo=UTC), "Pacific/Apia", "fri 09:00")
    await queue(h, "Skipped day")
    assert (await get(h, 1)).scheduled_at == datetime(2011, 12, 30, 10, 0, tzinfo=UTC)
    await queue(h, "A week on")
    assert (await get(h, 2)).scheduled_at == datetime(2012, 1, 5, 19, 0, tzinfo=UTC)
