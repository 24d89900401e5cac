"""Every command and every button of the tables is checked against the member's role."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.actions import Action
from core.replies import mark
from core.roles import (
    ACTION_CAPABILITY,
    COMMAND_CAPABILITY,
    ROLE_CAPABILITIES,
    Capability,
    Role,
    allows,
    holders,
    refusal,
)
from core.teams import TeamMember
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, member

WHO = {Role.ADMIN: "ana", Role.EDITOR: "ben", Role.VIEWER: "cal"}


def test_the_tables_cover_every_action_and_core_command() -> None:
    assert set(ACTION_CAPABILITY) == set(Action)
    core_commands = Harness().app.command_names()
    missing = {c for c in core_commands if c not in COMMAND_CAPABILITY}
    # Plug-ins (stats, digests, import and export, engage, …) declare theirs with add_command.
    plugged = {"stats", "report", "track", "campaign", "hide", "unhide", "digest"}
    assert missing == plugged | {"import", "export"} | {"templates", "slots", "queue"} | {
        "comments",
        "engage",
        "reply",
    }


def test_roles_hold_what_the_issue_says() -> None:
    assert ROLE_CAPABILITIES[Role.ADMIN] == frozenset(Capability)
    assert ROLE_CAPABILITIES[Role.EDITOR] == {Capability.COMPOSE, Capability.VIEW}
    assert ROLE_CAPABILITIES[Role.VIEWER] == {Capability.VIEW}
    assert allows(None, Capability.BILLING)  # one's own profile
    assert Role.parse(" Editor ") is Role.EDITOR and Role.parse("boss") is None
    for role in Role:
        for capability in Capability:
            assert len(refusal(role, capability, "x" * 300)) <= 200


def test_approvers_are_the_admins() -> None:
    from core.model import ChatPlatform, Identity

    members = [TeamMember(1, Identity(ChatPlatform.CONSOLE, u), r) for r, u in WHO.items()]
    assert [m.identity.user for m in holders(members, Capability.APPROVE)] == ["ana"]


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    team = TeamHarness(Harness(uow=uow_factory))
    await team.three()
    return team


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("command", sorted(COMMAND_CAPABILITY))
async def test_each_command_in_the_team_chat_is_checked(
    t: TeamHarness, command: str, role: Role
) -> None:
    needs = COMMAND_CAPABILITY[command]
    reply = await t.h.app.handle_text(member(WHO[role]), f"/{command}")
    assert reply is not None
    refused = refusal(role, needs, "Launch crew")
    if allows(role, needs):
        assert reply.text != refused
    else:
        assert reply.text == refused


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
async def test_each_button_on_the_teams_messages_is_checked(
    t: TeamHarness, action: Action, role: Role
) -> None:
    team = await t.team()
    composer = await t.say("/post A post to tap on", "ben")
    post_id = composer.buttons[0][0].arg.partition(":")[0]
    data = f"{action.data(post_id, 'facebook')}~{mark(team.profile_id, t.h.clock.now())}"
    async with t.h.uow() as uow:
        before = await uow.posts.get(int(post_id))
    answer = await t.h.app.handle_tap(member(WHO[role]), data, t.h.message_of(composer))
    needs = ACTION_CAPABILITY[action]
    refused = refusal(role, needs, "Launch crew")
    if allows(role, needs):
        assert answer.toast != refused
    else:
        assert (answer.toast, answer.text) == (refused, "")
        async with t.h.uow() as uow:
            assert await uow.posts.get(int(post_id)) == before  # nothing changed
