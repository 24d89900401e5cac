"""Digests in Slack end to end: `/postroom digest here` subscribes a channel, the runner sends
it at the subscriber's local time, the 7-day chart shared with the upload v2 flow (the bytes
arrive at the fake); no data means a plain message; a 429 on the upload is waited out; the
digest's button answers only its owner; a wave keeps each channel's pace."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from adapters.slack.app import IN_THIS_CHANNEL
from core.metrics import DailyTotal, Metric
from core.model import ChatPlatform, Identity, Network
from tests.fakes.slack_api import TEAM, SlackPace
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL, User

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 09:00 in New York on Tuesday 24 Nov 2026 (EST, UTC−5); the suite's clock starts at 10:00 UTC.
DUE = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
NOT_YOURS = "Only the author can do that."


async def subscribe(
    system: System, channel: str = CHANNEL, *, user: User = ANA, word: str = "here"
) -> None:
    await system.slack.command("timezone America/New_York", user=user, channel=channel)
    await system.slack.command(f"digest {word}", user=user, channel=channel)
    assert "📬" in system.slack.last_answer(), system.slack.last_answer()


async def seed_views(system: System, user: User = ANA) -> None:
    """A week of TikTok totals for the user's profile: the digest has a chart to draw."""
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, user.id, TEAM))
        assert profile is not None
        totals = [
            DailyTotal(
                profile.id,
                date(2026, 11, 16) + timedelta(days=i),
                Network.TIKTOK,
                "",
                1,
                {Metric.VIEWS: 1000 * (i + 1)},
            )
            for i in range(8)
        ]
        await uow.analytics.save_daily(totals, updated_at=DUE - timedelta(days=1))
        await uow.commit()


async def run_digests(system: System, at: datetime) -> int:
    assert system.services.analytics is not None
    system.services.clock.set(at)  # type: ignore[attr-defined]
    report = await system.services.analytics.runner.tick()
    return report.sent


async def test_a_channel_gets_its_digest_at_local_time_with_the_chart_uploaded(
    system: System,
) -> None:
    fake = system.fake
    await subscribe(system)
    await seed_views(system)
    assert await run_digests(system, DUE - timedelta(minutes=1)) == 0  # 08:59 in New York
    assert fake.in_channel(CHANNEL) == []

    assert await run_digests(system, DUE) == 1
    (digest,) = fake.in_channel(CHANNEL)
    assert digest.shown.startswith("📊 Daily digest · ")
    assert "*Views*\n1,000" in digest.shown, digest.shown  # what Monday 23 Nov added
    assert len(digest.text) <= 3000 and len(digest.blocks) <= 50
    # The chart: the three calls of files_upload_v2, the PNG's bytes at the upload URL.
    methods = [c.method for c in fake.calls]
    assert "files.upload" not in methods
    start = methods.index("files.getUploadURLExternal")
    assert methods[start : start + 3] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    (shared,) = fake.shared
    assert shared.channel == CHANNEL
    assert shared.data.startswith(PNG_SIGNATURE)
    (asked,) = fake.called("files.getUploadURLExternal")
    assert int(asked.args["length"]) == len(shared.data)
    assert shared.title == "Last 7 days" and shared.alt_txt.startswith("📊 Daily digest")
    assert await run_digests(system, DUE + timedelta(minutes=5)) == 0  # once a day


async def test_a_digest_without_numbers_is_a_plain_message(system: System) -> None:
    fake = system.fake
    await subscribe(system)
    assert await run_digests(system, DUE) == 1
    (digest,) = fake.in_channel(CHANNEL)
    assert "No numbers for this period yet" in digest.shown
    assert fake.shared == [] and fake.called("files.getUploadURLExternal") == []


async def test_a_429_on_the_upload_is_waited_out(system: System) -> None:
    fake = system.fake
    await subscribe(system)
    await seed_views(system)
    fake.upload_rate_limit_next = 1
    assert await run_digests(system, DUE) == 1
    assert [c.method for c in fake.calls].count("upload") == 2  # refused once, then taken
    assert 2.0 in system.time.slept  # Retry-After: 2, on the injected clock
    (shared,) = fake.shared
    assert shared.data.startswith(PNG_SIGNATURE)
    assert len(fake.in_channel(CHANNEL)) == 1  # the text was not sent again


async def test_the_digest_button_answers_only_its_owner(system: System) -> None:
    slack, fake = system.slack, system.fake
    await subscribe(system, channel=ANA.dm)  # her DM: the digest is private, with a button
    assert await run_digests(system, DUE) == 1
    (digest,) = fake.in_channel(ANA.dm)
    assert [b["text"]["text"] for b in digest.buttons] == ["📈 Last 7 days"]
    before = len(fake.calls)
    await slack.tap(digest, "Last 7 days", user=BEN)
    assert slack.last_answer() == NOT_YOURS
    assert digest.edits == 0 and fake.in_channel(ANA.dm) == [digest]
    assert [c.method for c in fake.calls[before:]] == []  # nothing posted or changed
    await slack.tap(digest, "Last 7 days")
    assert "Last 7 days" in slack.last_answer()


