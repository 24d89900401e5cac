"""Which post `/schedule` acts on, times across daylight saving, the monthly post limit and
time zone names, through Postroom on memory + sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.model import Network, Post, Tier
from core.policy import Policy
from core.states import PostState
from tests.core.harness import VIDEO, Harness
from tests.fakes.clock import FixedClock

FB = Network.FACEBOOK
# 01:30 in Berlin on 28 March 2027, the night the clocks jump from 02:00 CET to 03:00 CEST.
SPRING_NIGHT = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


async def _post(h: Harness, post_id: int) -> Post:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


# --- which post (item 5) --------------------------------------------------------------------


async def test_schedule_retimes_the_post_just_scheduled_not_an_older_draft(
    harness: Harness,
) -> None:
    await harness.compose("Draft A", FB)
    await harness.say("/post Draft B")
    first = await harness.say("/schedule tomorrow 9:00")
    assert "Wed 25 Nov 2026, 09:00" in first.text and "Draft B" in first.text
    again = await harness.say("/schedule tomorrow 10:00")
    assert again.text.startswith("Moved post #2 (it was due Wed 25 Nov 2026, 09:00 (UTC)).")
    assert "Wed 25 Nov 2026, 10:00" in again.text
    a, b = await _post(harness, 1), await _post(harness, 2)
    assert a.state is PostState.DRAFT  # the abandoned draft is left alone
    assert b.scheduled_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert {t.due_at for t in b.targets.values()} == {b.scheduled_at}
    harness.clock.advance(timedelta(hours=23, minutes=30))  # 09:30: its old time is gone
    await harness.pipeline.run_until_idle()
    assert (await _post(harness, 2)).state is PostState.SCHEDULED
    harness.clock.advance(timedelta(minutes=30))
    await harness.pipeline.run_until_idle()
    assert (await _post(harness, 2)).state is PostState.PUBLISHED
    assert (await _post(harness, 1)).state is PostState.DRAFT


async def test_schedule_takes_the_latest_composer(harness: Harness) -> None:
    await harness.compose("Old one", FB)
    await harness.say("/schedule in 1h")
    await harness.say("/post New one")
    reply = await harness.say("/schedule in 2h")
    assert "New one" in reply.text and "Moved" not in reply.text
    assert (await _post(harness, 1)).scheduled_at == harness.clock.now() + timedelta(hours=1)


async def test_schedule_asks_which_draft_when_the_latest_post_is_out(harness: Harness) -> None:
    await harness.compose("Abandoned", FB)
    composer = await harness.say("/post Went out")
    await harness.tap(composer, "Publish now")
    await harness.pipeline.run_until_idle()
    question = await harness.say("/schedule tomorrow 9:00")
    assert question.text == (
        "Your latest post here, #2, is published. "
        "Which draft should go out Wed 25 Nov 2026, 09:00 (UTC)?"
    )
    assert (await _post(harness, 1)).state is PostState.DRAFT  # nothing happened yet
    scheduled = await harness.tap(question, "#1 · Abandoned")
    assert scheduled.edit and "Wed 25 Nov 2026, 09:00 (UTC)" in scheduled.text
    assert (await _post(harness, 1)).state is PostState.SCHEDULED


async def test_schedule_without_a_draft_says_how_to_retime(harness: Harness) -> None:
    composer = await harness.compose("Out already", FB)
    await harness.tap(composer, "Publish now")
    await harness.pipeline.run_until_idle()
    reply = await harness.say("/schedule in 1h")
    assert reply.text.startswith("No draft to schedule. Compose one")
    assert "/schedule #<id> <time>" in reply.text


async def test_schedule_by_number_retimes_or_schedules_that_post(harness: Harness) -> None:
    await harness.compose("One", FB)
    await harness.say("/schedule in 1h")
    await harness.say("/post Two")
    moved = await harness.say("/schedule #1 in 3h")
    assert moved.text.startswith("Moved post #1")
    assert (await _post(harness, 1)).scheduled_at == harness.clock.now() + timedelta(hours=3)
    assert (await _post(harness, 2)).state is PostState.DRAFT
    assert "Scheduled for" in (await harness.say("/schedule #2 in 4h")).text
    composer = await harness.say("/post Three")
    await harness.tap(composer, "Publish now")
    await harness.pipeline.run_until_idle()
    assert "was already published" in (await harness.say("/schedule #3 in 1h")).text
    assert "When?" in (await harness.say("/schedule #1")).text
    assert "There is no post #99" in (await harness.say("/schedule #99 in 1h")).text


async def test_retiming_frees_its_own_slot_and_refuses_a_retrying_post() -> None:
    h = Harness(policy=Policy.default().with_limits(Tier.PRO, max_scheduled=1))
    await h.compose("Only one may wait", FB)
    await h.say("/schedule in 1h")
    assert "Moved post #1" in (await h.say("/schedule in 2h")).text  # not "the limit is 1"
    async with h.uow() as uow:
        post = await uow.posts.get(1)
        assert post is not None
        post.targets[FB].attempts = 1  # a transient failure left it waiting to retry
        await uow.posts.save(post)
        await uow.commit()
    refused = await h.say("/schedule in 3h")
    assert refused.text.startswith("No draft to schedule. Compose one")
    assert "already scheduled" in (await h.say("/schedule #1 in 3h")).text


async def test_other_users_posts_are_not_retimed(harness: Harness) -> None:
    await harness.compose("Ana's", FB)
    await harness.say("/schedule in 1h")
    assert "Only the author" in (await harness.say("/schedule #1 in 5h", user="ben")).text
    assert (await harness.say("/schedule in 5h", user="ben")).text.startswith("No draft")
    assert (await _post(harness, 1)).scheduled_at == harness.clock.now() + timedelta(hours=1)


# --- relative times and daylight saving (item 6) ------------------------------------------


async def _berlin_draft_at_half_past_one(text: str) -> Harness:
    """A Berlin user with a draft at 01:30 on the spring-forward night."""
    h = Harness(clock=FixedClock(SPRING_NIGHT))
    await h.say("/timezone Europe/Berlin")
    await h.compose(text, FB)
    return h


async def test_in_2h_across_spring_forward_is_two_real_hours() -> None:
    h = await _berlin_draft_at_half_past_one("Night owl")
    reply = await h.say("/schedule in 2h")
    assert "Sun 28 Mar 2027, 04:30 (Europe/Berlin)" in reply.text
    assert (await _post(h, 1)).scheduled_at == SPRING_NIGHT + timedelta(hours=2)
    h.clock.advance(timedelta(hours=1, minutes=59))
    await h.pipeline.run_until_idle()
    assert (await _post(h, 1)).state is PostState.SCHEDULED
    h.clock.advance(timedelta(minutes=1))
    await h.pipeline.run_until_idle()
    assert (await _post(h, 1)).state is PostState.PUBLISHED


async def test_a_skipped_local_time_is_moved_with_a_note() -> None:
    h = await _berlin_draft_at_half_past_one("At half past two")
    reply = await h.say("/schedule 2:30")
    assert "Sun 28 Mar 2027, 03:30 (Europe/Berlin)" in reply.text
    assert reply.text.endswith(
        "Note: 02:30 on Sun 28 Mar 2027 in Europe/Berlin does not exist "
        "(the clocks jump forward), so I took 03:30 CEST."
    )
    assert (await _post(h, 1)).scheduled_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


# --- the monthly post limit (item 7) -------------------------------------------------------


async def test_drafts_do_not_count_toward_the_monthly_limit() -> None:
    h = Harness(policy=Policy.default().with_limits(Tier.PRO, posts_per_month=2))
    await h.connect(FB)
    composers = [await h.say(f"/post Draft {n}") for n in range(1, 5)]
    first = await h.tap(composers[2], "Publish now")
    assert first.toast == "Publishing…"
    await h.pipeline.run_until_idle()
    second = await h.say("/schedule #4 in 1h")
    assert second.text.startswith("🕒 Scheduled")
    refused = await h.tap(composers[0], "Publish now")
    assert refused.toast is not None
    assert refused.toast.startswith("You have used all 2 posts of this month on Pro.")
    assert (await _post(h, 1)).state is PostState.DRAFT
    # A cancelled post is a draft again and gives its place back.
    await h.say("/cancel 4")
    assert (await h.tap(composers[0], "Publish now")).toast == "Publishing…"


async def test_free_with_a_limit_of_2_publishes_after_three_drafts() -> None:
    h = Harness(tier=Tier.FREE, policy=Policy.default().with_limits(Tier.FREE, posts_per_month=2))
    await h.connect(Network.INSTAGRAM)
    drafts = [await h.say(f"/post Draft {n} media: {VIDEO}") for n in range(1, 4)]
    assert (await h.tap(drafts[2], "Publish now")).toast == "Publishing…"
    assert (await h.tap(drafts[1], "Publish now")).toast == "Publishing…"
    refused = await h.tap(drafts[0], "Publish now")
    assert refused.toast == "You have used all 2 posts of this month on Free. /upgrade for more."


async def test_a_post_due_next_month_counts_there() -> None:
    h = Harness(
        policy=Policy.default().with_limits(Tier.PRO, posts_per_month=1),
        clock=FixedClock(datetime(2026, 11, 30, 10, 0, tzinfo=UTC)),
    )
    await h.compose("December", FB)
    await h.say("/schedule 2026-12-01 09:00")
    composer = await h.say("/post November")
    assert (await h.tap(composer, "Publish now")).toast == "Publishing…"
    await h.say("/post Also December")
    assert "used your 1 post" in (await h.say("/schedule 2026-12-02 09:00")).text


# --- time zone names (item 12) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("utc", "UTC"),
        ("europe/berlin", "Europe/Berlin"),
        ("AMERICA/NEW_YORK", "America/New_York"),
        (" Asia/Tokyo ", "Asia/Tokyo"),
    ],
)
async def test_zone_names_in_any_case_are_stored_as_spelled_by_the_tz_database(
    harness: Harness, typed: str, stored: str
) -> None:
    reply = await harness.say(f"/timezone {typed}")
    assert reply.text.startswith(f"Time zone set to {stored}. It is now")
    profile = await harness.app.profile_for(harness.actor())
    assert profile.timezone == stored


@pytest.mark.parametrize(
    "typed", ["localtime", "Factory", "factory", "posixrules", "posix/Europe/Berlin", "Mars/Base"]
)
async def test_files_of_the_tz_database_that_are_not_zones_are_refused(
    harness: Harness, typed: str
) -> None:
    reply = await harness.say(f"/timezone {typed}")
    assert reply.text.startswith(f"I don't know the time zone {typed!r}.")
    assert "UTC" in reply.text
    profile = await harness.app.profile_for(harness.actor())
    assert profile.timezone == "UTC"
