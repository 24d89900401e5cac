"""Templates, slots and the queue of a team profile: shared by its members, each change
checked against the member's role (ana admin, ben editor, cal viewer), apart from each
member's own profile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.states import PostState
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, team_with_facebook

ADMIN_ONLY = "You are {role} of Launch crew: only an admin can manage the team."
VIEWER = "You are a viewer of Launch crew: only an editor or admin can compose or change posts."


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    # Ana connects the team's Facebook in her private chat, as /connect in the group says.
    return await team_with_facebook(Harness(uow=uow_factory))


async def test_team_templates_are_shared_and_role_checked(t: TeamHarness) -> None:
    await t.say("/post Crew news {date}", "ben")
    saved = await t.say("/templates save news", "ben")
    assert saved.text.startswith("Saved draft #1 as the template 'news'.")
    assert (await t.say("/templates save mine", "cal")).text == VIEWER
    assert "• news [date] — Crew news {date}" in (await t.say("/templates", "cal")).text
    listed = await t.say("/templates", "cal")
    assert (await t.tap(listed, "Use news", "cal")).toast == VIEWER
    used = await t.say("/templates use news")  # Ana, in the group: the team's template
    assert used.text.startswith("✍️ New post")
    # Cal's own profile (her private chat, posting as herself) has none: they are the team's.
    assert (await t.h.say("/templates", "cal")).text.startswith("No templates yet.")
    assert (await t.say("/templates delete news", "cal")).text == VIEWER
    assert (await t.say("/templates delete news", "ben")).text == "Template 'news' deleted."


async def test_team_slots_and_queue_by_role(t: TeamHarness) -> None:
    assert (await t.say("/slots add mon 09:00", "ben")).text == ADMIN_ONLY.format(role="an editor")
    assert (await t.say("/slots add mon 09:00")).text.startswith("Added Mon 09:00.")
    assert "• Mon 09:00" in (await t.say("/slots", "cal")).text
    composer = await t.say("/post Crew launch", "ben")
    queued = await t.tap(composer, "Add to queue", "ben")
    assert queued.text.startswith("🗓 Added to the queue: slot Mon 09:00.")
    other = await t.say("/post Second", "ben")
    refused = await t.tap(other, "Add to queue", "cal")
    assert refused.toast == VIEWER
    listing = await t.say("/queue", "cal")
    assert "1. Mon 30 Nov 09:00 · #1 Crew launch → Facebook" in listing.text
    assert (await t.tap(listing, "Pause queue", "ben")).toast == ADMIN_ONLY.format(
        role="an editor"
    )
    assert (await t.say("/queue pause", "cal")).text == ADMIN_ONLY.format(role="a viewer")
    assert (await t.tap(listing, "⬇ #1", "cal")).toast == VIEWER
    assert (await t.tap(listing, "⬇ #1", "ben")).toast == "Post #1 is already last in the queue."
    assert (await t.say("/queue pause")).text.startswith("⏸ Queue paused. Held")
    assert (await t.say("/queue resume")).text == "▶️ Queue resumed.\nScheduled again: #1."
    # Cal's own slots are apart from the team's.
    assert (await t.h.say("/slots", "cal")).text.startswith("No posting slots yet.")
    t.h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await t.h.pipeline.run_until_idle()
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.PUBLISHED


async def test_add_to_queue_under_approvals_waits_for_the_approval(t: TeamHarness) -> None:
    await t.say("/slots add mon 09:00")
    on = await t.say("/approvals on")
    assert "approval" in on.text.lower(), on.text
    composer = await t.say("/post Needs a look", "ben")
    answer = await t.tap(composer, "Add to queue", "ben")
    assert answer.text.startswith("🗓 Next free slot Mon 09:00; approval comes first."), answer.text
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.AWAITING_APPROVAL
    assert "Nothing is queued." in (await t.say("/queue")).text


async def test_an_approved_add_to_queue_post_is_in_the_queue(t: TeamHarness) -> None:
    await t.say("/slots add mon 09:00")
    await t.say("/approvals on")
    composer = await t.say("/post Needs a look", "ben")
    await t.tap(composer, "Add to queue", "ben")
    card = next(r for c, r, _ in t.h.messenger.sent if "Approval needed" in r.text)
    decided = await t.tap(card, "Approve", "ana")
    assert "approved" in (decided.toast or decided.text).lower(), decided
    listing = await t.say("/queue")
    assert "· #1 Needs a look" in listing.text, listing.text
    paused = await t.say("/queue pause")
    assert "Held (not sent, keeping their slots): #1" in paused.text, paused.text
    assert (await t.say("/queue resume")).text == "▶️ Queue resumed.\nScheduled again: #1."


async def test_approved_while_the_queue_is_paused_is_held(t: TeamHarness) -> None:
    await t.say("/slots add mon 09:00")
    await t.say("/approvals on")
    composer = await t.say("/post Needs a look", "ben")
    await t.tap(composer, "Add to queue", "ben")
    await t.say("/queue pause")
    card = next(r for c, r, _ in t.h.messenger.sent if "Approval needed" in r.text)
    await t.tap(card, "Approve", "ana")
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT
    assert all(x.held_due is not None for x in post.targets.values())
    assert (await t.say("/queue resume")).text == "▶️ Queue resumed.\nScheduled again: #1."
