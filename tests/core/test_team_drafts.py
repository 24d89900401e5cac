"""Drafts and versions in a team's chat: each member has their own opened draft and prompt,
and the role decides who may change the team's drafts (SQL)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import Network
from core.roles import Capability, Role, refusal
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, member
from tests.core.test_approvals import cards, ready


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    team = TeamHarness(Harness(uow=uow_factory))
    await team.three()
    return team


async def test_members_prompts_are_their_own_and_viewers_change_nothing(t: TeamHarness) -> None:
    app = t.h.app
    composer = await t.say("/post The team's launch post", "ben")
    composer = await t.tap(composer, "Facebook", "ben")  # ticked (not connected yet)
    assert (await t.say("/drafts", "cal")).text.startswith("Your drafts (1 in this chat)")
    menu = await t.tap(composer, "Edit…", "ben")
    asked = await t.tap(menu, "Edit for Facebook", "ben")
    assert asked.text.startswith("Send ")
    viewer = refusal(Role.VIEWER, Capability.COMPOSE, "Launch crew")
    assert (await t.tap(menu, "Edit for Facebook", "cal")).toast == viewer
    assert (await t.say("/version 1 facebook Cal's words", "cal")).text == viewer
    # Ana's and Cal's messages in the chat are not Ben's answer; his is.
    assert await app.handle_text(member("ana"), "Ana chatting") is None
    assert await app.handle_text(member("cal"), "Cal chatting") is None
    taken = await t.say("Ben's own words", "ben")
    assert taken.toast is not None and taken.toast.endswith("version set")
    async with t.h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.versions() == {Network.FACEBOOK: "Ben's own words"}
    # Nor can a viewer schedule the team's draft.
    assert (await t.say("/schedule tomorrow 9:00", "cal")).text == viewer


async def test_the_approval_card_shows_each_networks_own_text(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    t = TeamHarness(Harness(uow=uow_factory))
    await ready(t)
    composer = await t.say("/post Launch day for everyone", "ben")
    await t.say("/version 1 linkedin A longer launch note for our LinkedIn readers", "ben")
    answer = await t.tap(composer, "Publish now", "ben")
    assert answer.toast == "Sent for approval"
    [card] = cards(t)
    assert "— Facebook 23/63,206 —\nLaunch day for everyone" in card.text
    assert "— LinkedIn 45/3,000 —\nA longer launch note for our LinkedIn readers" in card.text
    # Awaiting approval, the draft's texts are fixed: the card shows what goes out.
    refused = await t.say("/version 1 linkedin Changed behind the card", "ben")
    assert refused.text.startswith("Post #1 is")
