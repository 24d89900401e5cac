"""Connection warnings: 7 days before a Pro link ends and at once when one breaks, one message
with a Reconnect button, never twice a day, once across workers and restarts (SQL, both DBs)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.lifecycle import ConnectionLifecycle
from core.model import ChatKind, ChatPlatform, ChatRef, ConnectionStatus, MessageRef, Network
from core.policy import Policy
from core.replies import Reply
from tests.core.harness import find_button
from tests.core.pro_world import ProWorld, pro_world

LI = Network.LINKEDIN
ANA = ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE)


@pytest.fixture
async def w(uow_factory: SqlUnitOfWorkFactory) -> AsyncIterator[ProWorld]:
    async with pro_world(uow_factory) as world:
        yield world


def lifecycle(w: ProWorld) -> ConnectionLifecycle:
    """A worker's lifecycle (each call: another worker, or the same one after a restart)."""
    return ConnectionLifecycle(
        w.h.uow,
        w.h.publishers,
        Policy.default(),
        {ChatPlatform.CONSOLE: w.h.messenger},
        w.h.clock,
    )


def warnings(w: ProWorld) -> list[Reply]:
    return [r for _, r, _ in w.h.messenger.sent if "Reconnect" in str(r.buttons)]


async def linked(w: ProWorld, **details: object) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li", **details)


async def test_a_link_ending_in_5_days_warns_once_with_a_reconnect_button(w: ProWorld) -> None:
    await linked(w, refreshDaysRemaining=5)
    assert await lifecycle(w).tick() == 1  # the scheduled check reads it and warns
    [warning] = warnings(w)
    [(chat, _, _)] = [s for s in w.h.messenger.sent if s[1] is warning]
    assert chat == ANA  # the owner's private chat
    assert warning.text.startswith("⏳ Your LinkedIn connection ends in 5 days (")
    assert find_button(warning, "Reconnect LinkedIn").seal  # sealed to the owner

    assert await lifecycle(w).tick() == 0  # the same minute, another worker
    w.h.clock.advance(timedelta(hours=13))  # read again (12 h), later the same day
    assert await lifecycle(w).tick() == 0
    w.h.clock.advance(timedelta(days=1))  # the next day: still the same ending
    assert await lifecycle(w).tick() == 0
    assert len(warnings(w)) == 1

    # Renewed for 60 days: nothing owed until it is near its end again.
    await linked(w, refreshDaysRemaining=60)
    w.h.clock.advance(timedelta(hours=12))
    assert await lifecycle(w).tick() == 0
    w.h.clock.advance(timedelta(days=54))
    await linked(w, refreshDaysRemaining=6)
    assert await lifecycle(w).tick() == 1
    assert len(warnings(w)) == 2


async def test_two_workers_at_once_send_one_warning(w: ProWorld) -> None:
    await linked(w, refreshDaysRemaining=3)
    sent = await asyncio.gather(lifecycle(w).tick(), lifecycle(w).tick())
    assert sorted(sent) == [0, 1]
    assert len(warnings(w)) == 1


async def test_a_break_warns_at_once_and_once_per_break(w: ProWorld) -> None:
    await linked(w)
    await w.h.say("/status")
    user = await w.user()
    w.fake.unlink(user.profile_key, "linkedin")  # LinkedIn revoked it
    await w.h.say("/status")  # seen broken here first
    assert await lifecycle(w).tick() == 1  # the next pass warns, before any post fails
    [warning] = warnings(w)
    assert warning.text.startswith("⚠️ LinkedIn is disconnected")
    assert await lifecycle(w).tick() == 0

    # Reconnected, then broken again the same day: not a second warning that day.
    w.h.clock.advance(timedelta(minutes=30))
    await linked(w)
    await w.h.say("/status")
    w.h.clock.advance(timedelta(minutes=30))
    w.fake.unlink(user.profile_key, "linkedin")
    await w.h.say("/status")
    assert await lifecycle(w).tick() == 0
    w.h.clock.advance(timedelta(days=1))
    assert await lifecycle(w).tick() == 1  # that break, now on a new day
    w.h.clock.advance(timedelta(days=3))
    assert await lifecycle(w).tick() == 0  # still the same break: not repeated
    assert len(warnings(w)) == 2


