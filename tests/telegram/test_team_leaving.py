"""Leaving a team's Telegram group ends the membership (review 19 M6): the `chat_member` update
a group admin bot gets, and the `left_chat_member` service message, through the fake Bot API."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, Identity
from core.roles import Role
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, User
from tests.telegram.test_teams import CAL, GROUP_ID, said, three

LEFT = "You are no longer a member of Launch crew"


@pytest.fixture
async def world(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    world = await make_world(uow=uow_factory)
    world.fake.admins.add((GROUP_ID, ANA.id))
    await three(world)
    return world


def _chat_member(world: World, user: User, old: str, new: str) -> dict[str, object]:
    """A `chat_member` update as Telegram sends it (https://core.telegram.org/bots/api#chatmemberupdated)."""
    return {
        "update_id": next(world.tg._update_ids),
        "chat_member": {
            "chat": GROUP,
            "from": ANA.json(),
            "date": 1795000000,
            "old_chat_member": _member(old, user),
            "new_chat_member": _member(new, user),
        },
    }


def _member(status: str, user: User) -> dict[str, object]:
    """A ChatMember with the fields its status requires (https://core.telegram.org/bots/api#chatmember)."""
    extra: dict[str, object] = {
        "kicked": {"until_date": 0},
        "creator": {"is_anonymous": False},
    }.get(status, {})
    return {"status": status, "user": user.json(), **extra}


async def _roles(uow_factory: SqlUnitOfWorkFactory) -> dict[str, tuple[Role, bool]]:
    async with uow_factory() as uow:
        team = (await uow.teams.memberships(Identity(ChatPlatform.TELEGRAM, str(CAL.id))))[0][0]
        members = await uow.teams.members(team.id)
    return {m.identity.user: (m.role, m.active) for m in members}


async def test_a_kicked_editor_acts_for_the_team_nowhere(
    world: World, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tg = world.tg
    # Ben posts as the team from his private chat.
    await tg.say("/team", user=BEN)
    await tg.tap("Posting as: Launch crew", user=BEN, chat_id=BEN.id)
    await tg.deliver(_chat_member(world, BEN, "member", "kicked"))
    assert (await _roles(uow_factory))[str(BEN.id)] == (Role.EDITOR, False)
    await tg.say("/post From outside", user=BEN)
    assert tg.last(BEN.id).text.startswith(LEFT), tg.last(BEN.id).text
    await tg.say("/post In the group", user=BEN, chat=GROUP)
    assert said(tg).startswith(LEFT), said(tg)
    # A repeated update changes nothing.
    await tg.deliver(_chat_member(world, BEN, "kicked", "kicked"))
    assert (await _roles(uow_factory))[str(BEN.id)] == (Role.EDITOR, False)


async def test_the_left_chat_member_message_ends_membership(
    world: World, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tg = world.tg
    data = tg.message_update("start", user=CAL, chat=GROUP)
    message = data["message"]
    message.pop("text", None)
    message.pop("entities", None)
    message["left_chat_member"] = CAL.json()
    await tg.deliver(data)
    assert (await _roles(uow_factory))[str(CAL.id)] == (Role.VIEWER, False)
    await tg.say("/posts", user=CAL, chat=GROUP)
    assert said(tg).startswith(LEFT), said(tg)


async def test_the_last_admin_leaving_hands_over_to_a_chat_admin(
    world: World, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tg = world.tg
    world.fake.admins.add((GROUP_ID, CAL.id))  # Cal administers the group, a viewer here
    await tg.deliver(_chat_member(world, ANA, "creator", "left"))
    roles = await _roles(uow_factory)
    assert roles[str(ANA.id)] == (Role.ADMIN, False)
    assert roles[str(CAL.id)] == (Role.ADMIN, True)


async def test_a_team_without_an_admin_adopts_the_next_chat_admin(
    world: World, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tg = world.tg
    await tg.deliver(_chat_member(world, ANA, "creator", "left"))
    roles = await _roles(uow_factory)
    assert not any(r is Role.ADMIN and active for r, active in roles.values())
    # Ben becomes a group admin and writes in the group: the team is his to manage now.
    world.fake.admins.add((GROUP_ID, BEN.id))
    await tg.say("/team role @cal_c editor", user=BEN, chat=GROUP)
    assert said(tg) == "@cal_c is now editor of Launch crew.", said(tg)
    assert (await _roles(uow_factory))[str(BEN.id)] == (Role.ADMIN, True)
