"""A changes note counts only while its approver still approves (review 19 L2)."""

from __future__ import annotations

from adapters.db.uow import SqlUnitOfWorkFactory
from core.replies import Reply
from tests.core.teams_world import CREW, TeamHarness, member
from tests.core.test_approval_limits import _posts, _ready


def _cards(t: TeamHarness) -> list[Reply]:
    return [r for chat, r, _ in t.h.messenger.sent if chat == CREW and "Approval needed" in r.text]


async def test_a_demoted_approvers_next_message_is_no_note(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    t = await _ready(uow_factory)
    await t.say("/team role @cal admin")
    composer = await t.say("/post Launch day!", "ben")
    await t.tap(composer, "Publish now", "ben")
    [card] = _cards(t)
    asked = await t.tap(card, "Request changes", "ana")
    assert asked.toast == "Changes requested: now send the note"
    # Cal demotes Ana before she writes her note: her message is chatter now.
    assert (await t.say("/team role @ana editor", "cal")).text.startswith("@ana is now editor")
    assert await t.h.app.handle_text(member("ana"), "Put the link first") is None
    (post,) = await _posts(t)
    async with t.h.uow() as uow:
        reviews = await uow.approvals.reviews(post.id)
    assert all(r.note != "Put the link first" for r in reviews), reviews
