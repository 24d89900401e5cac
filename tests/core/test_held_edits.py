"""A post held by a paused queue cannot be changed (it is released as it was scheduled and
approved), and a release checks again what Publish and Schedule would (review finding 1)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import Network
from core.states import PostState
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness
from tests.core.test_approvals import ready

HELD = "is held in the paused queue; /queue resume or take it out first"


@pytest.fixture
def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    return TeamHarness(Harness(uow=uow_factory))


async def held_post(t: TeamHarness) -> None:
    """Ana (admin, needs no approval) queues #1 and pauses the queue."""
    await ready(t)
    await t.say("/slots add mon 09:00")
    composer = await t.say("/post Approved words", "ana")
    await t.tap(composer, "Add to queue", "ana")
    paused = await t.say("/queue pause")
    assert "Held (not sent, keeping their slots): #1" in paused.text, paused.text


async def test_held_post_cannot_be_edited_and_resume_sends_what_was_scheduled(
    t: TeamHarness,
) -> None:
    await held_post(t)
    for typed in (
        "/edit #1 Words nobody approved",
        "/version #1 linkedin Words nobody approved",
        "/edit #1 Words nobody approved",  # repeated: the same refusal
    ):
        refused = await t.say(typed, "ben")
        assert HELD in refused.text, refused.text
    # The admin is refused too: an edit would skip the checks Publish and Schedule make.
    refused = await t.say("/edit #1 Changed by the admin", "ana")
    assert HELD in refused.text, refused.text
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.text == "Approved words"
    assert post.targets[Network.LINKEDIN].text is None
    resumed = await t.say("/queue resume")
    assert "Scheduled again: #1." in resumed.text, resumed.text
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None
    assert post.state is PostState.SCHEDULED and post.text == "Approved words"


async def test_held_post_network_toggle_and_edit_prompt_are_refused(t: TeamHarness) -> None:
    await held_post(t)
    opened = await t.say("/draft 1", "ben")  # opening shows it; changing it is refused
    menu = await t.tap(opened, "Edit", "ben")
    for label in ("Text", "Edit for LinkedIn"):
        answer = await t.tap(menu, label, "ben")
        assert HELD in (answer.toast or answer.text), answer
    answer = await t.tap(opened, "Facebook", "ben")
    assert HELD in (answer.toast or answer.text), answer
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and set(post.targets) == {Network.FACEBOOK, Network.LINKEDIN}