async def test_a_warning_that_could_not_be_sent_is_sent_later(w: ProWorld) -> None:
    await linked(w, refreshDaysRemaining=2)
    broken = lifecycle(w)
    broken._messengers = {}  # this worker has no chat to send with
    assert await broken.tick() == 0
    w.h.messenger.sent.clear()

    class Down:
        async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
            raise ConnectionError("chat platform down")

        async def edit(self, message: MessageRef, reply: Reply) -> None:
            raise ConnectionError("chat platform down")

    failing = lifecycle(w)
    failing._messengers = {ChatPlatform.CONSOLE: Down()}
    assert await failing.tick() == 0
    assert await lifecycle(w).tick() == 1  # the failed claim was handed back
    assert len(warnings(w)) == 1


async def _warned(w: ProWorld) -> Reply:
    await linked(w, refreshDaysRemaining=5)
    await lifecycle(w).tick()
    [warning] = warnings(w)
    return warning


async def test_reconnect_gives_a_fresh_link_for_that_network(w: ProWorld) -> None:
    warning = await _warned(w)
    answer = await w.h.tap(warning, "Reconnect LinkedIn")
    assert answer.text == "Open LinkedIn to reconnect it (the link lasts 5 minutes)."
    assert answer.edit  # the warning becomes the link
    url = find_button(answer, "LinkedIn ↗").url
    assert url is not None and url.startswith("https://profile.ayrshare.com")
    token = parse_qs(urlsplit(url).query)["jwt"][0]
    assert w.fake.jwts[token]["allowedSocial"] == ["linkedin"]

    # Tapped again (the old message, a double tap): another fresh link, nothing else.
    again = await w.h.app.handle_tap(
        w.h.actor(), find_button(warning, "Reconnect").callback_data, w.h.message_of(warning)
    )
    assert again.text == answer.text and find_button(again, "LinkedIn ↗").url != url
    connection = await w.connection(LI)
    assert connection is not None and connection.status is ConnectionStatus.CONNECTED


async def test_reconnect_refuses_foreign_stale_and_group_taps(w: ProWorld) -> None:
    warning = await _warned(w)
    data = find_button(warning, "Reconnect").callback_data
    message = w.h.message_of(warning)
    links = len(w.fake.jwts)  # /connect's, when the Ayrshare profile was made
    foreign = await w.h.app.handle_tap(w.h.actor("bo"), data, message)
    assert foreign.toast == "Only the author can do that."
    assert len(w.fake.jwts) == links

    group = ChatRef(ChatPlatform.CONSOLE, "-100", kind=ChatKind.SHARED)
    actor = w.h.actor()
    in_group = await w.h.app.handle_tap(type(actor)(actor.identity, group, "ana"), data, message)
    assert in_group.toast == "Reconnect your networks in a private chat with me."

    # Renewed meanwhile: the warning's button is stale.
    await linked(w, refreshDaysRemaining=60)
    await w.h.say("/status")
    stale = await w.h.tap(warning, "Reconnect")
    assert stale.toast == "LinkedIn is connected again; there is nothing to renew."
    # Disconnected meanwhile.
    await w.h.tap(await w.h.say("/disconnect linkedin"), "Yes, disconnect")
    gone = await w.h.tap(warning, "Reconnect")
    assert gone.toast == "LinkedIn is no longer connected. Send /connect to link it again."
    assert len(w.fake.jwts) == links  # no refused tap made a link

    forged = data.replace("rc:linkedin", "rc:myspace")
    unknown = await w.h.app.handle_tap(w.h.actor(), forged, message)
    assert unknown.toast == "I don't know the network 'myspace'."
