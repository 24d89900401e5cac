"""Approvals through Postroom on SQL (SQLite, or PostgreSQL with POSTROOM_TEST_DATABASE): a team
of three in a console group — ana (admin, the approver), ben (editor), cal (viewer)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adapters.db.approval_tables import ApprovalRequestRow, ApprovalSettingRow, ReviewRow
from adapters.db.uow import SqlUnitOfWorkFactory
from core.actions import Action
from core.model import Connection, ConnectionStatus, MessageRef, Network
from core.replies import Reply, mark
from core.states import PostState, TargetState
from core.teams import Team
from tests.core.harness import Harness, find_button
from tests.core.teams_world import CREW, TeamHarness, member

FB, LI = Network.FACEBOOK, Network.LINKEDIN


@pytest.fixture
def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    return TeamHarness(Harness(uow=uow_factory))


async def ready(t: TeamHarness, setting: str = "on") -> Team:
    """The team of three, Facebook and LinkedIn connected, approvals `setting`."""
    team = await t.three()
    async with t.h.uow() as uow:
        profile = await uow.profiles.get(team.profile_id)
        assert profile is not None
        for n in (FB, LI):
            profile.connections[n] = Connection(n, ConnectionStatus.CONNECTED, n.label)
        await uow.profiles.save(profile)
        await uow.commit()
    said = await t.say(f"/approvals {setting}")
    assert said.text.startswith(f"Approvals are {setting.split()[0]} for Launch crew"), said.text
    return team


def cards(t: TeamHarness) -> list[Reply]:
    """The approval cards sent into the team chat, oldest first."""
    return [r for chat, r, _ in t.h.messenger.sent if chat == CREW and "Approval needed" in r.text]


def shown(t: TeamHarness, reply: Reply) -> Reply:
    return t.h.current(t.h.message_of(reply))


async def submit(t: TeamHarness, text: str = "Launch day!", user: str = "ben") -> Reply:
    """`user` composes in the group and taps Publish now: the composer becomes the progress
    message, and one card goes to the approvers."""
    composer = await t.say(f"/post {text}", user)
    before = len(cards(t))
    answer = await t.tap(composer, "Publish now", user)
    assert answer.toast == "Sent for approval", answer
    assert len(cards(t)) == before + 1
    return composer


async def state(t: TeamHarness, post_id: int = 1) -> PostState:
    async with t.h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.state


async def test_an_editors_post_waits_for_the_admin_then_goes_out(t: TeamHarness) -> None:
    await ready(t)
    composer = await submit(t)
    progress = shown(t, composer)
    assert progress.text.startswith("⏸ Awaiting approval — “Launch day!”")
    [card] = cards(t)
    assert card.text.splitlines()[:2] == [
        "🗳 Approval needed: post #1 by Ben",
        "Publish now, once approved · To: Facebook, LinkedIn",
    ]
    assert "— Facebook 11/63,206 · LinkedIn 11/3,000 —" in card.text
    assert "Approvers: @ana" in card.text
    assert await state(t) is PostState.AWAITING_APPROVAL
    await t.h.pipeline.run_until_idle()
    assert await state(t) is PostState.AWAITING_APPROVAL  # nothing goes out unapproved

    for user, why in (
        ("cal", "You are a viewer of Launch crew: only an admin can approve posts."),
        ("ben", "You are an editor of Launch crew: only an admin can approve posts."),
    ):
        refused = await t.tap(card, "Approve", user)
        assert (refused.toast, refused.text) == (why, "")
    assert await state(t) is PostState.AWAITING_APPROVAL

    decided = await t.tap(card, "Approve", "ana")
    assert decided.toast == "Approved" and decided.buttons == ()
    assert "✅ Approved by Ana: publishing now." in decided.text
    assert "✅ Approved by Ana" in shown(t, composer).text  # the author's progress message
    await t.h.pipeline.run_until_idle()
    assert await state(t) is PostState.PUBLISHED
    assert "2 of 2 published" in shown(t, composer).text

    again = await t.tap(card, "Approve", "ana")  # the same card, tapped again
    assert again.toast == "Already decided: post #1 was approved."


async def test_changes_with_a_note_then_a_new_round_and_the_old_card_is_stale(
    t: TeamHarness,
) -> None:
    await ready(t)
    composer = await submit(t, "Launch day! Read more at our site")
    [first] = cards(t)
    asked = await t.tap(first, "Request changes", "ana")
    assert asked.toast == "Changes requested: now send the note"
    assert "Ana: what should change? Your next message here" in asked.text
    assert await state(t) is PostState.DRAFT
    # Ana's next message in the group is the note; the author sees it on the post.
    noted = await t.h.app.handle_text(member("ana"), "Put the link first, please")
    assert noted is not None and noted.text.startswith("📝 Noted for post #1")
    assert "“Put the link first, please”" in shown(t, composer).text
    assert await t.h.app.handle_text(member("ana"), "thanks!") is None  # one note, then chatter

    # Ben edits (unticks LinkedIn) and publishes again: a new round, a new card.
    opened = await t.say("/posts", "ben")
    detail = await t.tap(opened, "Open #1", "ben")
    assert "changes requested by Ana: “Put the link first, please”" in detail.text
    composer2 = await t.tap(detail, "Edit", "ben")
    await t.tap(composer2, "LinkedIn", "ben")
    await t.tap(composer2, "Publish now", "ben")
    second = cards(t)[-1]
    assert second.text.startswith("🗳 Approval needed: post #1 by Ben (round 2)")
    assert "LinkedIn" not in second.text.splitlines()[1]

    stale = await t.h.app.handle_tap(
        member("ana"), find_button(first, "Approve").callback_data, t.h.message_of(first)
    )
    assert stale.toast == (
        "This card is out of date: post #1 was changed and sent again. Decide on the newest card."
    )
    await t.tap(second, "Approve", "ana")
    await t.h.pipeline.run_until_idle()
    assert await state(t) is PostState.PUBLISHED


async def test_reject_keeps_a_draft_and_the_detail_lists_every_decision(t: TeamHarness) -> None:
    await ready(t)
    composer = await submit(t)
    [card] = cards(t)
    rejected = await t.tap(card, "Reject", "ana")
    assert rejected.toast == "Rejected" and "✖ Rejected by Ana" in rejected.text
    assert "✖ Rejected by Ana. It stays a draft and is not sent." in shown(t, composer).text
    assert await state(t) is PostState.DRAFT
    await t.say("/note 1 Not this week: the launch moved", "ana")
    opened = await t.say("/posts", "ana")
    detail = await t.tap(opened, "Open #1", "ana")
    reviews = detail.text.split("Reviews:\n", 1)[1].splitlines()
    assert reviews == [
        "• Tue 24 Nov 10:00 sent for approval by Ben",
        "• Tue 24 Nov 10:00 ✖ rejected by Ana",
        "• Tue 24 Nov 10:00 📝 note by Ana: “Not this week: the launch moved”",
    ]


async def test_no_self_approval_refuses_the_authors_own_yes(t: TeamHarness) -> None:
    await ready(t, "on no-self-approval")
    t.admins.admins.add((CREW.chat, "dan"))  # a second chat admin joins: an admin too
    await t.say("/team", "dan")
    await submit(t, "Ana's own post", user="ana")  # an approver's post waits too
    [card] = cards(t)
    own = await t.tap(card, "Approve", "ana")
    assert own.toast is not None and own.toast.startswith("This team has no self-approval")
    assert await state(t) is PostState.AWAITING_APPROVAL
    await t.tap(card, "Approve", "dan")
    assert await state(t) is not PostState.AWAITING_APPROVAL


async def test_approvers_own_posts_go_out_directly_without_no_self_approval(
    t: TeamHarness,
) -> None:
    await ready(t)
    composer = await t.say("/post From the admin", "ana")
    answer = await t.tap(composer, "Publish now", "ana")
    assert answer.toast == "Publishing…" and cards(t) == []


async def test_withdrawn_or_deleted_posts_make_their_card_stale(t: TeamHarness) -> None:
    await ready(t)
    await submit(t)
    [card] = cards(t)
    withdrawn = await t.say("/cancel 1", "ben")
    assert withdrawn.text.startswith("Withdrawn: post #1 is a draft again")
    # The card says so (edited in place), and its buttons change nothing.
    assert "Withdrawn by its author" in shown(t, card).text
    tapped = await t.tap(card, "Approve", "ana")
    assert tapped.toast == "Already decided: post #1 was withdrawn by its author."
    assert await state(t) is PostState.DRAFT

    await submit(t, "Second try")
    second = cards(t)[-1]
    opened = await t.say("/posts", "ben")
    detail = await t.tap(opened, "Open #2", "ben")
    ask = await t.tap(detail, "Delete", "ben")
    await t.tap(ask, "Yes, delete", "ben")
    gone = await t.tap(second, "Approve", "ana")
    assert gone.toast == "There is no post #2 (it may have been deleted)."


async def scheduled(t: TeamHarness) -> Reply:
    """Ben's post scheduled in an hour, awaiting approval: its card."""
    await ready(t)
    composer = await t.say("/post Tonight's show", "ben")
    menu = await t.tap(composer, "Schedule", "ben")
    await t.tap(menu, "In 1 h", "ben")
    [card] = cards(t)
    return card


