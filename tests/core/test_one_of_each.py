"""Rules that had drifted apart in copies, now written once: the clock times `/schedule` reads,
the month quotas count in, which media are video, the Retry buttons, checked state changes and
the order networks are shown in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.ayrshare import wire
from adapters.sandbox import FailMode
from core.actions import Action
from core.errors import InvalidTransition
from core.model import Network, Route, Target, Tier
from core.policy import Policy
from core.replies import Reply
from core.states import TargetState
from tests.core.harness import VIDEO, Harness
from tests.fakes.clock import FixedClock

FB, YT, TT, LI = Network.FACEBOOK, Network.YOUTUBE, Network.TIKTOK, Network.LINKEDIN


@pytest.mark.parametrize(
    ("typed", "due"),
    [
        ("18h", "Tue 24 Nov 2026, 18:00"),
        ("6pm", "Tue 24 Nov 2026, 18:00"),
        ("at 9h", "Wed 25 Nov 2026, 09:00"),
    ],
)
async def test_schedule_reads_the_clock_times_digest_time_reads(
    harness: Harness, typed: str, due: str
) -> None:
    await harness.compose("Evening post", FB)
    reply = await harness.say(f"/schedule {typed}")
    assert f"Scheduled for {due} (UTC)" in reply.text  # 10:00 now: 9h is tomorrow


async def test_the_month_of_the_quota_is_the_profiles_local_month() -> None:
    # 22:30 UTC on 30 November is 23:30 in Berlin: November. An hour later it is December
    # there (00:30 on the 1st) while still November in UTC.
    h = Harness(
        policy=Policy.default().with_limits(Tier.PRO, posts_per_month=1),
        clock=FixedClock(datetime(2026, 11, 30, 22, 30, tzinfo=UTC)),
    )
    await h.say("/timezone Europe/Berlin")
    composer = await h.compose("Last of November", FB)
    assert (await h.tap(composer, "Publish now")).toast == "Publishing…"
    await h.pipeline.run_until_idle()
    h.clock.advance(timedelta(hours=1))
    composer = await h.say("/post First of December")
    assert (await h.tap(composer, "Publish now")).toast == "Publishing…"


async def test_mpg_and_mpeg_are_video_for_the_limits_as_for_ayrshare(harness: Harness) -> None:
    for name in ("trailer.mpg", "trailer.MPEG"):
        url = f"https://cdn.example.com/{name}"
        composer = await harness.compose(f"Trailer media: {url}", YT)
        assert "needs a video" not in composer.text, composer.text
        assert "isVideo" not in wire.post_body("t", (url,), [YT], "k")  # Ayrshare knows it


def retry_buttons(reply: Reply) -> list[tuple[str, str]]:
    return [(b.label, b.body) for row in reply.buttons for b in row if "Retry" in b.label]


async def test_the_retry_buttons_are_the_same_wherever_a_failure_shows() -> None:
    h = Harness(fail={LI: FailMode.ALWAYS, TT: FailMode.ALWAYS})
    await h.connect(LI, FB, TT)
    await h.say(f"/post Launch media: {VIDEO}")
    await h.say("/schedule in 1h")
    h.clock.advance(timedelta(hours=1))
    await h.pipeline.run_until_idle()
    *_, (_, _, ref), (_, notice, _) = h.messenger.sent
    assert notice.text.startswith("❌ Post #1 was not published to TikTok, LinkedIn")
    listing = await h.say("/posts")
    detail = await h.tap(listing, "Open #1")
    expected = [
        ("🔁 Retry TikTok", Action.RETRY.data(1, "tiktok")),
        ("🔁 Retry LinkedIn", Action.RETRY.data(1, "linkedin")),
    ]
    for shown in (h.current(ref), notice, detail):
        assert retry_buttons(shown) == expected


def test_a_target_moves_only_along_the_lifecycle() -> None:
    due = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    target = Target(FB, Route.AYRSHARE)
    target.move_to(TargetState.SCHEDULED, due)
    assert (target.state, target.due_at) == (TargetState.SCHEDULED, due)
    with pytest.raises(InvalidTransition):
        target.move_to(TargetState.PUBLISHED)
    assert (target.state, target.due_at) == (TargetState.SCHEDULED, due)  # unchanged
    target.move_to(TargetState.DRAFT)
    assert (target.state, target.due_at) == (TargetState.DRAFT, None)  # a draft is never due


def test_networks_have_one_order() -> None:
    assert sorted(Network, key=lambda n: n.rank) == list(Network)
    assert [n.rank for n in Network] == list(range(len(Network)))