async def test_a_digest_wave_keeps_each_channels_pace(system: System) -> None:
    fake = system.fake
    channels = [f"C0TEAM{i}" for i in range(3)]
    for user in (ANA, BEN):
        for channel in channels:
            await subscribe(system, channel, user=user, word="on")
        await seed_views(system, user)
    # Slack's pace on the fake, on the bot's virtual clock: a post over it gets a 429.
    fake.pace = SlackPace(interval=1.0, burst=3, clock=system.time.clock)
    # Two digests with a chart each: four posts per channel, one more than the burst.
    assert await run_digests(system, DUE) == 2 * len(channels)
    assert fake.limited == 0 and fake.pace.refused == 0
    for channel in channels:
        assert len(fake.in_channel(channel)) == 2
        assert [s.channel for s in fake.shared].count(channel) == 2
    # A fourth post waited for its channel's slot (the virtual clock is shared, so one wait
    # also moved the others' time on).
    assert system.time.slept and set(system.time.slept) == {1.0}


async def test_digest_now_in_a_channel_is_posted_there_with_its_chart(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("timezone America/New_York")
    await seed_views(system)
    system.services.clock.set(DUE)  # type: ignore[attr-defined]
    await slack.command("digest now")
    (digest,) = fake.in_channel(CHANNEL)  # in the channel, as a scheduled digest is
    assert digest.shown.startswith("📊 Daily digest · ")
    assert "*Views*\n1,000" in digest.shown
    (shared,) = fake.shared
    assert shared.channel == CHANNEL and shared.data.startswith(PNG_SIGNATURE)
    assert "files.upload" not in [c.method for c in fake.calls]
    assert slack.last_answer() == IN_THIS_CHANNEL  # the requester is told, ephemerally

    # Without numbers: the plain digest goes to the channel too, with no chart.
    await slack.command("digest now", user=BEN)
    assert "No numbers for this period yet" in fake.last(CHANNEL).shown
    assert len(fake.shared) == 1


async def test_digest_now_where_the_bot_is_not_a_member_is_shown_to_the_requester(
    system: System,
) -> None:
    slack, fake = system.slack, system.fake
    fake.members = set()
    await slack.command("digest now")
    answers = list(fake.answers())
    assert answers[-2].startswith("📊 Daily digest")  # ephemeral: the text, no chart
    assert answers[-1].startswith("I can't post in this channel yet")
    assert fake.in_channel(CHANNEL) == [] and fake.shared == []


async def test_a_mistyped_digest_now_is_refused_to_the_requester_alone(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("digest nowish")
    assert slack.last_answer().startswith("I don't know /postroom digest nowish.")
    await slack.command("digest now " + "x" * 80_000)  # oversize
    assert slack.last_answer().startswith("That message is 80,012 characters")
    assert fake.in_channel(CHANNEL) == [] and fake.shared == []


async def test_digest_now_in_the_dm_arrives_there_without_a_notice(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("digest now", channel=ANA.dm)
    assert fake.last(ANA.dm).shown.startswith("📊 Daily digest")
    assert IN_THIS_CHANNEL not in list(fake.answers())


async def test_a_digest_the_channel_refuses_is_paused_and_its_subscriber_told_once(
    system: System,
) -> None:
    fake = system.fake
    await subscribe(system)
    await seed_views(system)
    fake.members = {ANA.dm}  # the bot was removed from the channel
    assert await run_digests(system, DUE) == 0
    told = [m for m in fake.in_channel(ANA.dm) if "couldn't post your digest" in m.shown]
    assert len(told) == 1 and "/invite @Postroom" in told[0].shown
    assert "/postroom digest here" in told[0].shown
    # Paused: the next days send nothing and say nothing more.
    for days in (1, 2):
        assert await run_digests(system, DUE + timedelta(days=days)) == 0
    told = [m for m in fake.in_channel(ANA.dm) if "couldn't post your digest" in m.shown]
    assert len(told) == 1
    assert fake.in_channel(CHANNEL) == []
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, ANA.id, TEAM))
        assert profile is not None
        assert [s.enabled for s in await uow.digests.for_profile(profile.id)] == [False]


async def test_digest_here_in_a_channel_without_the_bot_is_refused_and_nothing_changes(
    system: System,
) -> None:
    slack, fake = system.slack, system.fake
    await subscribe(system, ANA.dm)  # a digest in her DM so far
    fake.members = {ANA.dm}
    for word in ("here", "on", "HERE  please"):
        await slack.command(f"digest {word}")
        answer = slack.last_answer()
        assert answer.startswith("I'm not in this channel") and "/invite @Postroom" in answer
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, ANA.id, TEAM))
        assert profile is not None
        subs = await uow.digests.for_profile(profile.id)
    assert [(s.chat.chat, s.enabled) for s in subs] == [(ANA.dm, True)]  # "here" stopped none
    fake.members = None  # invited: the check passes and the channel is subscribed
    await subscribe(system)
    assert fake.ephemerals[-1]["text"].startswith("📬 Setting up the digest")