async def test_an_approval_expires_when_the_time_passes(t: TeamHarness) -> None:
    card = await scheduled(t)
    assert "Scheduled for" in card.text.splitlines()[1]
    t.h.clock.advance(timedelta(minutes=30))
    assert await t.h.services.approvals.run() == 0  # not yet
    t.h.clock.advance(timedelta(minutes=31))
    assert await t.h.services.approvals.run() == 1
    assert await t.h.services.approvals.run() == 0  # once
    assert await state(t) is PostState.DRAFT
    assert "⌛" in shown(t, card).text  # the card says it expired
    notices = [r.text for chat, r, _ in t.h.messenger.sent if r.text.startswith("⌛ Post #1")]
    assert notices == [
        "⌛ Post #1: Not approved before its time: held as a draft. Publish or schedule it again."
    ]
    late = await t.tap(card, "Approve", "ana")
    assert late.toast is not None and late.toast.startswith("Already decided: post #1 was held")
    await t.h.pipeline.run_until_idle()
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and {s.state for s in post.targets.values()} == {TargetState.DRAFT}


async def test_a_tap_after_the_time_holds_the_post_at_once(t: TeamHarness) -> None:
    card = await scheduled(t)
    t.h.clock.advance(timedelta(hours=2))  # the pass has not run yet
    late = await t.tap(card, "Approve", "ana")
    assert late.toast == "Too late: its time passed, so it is held as a draft"
    assert await state(t) is PostState.DRAFT
    assert await t.h.services.approvals.run() == 0


