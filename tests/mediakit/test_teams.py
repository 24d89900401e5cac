"""/mediakit in a team's group: the kit is the team profile's, and only its admins may use it
(a kit publishes the profile's numbers)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatKind, ChatPlatform, ChatRef
from core.roles import Capability, Role, refusal
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, member

PRIVATE = ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE)


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    team = TeamHarness(Harness(uow=uow_factory))
    await team.three()
    return team


async def test_only_team_admins_use_the_teams_kit(t: TeamHarness) -> None:
    for user, role in (("ben", Role.EDITOR), ("cal", Role.VIEWER)):
        reply = await t.h.app.handle_text(member(user), "/mediakit publish")
        assert reply is not None
        assert reply.text == refusal(role, Capability.MANAGE, "Launch crew")
    card = await t.say("/mediakit")
    assert card.image is not None and "Media kit — Launch crew" in card.text
    published = await t.say("/mediakit publish")
    assert "Published" in published.text
    # Ana's own profile has a kit of its own, unpublished.
    own = await t.say("/mediakit kits", chat=PRIVATE)
    assert "not published" in own.text and "(1)" in own.text
    # An editor's tap on the team kit's button is refused too.
    blocks = await t.say("/mediakit blocks")
    tapped = await t.tap(blocks, "+ Separator", "ben")
    assert tapped.toast == refusal(Role.EDITOR, Capability.MANAGE, "Launch crew")
