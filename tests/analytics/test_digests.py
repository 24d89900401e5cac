"""Digests: what they say on known numbers, within Telegram's and Slack's limits with and
without data, once per chat and day across two workers and a crash, late after downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, fits
from core.actions import Action
from core.analytics.engagement import Engagement
from core.digest_schedule import DigestSubscription
from core.digests.facts import DigestFacts
from core.digests.render import CAPTION_BUDGET, plain_size, render_digest
from core.metrics import AnalyticsItem, DailyTotal, ItemKind, Metric, PublishCounts
from core.model import ChatPlatform, ChatRef, MessageRef, Network
from core.ports import UnitOfWorkFactory
from core.replies import Reply
from tests.analytics.support import (
    PNG,
    START,
    FakeCharts,
    fields,
    make_chat,
    make_env,
    make_profile,
    publish,
)

TODAY = START.date()  # Tue 24 Nov 2026; the digest reports on Mon 23 Nov
V, L, C = Metric.VIEWS, Metric.LIKES, Metric.COMMENTS

# Slack Block Kit (https://api.slack.com/reference/block-kit/blocks#section, and
# docs/limits-by-platform.md#slack): one section for the text, one with the fields
# (at most 10, each at most 2000 characters), the chart as an image block, one actions block.
SLACK_SECTION_TEXT = 3000
SLACK_FIELDS = 10
SLACK_FIELD_TEXT = 2000
SLACK_BLOCKS = 50


def slack_fits(reply: Reply) -> bool:
    blocks = 1 + (1 if reply.fields else 0) + (1 if reply.image else 0) + len(reply.buttons)
    return (
        len(reply.text) <= SLACK_SECTION_TEXT
        and len(reply.fields) <= SLACK_FIELDS
        and all(len(f"*{f.label}*\n{f.value}") <= SLACK_FIELD_TEXT for f in reply.fields)
        and blocks <= SLACK_BLOCKS
        and plain_size(reply) <= SLACK_SECTION_TEXT
    )


def facts(**changes: object) -> DigestFacts:
    base: dict[str, object] = {
        "profile_name": "Ana's bakery",
        "day": TODAY,
        "weekly": False,
        "named": False,
        "views": (None, None),
        "rate": (None, None),
        "followers": (None, None),
        "top": None,
        "outcomes": PublishCounts(),
    }
    base.update(changes)
    return DigestFacts(**base)  # type: ignore[arg-type]


def test_a_digest_without_data_says_so_and_fits_everywhere() -> None:
    reply = render_digest(facts(), None, private=True)
    assert "No numbers for this period yet" in reply.text
    assert fields(reply)["Views"] == "n/a  n/a"
    assert fields(reply)["Top post"] == "n/a"
    assert fits(reply, TEXT_LIMIT) and slack_fits(reply)
    with_chart = render_digest(facts(), PNG, private=True)
    assert fits(with_chart, CAPTION_LIMIT)


def test_a_digest_at_its_longest_still_fits_a_photo_caption() -> None:
    long = "Ünïcødé 🚀 " * 400
    item = AnalyticsItem(
        1, 1, Network.TIKTOK, ItemKind.PUBLISHED, START, title=long, url="https://t.co/x"
    )
    item.metrics[V] = 10**12
    worst = facts(
        profile_name=long,
        named=True,
        weekly=True,
        views=(10**12, 1),
        rate=(Engagement(10**12, 2 * 10**12, 6, 6), Engagement(1, 10**4, 1, 6)),
        followers=(10**11, 10**10),
        top=(item, 10**12),
        outcomes=PublishCounts(
            tuple((k, n) for k in range(1000) for n in Network),
            tuple((k, n, f"{long} {k}") for k in range(50) for n in Network),
        ),
        attention=tuple(f"{n.label} {long}" for n in Network),
        late_for=START,
        reconnect=True,
        connections=tuple(f"{n.label}: connected, 59 days left" for n in Network),
    )
    reply = render_digest(worst, PNG, private=True)
    assert plain_size(reply) <= CAPTION_BUDGET
    assert fits(reply, CAPTION_LIMIT) and slack_fits(reply)
    # The attention lines survive, clipped, however long the names in them are.
    warnings = [f.value for f in reply.fields if f.label == "⚠️"]
    assert warnings and all(w.endswith("…") and len(w) <= 120 for w in warnings)


@settings(max_examples=60, deadline=None)
@given(
    name=st.text(max_size=300),
    reasons=st.lists(st.text(max_size=500), max_size=8),
    attention=st.lists(st.text(max_size=400), max_size=10),
    numbers=st.tuples(*(st.one_of(st.none(), st.integers(0, 10**15)) for _ in range(4))),
    connections=st.lists(st.text(max_size=80), max_size=6),
)
def test_any_digest_fits_telegram_captions_and_slack_blocks(
    name: str,
    reasons: list[str],
    attention: list[str],
    numbers: tuple[int | None, ...],
    connections: list[str],
) -> None:
    digest = facts(
        profile_name=name,
        named=True,
        views=numbers[:2],
        followers=numbers[2:],
        outcomes=PublishCounts(
            tuple((k, Network.X) for k in range(len(reasons))),
            tuple((k, Network.X, r) for k, r in enumerate(reasons)),
        ),
        attention=tuple(attention),
        connections=tuple(connections),
    )
    for private in (True, False):
        reply = render_digest(digest, PNG, private=private)
        assert fits(reply, CAPTION_LIMIT), plain_size(reply)
        assert slack_fits(reply)


# --- content on known numbers ---------------------------------------------------------------


async def seed_known(store: UnitOfWorkFactory) -> int:
    """Three days of totals and followers, two measured posts, one failure yesterday."""
    profile = await make_profile(store, broken=[Network.INSTAGRAM])
    yesterday = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    await publish(store, profile, [Network.TIKTOK], at=yesterday, text="Behind the scenes")
    await publish(
        store,
        profile,
        [Network.TIKTOK],
        at=yesterday - timedelta(days=3),
        text="Old post",
        provider_post_id="b",
        failed={Network.LINKEDIN: "the image could not be processed"},
    )
    await publish(
        store,
        profile,
        [],
        at=yesterday + timedelta(hours=2),
        failed={Network.X: "duplicate content"},
        provider_post_id="c",
    )
    async with store() as u:
        assert await u.analytics.adopt_published(START, limit=10) == 2
        items = {i.title: i for i in await u.analytics.items(profile.id)}
        old, fresh = items["Old post"], items["Behind the scenes"]
        day = timedelta(days=1)
        # The old post: 3,000 views by Sunday's end, 3,300 by Monday's.
        await u.analytics.record(old.id, {V: 3000}, taken_at=START - day - day, next_sync_at=None)
        await u.analytics.record(
            old.id, {V: 3300}, taken_at=START - day + timedelta(hours=13), next_sync_at=None
        )
        await u.analytics.record(
            fresh.id, {V: 900, L: 50}, taken_at=START - timedelta(hours=11), next_sync_at=None
        )
        totals = {
            date(2026, 11, 21): {V: 1000, L: 40, C: 10},
            date(2026, 11, 22): {V: 2000, L: 100, C: 10},
            date(2026, 11, 23): {V: 3200, L: 150, C: 10},
        }
        await u.analytics.save_daily(
            [DailyTotal(profile.id, d, Network.TIKTOK, "", 2, v) for d, v in totals.items()],
            updated_at=START,
        )
        for d, followers in ((date(2026, 11, 22), 8838), (date(2026, 11, 23), 8902)):
            await u.analytics.record_account(
                profile.id,
                Network.TIKTOK,
                d,
                {"followers": followers},
                taken_at=START,  # type: ignore[dict-item]
            )
        await u.commit()
    return profile.id


async def test_digest_content_on_known_numbers(store: UnitOfWorkFactory) -> None:
    profile_id = await seed_known(store)
    charts = FakeCharts()
    env = make_env(store, {}, charts=charts)
    async with store() as u:
        profile = await u.profiles.get(profile_id)
    assert profile is not None
    reply = await env.composer.compose(profile, TODAY, weekly=False, named=False, private=True)
    assert reply.text.splitlines()[:2] == [
        "📊 Daily digest",
        "Yesterday (Mon 23 Nov) vs the day before",
    ]
    shown = fields(reply)
    assert shown["Views"] == "1,200  ▲ 20%"  # 3,200 − 2,000 against 2,000 − 1,000
    # 50/1,200 against 60/1,000, shown with the totals it is computed from
    assert shown["Engagement"] == "4.2% (50 ÷ 1,200 views)  ▼ 1.8 pt"
    assert shown["Followers"] == "8,902  ▲ 64"
    assert shown["Top post"] == "“Behind the scenes” on TikTok — 900 views"
    assert [f.url for f in reply.fields if f.label == "Top post"] == [
        "https://tiktok.example.com/p/1795446000"
    ]
    assert shown["Posts"] == (
        "1 post published (TikTok) · 1 post failed — duplicate content: X · /posts"
    )
    assert shown["⚠️"] == "Instagram needs reconnecting — /connect"
    assert [b.label for row in reply.buttons for b in row] == ["📈 Last 7 days", "🔗 Reconnect"]
    assert reply.image == PNG
    [chart] = charts.drawn
    assert chart.days[-1] == date(2026, 11, 23)  # type: ignore[attr-defined]
    assert chart.lines[Network.TIKTOK][-2:] == (1000, 1200)  # type: ignore[attr-defined]


async def test_digest_shows_each_connection_with_days_left(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store, connected=(Network.LINKEDIN,), broken=(Network.X,))
    async with store() as u:
        stored = await u.profiles.get(profile.id)
        assert stored is not None
        stored.connections[Network.LINKEDIN].expires_at = START + timedelta(days=5)
        await u.profiles.save(stored)
        await u.commit()
    env = make_env(store, {})
    private = await env.composer.compose(stored, TODAY, weekly=False, named=False, private=True)
    assert fields(private)["Connections"] == (
        "LinkedIn: connected, 5 days left · X: broken — reconnect"
    )
    assert "🔗 Reconnect" in [b.label for row in private.buttons for b in row]
    # A group's digest shows the states too, but no account names and no buttons of the owner.
    shared = await env.composer.compose(stored, TODAY, weekly=False, named=True, private=False)
    assert fields(shared)["Connections"] == fields(private)["Connections"]
    assert "linkedin account" not in str(shared)

    # Expiring alone (nothing broken) offers the reconnect too.
    async with store() as u:
        fixed = await u.profiles.get(profile.id)
        assert fixed is not None
        del fixed.connections[Network.X]
        await u.profiles.save(fixed)
        await u.commit()
    alone = await env.composer.compose(fixed, TODAY, weekly=False, named=False, private=True)
    assert fields(alone)["Connections"] == "LinkedIn: connected, 5 days left"
    assert "🔗 Reconnect" in [b.label for row in alone.buttons for b in row]


# --- delivery -------------------------------------------------------------------------------


class FlakyMessenger:
    """Sends like RecordingMessenger; can hang (a crash mid-send) or fail some sends."""

    def __init__(self, *, hang_after: int | None = None, fail: int = 0) -> None:
        self.sent: list[tuple[ChatRef, Reply]] = []
        self.hang_after = hang_after
        self.fail = fail
        self.hanging = 0
        self.changed = asyncio.Event()

    async def until_hanging(self, count: int) -> None:
        while self.hanging < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout=30)

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("Telegram answered 502")
        if self.hang_after is not None and len(self.sent) >= self.hang_after:
            self.hanging += 1
            self.changed.set()
            await asyncio.Event().wait()  # never returns: the process dies here
        self.sent.append((chat, reply))
        return MessageRef(chat, str(len(self.sent)))

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        raise AssertionError("digests are never edits")


async def subscribe(
    store: UnitOfWorkFactory, profile_id: int, chats: int, first: int = 0, **kw: object
) -> None:
    tz = ZoneInfo("UTC")
    from core.digest_schedule import next_occurrence

    async with store() as u:
        for n in range(first, first + chats):
            sub = DigestSubscription(
                0,
                profile_id,
                ChatRef(ChatPlatform.CONSOLE, f"-100{n}"),
                created_at=START,
                **kw,  # type: ignore[arg-type]
            )
            sub.next_due_at = next_occurrence(START, sub.minute_of_day, sub.weekly, tz)
            await u.digests.save(sub)
        await u.commit()


async def until_sent(store: UnitOfWorkFactory, profile_id: int, count: int) -> None:
    """Wait (each look is a database round trip) until `count` digests are recorded sent."""
    for _ in range(10_000):
        async with store() as u:
            subs = await u.digests.for_profile(profile_id)
            statuses = [await u.digests.status(s.id, date(2026, 11, 25)) for s in subs]
        if statuses.count("sent") >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"only {statuses.count('sent')} sent")


def per_chat(*messengers: FlakyMessenger) -> dict[str, int]:
    counts: dict[str, int] = {}
    for messenger in messengers:
        for chat, _ in messenger.sent:
            counts[chat.chat] = counts.get(chat.chat, 0) + 1
    return counts


async def test_two_workers_send_each_digest_once(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 30)
    env = make_env(store, {})
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    a, b = FlakyMessenger(), FlakyMessenger()
    first, second = env.runner("w1", a), env.runner("w2", b)
    for _ in range(3):
        await asyncio.gather(first.tick(), second.tick())
    counts = per_chat(a, b)
    assert len(counts) == 30 and set(counts.values()) == {1}
    env.clock.advance(timedelta(hours=3))
    await asyncio.gather(first.tick(), second.tick())
    assert sum(per_chat(a, b).values()) == 30  # still once for the day
    env.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    await asyncio.gather(first.tick(), second.tick())
    assert set(per_chat(a, b).values()) == {2}  # the next day's digests


async def test_a_restart_in_the_middle_of_a_run_loses_none_and_repeats_none(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 25)
    env = make_env(store, {})
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    dying = FlakyMessenger(hang_after=10)
    run = asyncio.create_task(env.runner("w1", dying).tick())
    await dying.until_hanging(15)
    await until_sent(store, profile.id, 10)
    run.cancel()  # the worker dies with 10 digests sent and 15 claimed, in flight
    await asyncio.gather(run, return_exceptions=True)
    fresh = FlakyMessenger()
    successor = env.runner("w2", fresh)
    await successor.tick()
    assert fresh.sent == []  # the dead worker's leases still hold
    env.clock.advance(timedelta(minutes=6))  # the 5-minute lease ran out
    await successor.tick()
    counts = per_chat(dying, fresh)
    assert len(counts) == 25 and set(counts.values()) == {1}
    async with store() as u:
        statuses = {
            await u.digests.status(s.id, date(2026, 11, 25))
            for s in await u.digests.for_profile(profile.id)
        }
    assert statuses == {"sent"}


async def test_a_clean_stop_hands_claims_back_at_once(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 6)
    env = make_env(store, {})
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    stopping = FlakyMessenger(hang_after=2)
    first = env.runner("w1", stopping)
    run = asyncio.create_task(first.tick())
    await stopping.until_hanging(4)
    run.cancel()
    await asyncio.gather(run, return_exceptions=True)
    assert await first.release() == 4
    fresh = FlakyMessenger()
    await env.runner("w2", fresh).tick()  # no lease to wait for
    assert set(per_chat(stopping, fresh).values()) == {1} and len(fresh.sent) == 4


async def test_a_digest_missed_while_down_is_sent_late_once_with_its_date(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 1)
    env = make_env(store, {})
    messenger = FlakyMessenger()
    runner = env.runner("w1", messenger)
    # Down from Tue 08:00 until Thu 11:30: Wednesday's and Thursday's 09:00 passed.
    env.clock.set(datetime(2026, 11, 26, 11, 30, tzinfo=UTC))
    await runner.tick()
    await runner.tick()
    [(_, late)] = messenger.sent
    assert "Yesterday (Wed 25 Nov)" in late.text
    assert "⏰ Sent late: it was due Thu 26 Nov 09:00." in late.text
    env.clock.set(datetime(2026, 11, 27, 9, 0, 30, tzinfo=UTC))
    await runner.tick()
    assert len(messenger.sent) == 2 and "Sent late" not in messenger.sent[1][1].text


async def test_a_failed_send_is_retried_with_backoff_then_given_up(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 1)
    env = make_env(store, {})
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    messenger = FlakyMessenger(fail=1)
    runner = env.runner("w1", messenger)
    report = await runner.tick()
    assert report.failed == 1 and messenger.sent == []
    env.clock.advance(timedelta(minutes=1))
    await runner.tick()
    assert messenger.sent == []  # the retry waits its backoff (2 minutes)
    env.clock.advance(timedelta(minutes=2))
    await runner.tick()
    assert len(messenger.sent) == 1

    await subscribe(store, profile.id, 1, first=1)
    broken = FlakyMessenger(fail=100)
    runner = env.runner("w1", broken, max_attempts=2)
    env.clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    for _ in range(5):
        await runner.tick()
        env.clock.advance(timedelta(minutes=10))
    assert broken.fail == 100 - 2 * 2  # two chats, two attempts each, then given up
    async with store() as u:
        subs = await u.digests.for_profile(profile.id)
        statuses = [await u.digests.status(s.id, date(2026, 11, 26)) for s in subs]
    assert statuses == ["failed", "failed"]


async def test_weekly_digests_go_out_on_mondays_only(store: UnitOfWorkFactory) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 1, weekly=True)
    env = make_env(store, {})
    messenger = FlakyMessenger()
    runner = env.runner("w1", messenger)
    for day in range(8):  # Tue 24 Nov … Tue 1 Dec
        env.clock.set(datetime(2026, 11, 24, 9, 0, 5, tzinfo=UTC) + timedelta(days=day))
        await runner.tick()
    [(_, weekly)] = messenger.sent
    assert weekly.text.splitlines()[:2] == [
        "📊 Weekly digest · Ana's bakery",  # a group chat: it says whose digest it is
        "Last week (23 Nov – 29 Nov) vs the week before",
    ]


async def test_prepared_ahead_then_sent_at_the_hour_without_drawing_again(
    store: UnitOfWorkFactory,
) -> None:
    profile = await make_profile(store)
    await subscribe(store, profile.id, 3)
    charts = FakeCharts()
    env = make_env(store, {}, charts=charts)
    messenger = FlakyMessenger()
    runner = env.runner("w1", messenger)
    env.clock.set(datetime(2026, 11, 25, 8, 50, tzinfo=UTC))
    assert await runner.prepare() == 3
    assert messenger.sent == []
    composed = list(charts.drawn)
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    await runner.tick()
    assert len(messenger.sent) == 3
    assert charts.drawn == composed  # nothing composed at the hour


# --- /digest -----------------------------------------------------------------------------------


async def test_digest_command_in_the_profiles_time_zone(store: UnitOfWorkFactory) -> None:
    await make_profile(store, timezone="America/New_York")
    env = make_env(store, {})
    chat = make_chat(env, {})
    reply = await chat.say("/digest time 18:30")
    assert reply.text == (
        "📬 Digest on: every day at 18:30 (America/New_York), next Tue 24 Nov 18:30."
    )
    runner = chat.services.runner
    env.clock.set(datetime(2026, 11, 24, 23, 29, tzinfo=UTC))
    assert (await runner.tick()).sent == 0
    env.clock.set(datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    assert (await runner.tick()).sent == 1
    [(chat_ref, sent, _)] = env.messenger.sent
    assert chat_ref == ChatRef(ChatPlatform.CONSOLE, "ana")
    assert "Yesterday (Mon 23 Nov)" in sent.text


async def test_digest_here_moves_it_to_a_group_which_names_the_profile(
    store: UnitOfWorkFactory,
) -> None:
    await make_profile(store)
    env = make_env(store, {})
    chat = make_chat(env, {})
    assert (await chat.say("/digest on")).text.startswith("📬 Digest on in this chat")
    moved = await chat.say("/digest here", chat="-100777")
    assert "no longer goes to the other chat" in moved.text
    env.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    await chat.services.runner.tick()
    [(where, digest, _)] = env.messenger.sent
    assert where.chat == "-100777"
    assert digest.text.startswith("📊 Daily digest · Ana's bakery")
    assert digest.buttons == ()  # taps in a group would be someone else's
    assert "Digest off" in (await chat.say("/digest off", chat="-100777")).text
    assert "already off" in (await chat.say("/digest off")).text
    preview = await chat.say("/digest now")
    assert preview.text.startswith("📊 Daily digest\nYesterday (Tue 24 Nov)")
    assert "hours go up to 23" in (await chat.say("/digest time 25:00")).text
    assert "I don't know /digest sometimes" in (await chat.say("/digest sometimes")).text


async def test_digest_weekly_and_status_buttons(store: UnitOfWorkFactory) -> None:
    await make_profile(store)
    env = make_env(store, {})
    chat = make_chat(env, {})
    assert "No digest yet" in (await chat.say("/digest")).text
    weekly = await chat.tap(f"{Action.DIGEST}:weekly")
    assert weekly.edit and "Mondays at 09:00 (UTC), next Mon 30 Nov 09:00" in weekly.text
    status = await chat.say("/digest")
    assert status.text.startswith("📬 Digest in this chat: Mondays at 09:00")
    stats = await chat.tap(f"{Action.DIGEST}:stats")
    assert "Last 7 days" in stats.text
