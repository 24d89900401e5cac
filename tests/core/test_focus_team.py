"""In a team's chat each member keeps their own draft: a team mate's /post neither takes
their focus nor becomes what their /edit, /version or /schedule act on (review finding 3)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import Network, Post
from core.states import PostState
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness
from tests.core.test_approvals import ready


@pytest.fixture
def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    return TeamHarness(Harness(uow=uow_factory))


async def get(t: TeamHarness, post_id: int) -> Post:
    async with t.h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


async def test_opened_draft_survives_a_team_mates_post(t: TeamHarness) -> None:
    await ready(t, "off")
    await t.say("/post Ana's draft", "ana")
    await t.say("/post Another", "ana")
    await t.say("/draft 1", "ana")
    await t.say("/post Ben's own draft", "ben")  # #3, by a team mate
    await t.say("/edit Ana rewrites her draft", "ana")
    await t.say("/version linkedin Ana's LinkedIn words", "ana")
    assert (await get(t, 3)).text == "Ben's own draft"
    assert (await get(t, 3)).targets[Network.LINKEDIN].text is None
    one = await get(t, 1)
    assert one.text == "Ana rewrites her draft"
    assert one.targets[Network.LINKEDIN].text == "Ana's LinkedIn words"
    # Ben's own commands act on his draft, Ana's /schedule on hers.
    await t.say("/edit Ben rewrites his", "ben")
    assert (await get(t, 3)).text == "Ben rewrites his"
    await t.say("/schedule in 2h", "ana")
    assert (await get(t, 1)).state is PostState.SCHEDULED
    assert (await get(t, 3)).state is PostState.DRAFT


async def test_no_fallback_to_a_team_mates_draft(t: TeamHarness) -> None:
    await ready(t, "off")
    await t.say("/post Ben's draft", "ben")
    for typed in ("/edit Not mine", "/version x Not mine", "/schedule in 2h"):
        answer = await t.say(typed, "ana")  # Ana composed nothing here
        assert "No draft" in answer.text, answer.text
    post = await get(t, 1)
    assert post.text == "Ben's draft" and post.state is PostState.DRAFT
    assert all(x.text is None for x in post.targets.values())
