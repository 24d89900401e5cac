"""The Slack messenger against the fake Web API: paced per channel, 429s waited out."""

from __future__ import annotations

from adapters.slack.messenger import SlackMessenger, chat_ref
from core.model import ChatKind, ChatPlatform, MessageRef
from core.replies import Reply
from tests.fakes.slack_api import TEAM, SlackPace
from tests.slack.conftest import System


def messenger(system: System) -> SlackMessenger:
    found = system.services.messengers[ChatPlatform.SLACK]
    assert isinstance(found, SlackMessenger)
    return found


async def test_a_429_is_waited_out_for_its_retry_after_and_sent_once(system: System) -> None:
    fake, slack = system.fake, messenger(system)
    fake.rate_limit_next = 1
    ref = await slack.send(chat_ref(TEAM, "C0NEWS"), Reply("Digest"))
    assert [c.method for c in fake.calls][-2:] == ["chat.postMessage", "chat.postMessage"]
    assert system.time.slept == [2.0]  # the fake's Retry-After, on virtual time
    assert [m.shown for m in fake.in_channel("C0NEWS")] == ["Digest"]
    assert ref.chat.chat == "C0NEWS" and ref.message_id == fake.last("C0NEWS").ts


async def test_posts_are_paced_per_channel_with_a_short_burst(system: System) -> None:
    slack = messenger(system)
    for n in range(5):
        await slack.send(chat_ref(TEAM, "C0BUSY"), Reply(f"message {n}"))
    assert system.time.slept == [1.0, 1.0]  # three at once, then one a second
    await slack.send(chat_ref(TEAM, "C0QUIET"), Reply("elsewhere"))
    assert system.time.slept == [1.0, 1.0]  # another channel does not wait behind it
    last = system.fake.last("C0BUSY")
    await slack.edit(MessageRef(chat_ref(TEAM, "C0BUSY"), last.ts), Reply("edited"))
    assert last.shown == "edited" and system.time.slept == [1.0, 1.0]  # edits are not paced


def test_a_dm_is_private_and_a_channel_is_shared() -> None:
    assert chat_ref(TEAM, "D0ANA").kind is ChatKind.PRIVATE
    assert chat_ref(TEAM, "C0GENERAL").kind is ChatKind.SHARED
    assert chat_ref(TEAM, "G0OLDPRIVATE").kind is ChatKind.SHARED
    assert chat_ref(TEAM, "C0GENERAL").workspace == TEAM


async def test_a_post_that_went_out_late_moves_its_channels_pace_on(system: System) -> None:
    fake, slack, time = system.fake, messenger(system), system.time
    fake.pace = SlackPace(interval=1.0, burst=3, clock=time.clock)
    late = [2.0]  # the first post reaches Slack 2 s after it was sent, the others at once

    def arriving(method: str) -> None:
        if method == "chat.postMessage" and late:
            time.now += late.pop()

    fake.arriving = arriving
    for n in range(4):
        await slack.send(chat_ref(TEAM, "C0SLOW"), Reply(f"message {n}"))
    # Slack counted the first post late, so the three after it came within its burst: the
    # fourth waited a second instead of getting a 429.
    assert fake.limited == 0 and time.slept == [1.0]
    assert [m.shown for m in fake.in_channel("C0SLOW")] == [f"message {n}" for n in range(4)]
