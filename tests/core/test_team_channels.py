"""A channel is never linked to a team profile: its posters have no role (review 19 H2)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.channel_links import CODE_TTL, ChatLink, LinkCode, digest, new_code
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity
from core.states import PostState
from tests.core.harness import Harness, find_button
from tests.core.teams_world import TeamHarness, team_with_facebook

NEWS = ChatRef(ChatPlatform.CONSOLE, "#news", kind=ChatKind.CHANNEL)
CHANNEL = Actor(Identity(ChatPlatform.CONSOLE, "#news"), NEWS, "News")


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    # Ana posts as the team in private (the team chat's /connect deep link chooses it).
    team = await team_with_facebook(Harness(uow=uow_factory))
    await team.say("/approvals on")
    return team


async def test_link_while_posting_as_a_team_is_refused(t: TeamHarness) -> None:
    refused = await t.h.say("/link")
    assert "can't be linked to the team Launch crew" in refused.text, refused.text
    assert "/link " not in refused.text.replace("/link it", "")
    team = await t.team()
    async with t.h.uow() as uow:
        assert await uow.links.for_profile(team.profile_id) == []


async def test_a_team_code_made_before_is_refused_in_the_channel(t: TeamHarness) -> None:
    team = await t.team()
    code, now = new_code(), t.h.clock.now()
    async with t.h.uow() as uow:  # as /link issued it for a team before it refused to
        await uow.links.add_code(LinkCode(digest(code), team.profile_id, now, now + CODE_TTL))
        await uow.commit()
    answer = await t.h.app.handle_text(CHANNEL, f"/link {code}")
    assert answer is not None and "code is a team's" in answer.text, answer
    async with t.h.uow() as uow:
        assert await uow.links.link_of(CHANNEL.identity) is None


async def test_a_channel_linked_to_a_team_earlier_posts_nothing_for_it(t: TeamHarness) -> None:
    team = await t.team()
    mine = await t.h.app.handle_text(CHANNEL, "/post Made before the team link")
    assert mine is not None
    async with t.h.uow() as uow:  # a link made before /link refused teams
        link = ChatLink(0, CHANNEL.identity, team.profile_id, "News", t.h.clock.now())
        await uow.links.add(link)
        await uow.commit()
    refused = await t.h.app.handle_text(CHANNEL, "/post From the channel")
    assert refused is not None and "linked to the team Launch crew" in refused.text, refused
    await t.h.messenger.send(NEWS, mine)
    button = find_button(mine, "Publish now")
    answer = await t.h.app.handle_tap(CHANNEL, button.callback_data, t.h.message_of(mine))
    assert "linked to the team Launch crew" in answer.toast + answer.text, answer
    async with t.h.uow() as uow:
        posts = await uow.posts.recent(team.profile_id, origin=None, limit=10)
    assert all(p.state is PostState.DRAFT for p in posts)
    # A team admin unlinks it while posting as the team; the channel is its own again.
    listed = await t.h.say("/unlink")
    await t.h.tap(listed, "Unlink")
    assert (await t.h.app.handle_text(CHANNEL, "/status")) is not None
    async with t.h.uow() as uow:
        assert await uow.links.link_of(CHANNEL.identity) is None