@pytest.mark.parametrize(
    ("body", "toast"),
    [
        (f"{Action.APPROVE.value}:1", "This approval button is broken."),
        (f"{Action.APPROVE.value}:1:x", "This approval button is broken."),
        (f"{Action.APPROVE.value}:x:1", "I need a post number here, not 'x'"),
        (f"{Action.APPROVE.value}:1:99", "This card does not match any approval round"),
        (f"{Action.REJECT.value}:1:0", "This card does not match any approval round"),
        (f"{Action.APPROVE.value}:99999999999:1", "There is no post 99999999999"),
        (f"{Action.APPROVE.value}:1:{'9' * 60}", "This button is broken."),  # over 64 bytes
    ],
)
async def test_malformed_forged_and_oversized_card_data(
    t: TeamHarness, body: str, toast: str
) -> None:
    team = await ready(t)
    await submit(t)
    [card] = cards(t)
    message: MessageRef = t.h.message_of(card)
    data = f"{body}~{mark(team.profile_id, t.h.clock.now())}"
    answer = await t.h.app.handle_tap(member("ana"), data, message)
    assert answer.toast is not None and answer.toast.startswith(toast), answer.toast
    assert answer.text == "" and await state(t) is PostState.AWAITING_APPROVAL


async def test_the_setting_is_the_admins_and_only_a_teams(t: TeamHarness) -> None:
    personal = await t.h.say("/approvals on")
    assert personal.text.startswith("Approvals are for team profiles")
    await ready(t, "off")  # "off" answers with the state too
    refused = await t.say("/approvals on", "ben")
    assert refused.text == "You are an editor of Launch crew: only an admin can manage the team."
    bad = await t.say("/approvals maybe")
    assert bad.text.startswith("I don't understand 'maybe'.")
    assert (await t.say("/approvals")).text.startswith("Approvals are off for Launch crew")
    composer = await t.say("/post Straight out", "ben")
    assert (await t.tap(composer, "Publish now", "ben")).toast == "Publishing…"


