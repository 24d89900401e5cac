"""The test fakes' own behaviour: clock, recording messenger, write-side store isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import Conflict
from core.model import ChatPlatform, ChatRef, Identity, MessageRef, Post, Tier
from core.replies import Reply
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.fakes.messenger import RecordingMessenger

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(START)
    assert clock.now() == clock.now() == START
    assert clock.advance(timedelta(minutes=90)) == START + timedelta(minutes=90)
    assert clock.now() == START + timedelta(minutes=90)
    berlin = timezone(timedelta(hours=1))
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=berlin))
    assert clock.now() == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2026, 11, 24, 10, 0))
    clock = FixedClock(START)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 11, 24, 11, 0))
    assert clock.now() == START


async def test_recording_messenger_numbers_messages_and_records_edits() -> None:
    messenger = RecordingMessenger()
    chat = ChatRef(ChatPlatform.TELEGRAM, "42")
    other = ChatRef(ChatPlatform.SLACK, "C1", "T1")
    first = await messenger.send(chat, Reply("one"))
    second = await messenger.send(other, Reply("two"))
    assert (first, second) == (MessageRef(chat, "1"), MessageRef(other, "2"))
    await messenger.edit(first, Reply("one, edited"))
    assert messenger.sent == [(chat, Reply("one"), first), (other, Reply("two"), second)]
    assert messenger.edits == [(first, Reply("one, edited"))]
    assert messenger.last(first) == Reply("one, edited")
    assert messenger.last(second) == Reply("two")
    assert messenger.last(MessageRef(chat, "99")) is None


async def test_units_share_one_store_and_count_commits() -> None:
    factory = InMemoryUnitOfWorkFactory()
    store = factory.store
    async with factory() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.CONSOLE, "me"),
            tier=Tier.FREE,
            timezone="UTC",
            display_name="",
            now=START,
        )
        assert store.profiles == {}
        await u.commit()
        assert u.committed
    assert list(store.profiles) == [profile.id]
    assert store.commits == 1
    # Another factory over the same store sees the commit; a new factory starts empty (a
    # shared default store would leak one test's rows into the next).
    async with InMemoryUnitOfWorkFactory(store)() as same:
        assert await same.profiles.get(profile.id) is not None
    async with InMemoryUnitOfWorkFactory()() as fresh:
        assert await fresh.profiles.get(profile.id) is None
        assert await fresh.profiles.by_identity(Identity(ChatPlatform.CONSOLE, "me")) is None


async def test_a_racing_identity_loses_at_commit() -> None:
    factory = InMemoryUnitOfWorkFactory()
    me = Identity(ChatPlatform.TELEGRAM, "7")
    first, second = factory(), factory()
    async with first, second:
        a = await first.profiles.create(
            me, tier=Tier.FREE, timezone="UTC", display_name="", now=START
        )
        await second.profiles.create(
            me, tier=Tier.FREE, timezone="UTC", display_name="", now=START
        )
        await first.commit()
        with pytest.raises(Conflict, match="already has a profile"):
            await second.commit()
    async with factory() as u:
        found = await u.profiles.by_identity(me)
    assert found is not None and found.id == a.id


async def test_naive_datetimes_are_refused_like_the_database_does() -> None:
    factory = InMemoryUnitOfWorkFactory()
    async with factory() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.CONSOLE, "me"),
            tier=Tier.FREE,
            timezone="UTC",
            display_name="",
            now=START,
        )
        naive = Post(
            0, profile.id, "t", (), datetime(2026, 1, 1), ChatRef(ChatPlatform.CONSOLE, "c")
        )
        with pytest.raises(ValueError, match="naive"):
            await u.posts.add(naive)
