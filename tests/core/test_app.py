"""Use cases end to end through core's entry (Postroom) and pipeline, on memory + sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.sandbox import FailMode, SandboxPublisher
from core.actions import Action
from core.model import Network, Route, Tier
from core.policy import Policy
from core.states import PostState
from tests.core.harness import VIDEO, Harness, field_values, find_button

IG, FB, TT, LI, X = (
    Network.INSTAGRAM,
    Network.FACEBOOK,
    Network.TIKTOK,
    Network.LINKEDIN,
    Network.X,
)


async def test_start_greets_with_the_tier_and_next_steps(harness: Harness) -> None:
    reply = await harness.say("/start")
    assert "You're on Pro" in reply.text
    assert [b.label for b in reply.buttons[0]] == [
        "🔗 Connect networks",
        "✍️ New post",
        "❓ Help",
    ]


async def test_connect_marks_networks_and_status_shows_them(harness: Harness) -> None:
    await harness.connect(TT, FB)
    status = field_values(await harness.say("/status"))
    assert status["TikTok"].startswith("✅")
    assert status["Facebook"].startswith("✅")
    assert status["YouTube"] == "not connected"


async def test_publish_now_edits_one_progress_message_to_published(harness: Harness) -> None:
    composer = await harness.compose(f"Launch day! media: {VIDEO}", TT, FB, LI)
    assert "3 characters" not in composer.text and "1 media" in composer.text
    before = len(harness.messenger.edits), len(harness.messenger.sent)
    progress = await harness.tap(composer, "Publish now")
    assert progress.edit and field_values(progress)["TikTok"] == "🕒 pending"
    message = harness.message_of(progress)
    assert message == harness.message_of(composer)  # the composer became the progress message
    await harness.pipeline.run_until_idle()
    final = harness.current(message)
    assert "3 of 3 published" in final.text
    assert all(f.value == "✅ published" and f.url for f in final.fields)
    # Every progress update edited the same message: no new messages were sent for it.
    assert {ref for ref, _ in harness.messenger.edits[before[0] :]} == {message}
    assert len(harness.messenger.sent) == before[1]


async def test_failed_network_is_retried_alone_and_published() -> None:
    h = Harness(fail={TT: FailMode.ONCE})
    composer = await h.compose(f"Launch day! media: {VIDEO}", TT, FB)
    progress = await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    failed = h.current(h.message_of(progress))
    assert "1 of 2 published" in failed.text
    assert field_values(failed)["TikTok"].startswith("❌ TikTok rejected the post")
    retried = await h.tap(failed, "Retry TikTok")
    assert field_values(retried)["TikTok"] == "🕒 pending"
    assert field_values(retried)["Facebook"] == "✅ published"
    await h.pipeline.run_until_idle()
    assert "2 of 2 published" in h.current(h.message_of(progress)).text
    sandbox = h.publishers[Route.AYRSHARE]
    assert isinstance(sandbox, SandboxPublisher)
    published = [p.network for p in sandbox.posts()]
    assert sorted(published) == sorted([TT, FB])  # Facebook was not sent twice


async def test_double_tap_on_publish_sends_once(harness: Harness) -> None:
    composer = await harness.compose(f"Once only media: {VIDEO}", TT)
    await harness.tap(composer, "Publish now")
    again = await harness.app.handle_tap(
        harness.actor(), find_button(composer, "Publish now").callback_data, None
    )
    assert again.toast is not None and "already" in again.toast
    await harness.pipeline.run_until_idle()
    sandbox = harness.publishers[Route.AYRSHARE]
    assert isinstance(sandbox, SandboxPublisher)
    assert len(sandbox.posts()) == 1


async def test_schedule_then_publish_when_due(harness: Harness) -> None:
    await harness.compose(f"Later media: {VIDEO}", TT)
    reply = await harness.say("/schedule in 2h")
    assert "Scheduled for Tue 24 Nov 2026, 12:00 (UTC)" in reply.text
    shown = len(harness.messenger.sent), len(harness.messenger.edits)
    await harness.pipeline.run_until_idle()
    assert (len(harness.messenger.sent), len(harness.messenger.edits)) == shown  # not due yet
    harness.clock.advance(timedelta(hours=2))
    await harness.pipeline.run_until_idle()
    _, sent, ref = harness.messenger.sent[-1]  # the progress message is sent when it falls due
    assert len(harness.messenger.sent) == shown[0] + 1
    assert "1 of 1 published" in harness.current(ref).text
    assert sent.fields[0].label == "TikTok"


async def test_schedule_quick_pick_and_cancel(harness: Harness) -> None:
    composer = await harness.compose("Quick pick", FB)
    menu = await harness.tap(composer, "Schedule")
    assert "UTC" in menu.text
    scheduled = await harness.tap(menu, "Tomorrow 09:00")
    assert "Wed 25 Nov 2026, 09:00 (UTC)" in scheduled.text
    cancelled = await harness.tap(scheduled, "Cancel")
    assert "draft again" in cancelled.text
    again = await harness.tap(scheduled, "Cancel")  # a stale button on the old message
    assert again.toast is not None and "only scheduled posts can be cancelled" in again.toast


async def test_posts_list_paginates_and_opens(harness: Harness) -> None:
    await harness.connect(FB)
    for i in range(7):
        await harness.say(f"/post Post number {i}")
    page1 = await harness.say("/posts")
    assert "page 1 of 2" in page1.text
    page2 = await harness.tap(page1, "Next")
    assert "page 2 of 2" in page2.text and page2.edit
    detail = await harness.tap(page2, "Open")
    assert "draft" in detail.text
    assert find_button(detail, "Delete")


async def test_delete_asks_first_then_deletes(harness: Harness) -> None:
    await harness.compose("To delete", FB)
    detail = await harness.say("/delete 1")
    assert "Delete post #1" in detail.text
    done = await harness.tap(detail, "Yes, delete")
    assert "deleted" in done.text
    gone = await harness.tap(detail, "Yes, delete")  # repeated tap
    assert gone.toast == "There is no post #1 (it may have been deleted)."


async def test_lazy_account_is_created_once_under_concurrency(harness: Harness) -> None:
    import asyncio

    await asyncio.gather(*(harness.say("/connect") for _ in range(5)))
    async with harness.uow() as uow:
        profile = await uow.profiles.by_identity(harness.actor().identity)
    assert profile is not None and list(profile.accounts) == [Route.AYRSHARE]


# --- bad input: a clear answer, nothing lost ------------------------------------------------


async def test_unknown_command(harness: Harness) -> None:
    reply = await harness.say("/frobnicate now")
    assert reply.text == "I don't know /frobnicate. Send /help to see what I can do."


async def test_other_bots_commands_and_chatter_are_ignored(harness: Harness) -> None:
    assert await harness.app.handle_text(harness.actor(), "/post@OtherBot hi") is None
    assert await harness.app.handle_text(harness.actor(), "just chatting") is None
    assert await harness.app.handle_text(harness.actor(), "/help@PostroomBot") is not None


async def test_empty_post(harness: Harness) -> None:
    assert (await harness.say("/post")).text.startswith("Empty post")
    assert (await harness.say("/post    ")).text.startswith("Empty post")


async def test_oversized_message_is_refused_before_anything_is_saved(harness: Harness) -> None:
    reply = await harness.say("/post " + "a" * 80_000)
    assert "the most I read is 70,000" in reply.text
    assert "Nothing was saved" in reply.text
    async with harness.uow() as uow:
        profile = await uow.profiles.by_identity(harness.actor().identity)
        assert (
            profile is None
            or (await uow.posts.list_for_profile(profile.id, offset=0, limit=5))[1] == 0
        )


async def test_text_over_a_networks_limit_names_it(harness: Harness) -> None:
    composer = await harness.compose("x" * 300, X, FB)
    assert "⚠️ X allows 280 characters; this post has 300." in composer.text
    refused = await harness.tap(composer, "Publish now")
    assert refused.toast is not None and "X allows 280 characters" in refused.toast
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT  # nothing lost, nothing sent


async def test_more_media_than_allowed(harness: Harness) -> None:
    urls = " ".join(f"https://cdn.example.com/{i}.jpg" for i in range(40))
    assert "no network takes more than 35" in (await harness.say(f"/post hi media: {urls}")).text


async def test_media_that_is_not_http(harness: Harness) -> None:
    reply = await harness.say("/post hi media: file:///etc/passwd")
    assert "starting with https://" in reply.text


@pytest.mark.parametrize(
    ("when", "message"),
    [("2020-01-01 10:00", "in the past"), ("next blue moon", "can't read")],
)
async def test_schedule_in_the_past_or_unreadable(
    harness: Harness, when: str, message: str
) -> None:
    await harness.compose("Timing", FB)
    assert message in (await harness.say(f"/schedule {when}")).text


async def test_schedule_without_a_draft(harness: Harness) -> None:
    assert "No draft to schedule" in (await harness.say("/schedule in 1h")).text


async def test_another_users_post_is_off_limits(harness: Harness) -> None:
    composer = await harness.compose("Ana's post", FB)
    await harness.connect(FB, user="ben")
    assert (await harness.say("/cancel 1", user="ben")).text == "Only the author can do that."
    assert (await harness.say("/delete 1", user="ben")).text == "Only the author can do that."
    tapped = await harness.tap(composer, "Publish now", user="ben")
    assert tapped.toast == "Only the author can do that." and not tapped.text
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT


async def test_cancel_and_retry_in_forbidden_states(harness: Harness) -> None:
    composer = await harness.compose("State rules", FB)
    assert "only scheduled posts can be cancelled" in (await harness.say("/cancel 1")).text
    await harness.tap(composer, "Publish now")
    await harness.pipeline.run_until_idle()
    assert "no failed networks" in (await harness.say("/retry 1")).text
    retry_fb = await harness.say("/retry 1 facebook")  # typed: answered in the chat itself
    assert retry_fb.text == "Facebook is published; only failed networks can be retried."


@pytest.mark.parametrize("arg", ["abc", "-1", "#", ""])
async def test_malformed_ids(harness: Harness, arg: str) -> None:
    reply = await harness.say(f"/cancel {arg}")
    assert "I need a post number here" in reply.text


@pytest.mark.parametrize(
    "typed",
    [
        "/cancel ²",
        "/cancel ١",  # Arabic-Indic one: int() reads it as 1
        "/delete ①",
        "/retry ³",
        "/retry ١ facebook",
        "/cancel 99999999999999999999",
        "/cancel 3000000000",
    ],
)
async def test_ids_are_ascii_digits_and_other_numbers_are_no_post(
    harness: Harness, typed: str
) -> None:
    # Post #1 exists and is scheduled: a Unicode digit must not reach it.
    composer = await harness.compose(f"Later media: {VIDEO}", TT)
    await harness.tap(composer, "Schedule")
    await harness.say("/schedule in 2h")
    shown = typed.split()[1]
    reply = await harness.say(typed)
    assert reply.text == f"There is no post {shown}; /posts lists yours."
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.SCHEDULED


@pytest.mark.parametrize("typed", ["/posts ²", "/posts ١", "/posts 99999999999999999999999"])
async def test_page_numbers_are_ascii_digits(harness: Harness, typed: str) -> None:
    reply = await harness.say(typed)
    assert reply.text.startswith("I need a page number here")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "zz:1",
        Action.PUBLISH.value,
        f"{Action.PUBLISH}:abc",
        f"{Action.TOGGLE}:1:myspace",
        "x" * 65,
        f"{Action.OPEN}:999",
        f"{Action.SCHEDULE_AT}:1:notatime",
    ],
)
async def test_malformed_or_stale_buttons_answer_with_a_toast(harness: Harness, data: str) -> None:
    reply = await harness.app.handle_tap(harness.actor(), data, None)
    assert reply.toast and not reply.text


async def test_expired_quick_pick(harness: Harness) -> None:
    composer = await harness.compose("Expired pick", FB)
    menu = await harness.tap(composer, "Schedule")
    harness.clock.advance(timedelta(days=2))
    stale = await harness.tap(menu, "In 1 h")
    assert stale.toast is not None and "has passed" in stale.toast


async def test_free_tier_sees_locked_networks_with_the_way_out() -> None:
    h = Harness(tier=Tier.FREE)
    view = await h.say("/connect")
    locked = await h.tap(view, "TikTok")
    assert locked.toast is not None and "Upgrade to Pro to post to TikTok" in locked.toast


async def test_scheduled_limit_of_the_tier() -> None:
    h = Harness(policy=Policy.default().with_limits(Tier.PRO, max_scheduled=1))
    await h.compose("one", FB)
    await h.say("/schedule in 1h")
    await h.say("/post two")
    assert "the Pro limit is 1" in (await h.say("/schedule in 1h")).text


async def test_timezone_is_validated_and_used(harness: Harness) -> None:
    assert "don't know the time zone" in (await harness.say("/timezone Mars/Base")).text
    assert "Europe/Berlin" in (await harness.say("/timezone Europe/Berlin")).text
    await harness.compose("tz", FB)
    assert "(Europe/Berlin)" in (await harness.say("/schedule tomorrow 9:00")).text


async def test_failure_notice_only_when_the_author_is_not_watching() -> None:
    h = Harness(fail={TT: FailMode.ALWAYS})
    composer = await h.compose(f"Now media: {VIDEO}", TT)
    sent_before = len(h.messenger.sent)
    await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    # Publish now: the progress message the author is looking at says it; nothing else is sent.
    assert "❌" in h.current(h.message_of(composer)).fields[0].value
    assert len(h.messenger.sent) == sent_before

    await h.say(f"/post Later media: {VIDEO}")
    await h.say("/schedule in 1h")
    h.clock.advance(timedelta(hours=1))
    await h.pipeline.run_until_idle()
    texts = [reply.text for _, reply, _ in h.messenger.sent[sent_before:]]
    notices = [t for t in texts if t.startswith("❌ Post #2 was not published to TikTok")]
    assert len(notices) == 1  # the scheduled post's progress message, then one short notice


async def test_cancelling_a_waiting_retry_of_a_partly_published_post() -> None:
    h = Harness(fail={TT: FailMode.ONCE})
    composer = await h.compose(f"Partly media: {VIDEO}", TT, FB)
    await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    await h.tap(h.current(h.message_of(composer)), "Retry TikTok")  # waiting, not yet sent
    reply = await h.say("/cancel 1")
    assert reply.text == (
        "Cancelled: post #1 won't be sent to TikTok. It stays published on Facebook."
    )
    await h.pipeline.run_until_idle()
    async with h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.PARTIAL


async def test_a_media_address_that_is_not_a_url(harness: Harness) -> None:
    reply = await harness.say("/post hi media: https://[oops")
    assert "Media must be a web address starting with https://" in reply.text


async def test_a_date_beyond_the_calendar_is_refused(harness: Harness) -> None:
    await harness.compose("far", FB)
    await harness.say("/timezone America/New_York")
    reply = await harness.say("/schedule 9999-12-31 23:00")
    assert reply.text == (
        "“9999-12-31 23:00” is more than a year ahead; posts can be scheduled at most a year "
        "ahead."
    )