async def test_notes_are_checked_and_kept_on_drafts(t: TeamHarness) -> None:
    await ready(t)
    await t.say("/post A draft to look at", "ben")
    assert (await t.say("/note", "ana")).text.startswith("Which post?")
    assert (await t.say("/note 1", "ana")).text.startswith("What is the note?")
    long = await t.say("/note 1 " + "x" * 1001, "ana")
    assert long.text.startswith("That note is 1,001 characters; the most I keep is 1,000.")
    viewer = await t.say("/note 1 Nice", "cal")
    assert viewer.text.startswith("You are a viewer of Launch crew")
    assert (
        await t.say("/note 7 Nice", "ana")
    ).text == "There is no post #7 (it may have been deleted)."
    saved = await t.say("/note 1 Lovely first line", "ana")
    assert saved.text.startswith("📝 Note saved on post #1: “Lovely first line”")
    assert await state(t) is PostState.DRAFT  # a note never publishes anything


async def test_forgetting_the_team_removes_its_approvals(t: TeamHarness) -> None:
    await ready(t)
    await submit(t)
    await t.say("/note 1 Looks good", "ana")
    uow = t.h.uow
    assert isinstance(uow, SqlUnitOfWorkFactory)

    async def rows() -> list[int]:
        async with uow.session_factory() as session:
            counted = []
            for table in (ApprovalSettingRow, ApprovalRequestRow, ReviewRow):
                counted.append(await session.scalar(select(func.count()).select_from(table)) or 0)
            return counted

    assert await rows() == [1, 1, 2]
    asked = await t.say("/forget", "ana")
    await t.tap(asked, "Delete", "ana")
    assert await rows() == [0, 0, 0]


async def test_an_approver_can_decide_from_the_posts_detail(t: TeamHarness) -> None:
    await ready(t)
    await submit(t)
    [card] = cards(t)
    as_editor = await t.tap(await t.say("/posts", "ben"), "Open #1", "ben")
    assert not any("Approve" in b.label for row in as_editor.buttons for b in row)
    assert any("Withdraw" in b.label for row in as_editor.buttons for b in row)
    detail = await t.tap(await t.say("/posts", "ana"), "Open #1", "ana")
    assert "Due" not in detail.text and "— awaiting_approval" in detail.text
    decided = await t.tap(detail, "Approve", "ana")
    assert decided.toast == "Approved"
    assert "✅ Approved by Ana" in shown(t, card).text  # the card says so too
    assert shown(t, card).buttons == ()
    await t.h.pipeline.run_until_idle()
    assert await state(t) is PostState.PUBLISHED


async def test_two_approvers_tapping_at_once_decide_once(t: TeamHarness) -> None:
    await ready(t)
    t.admins.admins.add((CREW.chat, "dan"))
    await t.say("/team", "dan")
    await submit(t)
    [card] = cards(t)
    where = t.h.message_of(card)
    approve, reject = (find_button(card, label).callback_data for label in ("Approve", "Reject"))
    answers = await asyncio.gather(
        t.h.app.handle_tap(member("ana"), approve, where),
        t.h.app.handle_tap(member("dan"), reject, where),
    )
    toasts = sorted(a.toast or "" for a in answers)
    assert toasts[0].startswith("Already decided: post #1 was") and toasts[1] in (
        "Approved",
        "Rejected",
    )
    async with t.h.uow() as uow:
        kinds = [r.kind.value for r in await uow.approvals.reviews(1)]
    assert kinds[0] == "submitted" and len(kinds) == 2  # one decision recorded
