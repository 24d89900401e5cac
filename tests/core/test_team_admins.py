"""A team always keeps an admin: concurrent demotions, /forget of the last admin (review 19)."""

from __future__ import annotations

import asyncio

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, Identity
from core.roles import Role
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, member


@pytest.fixture
async def t(uow_factory: SqlUnitOfWorkFactory) -> TeamHarness:
    team = TeamHarness(Harness(uow=uow_factory))
    await team.three()
    return team


async def _admins(t: TeamHarness) -> list[str]:
    team = await t.team()
    async with t.h.uow() as uow:
        members = await uow.teams.members(team.id)
    return sorted(m.identity.user for m in members if m.active and m.role is Role.ADMIN)


async def test_two_admins_demoting_each_other_at_once_keep_one_admin(t: TeamHarness) -> None:
    for _ in range(6):
        await t.say("/team role @ben admin", await _boss(t))
        assert await _admins(t) == ["ana", "ben"]
        answers = await asyncio.gather(
            t.h.app.handle_text(member("ana"), "/team role @ben viewer"),
            t.h.app.handle_text(member("ben"), "/team role @ana viewer"),
        )
        texts = [a.text for a in answers if a is not None]
        assert len(await _admins(t)) == 1, texts
        assert any("last admin" in x for x in texts), texts
        for user in ("ana", "ben"):
            if user not in await _admins(t):
                await t.say(f"/team role @{user} admin", await _boss(t))


async def test_two_admins_removing_each_other_at_once_keep_one_admin(t: TeamHarness) -> None:
    await t.say("/team role @ben admin")
    answers = await asyncio.gather(
        t.h.app.handle_text(member("ana"), "/team remove @ben"),
        t.h.app.handle_text(member("ben"), "/team remove @ana"),
    )
    assert len(await _admins(t)) == 1, [a.text for a in answers if a]


async def _boss(t: TeamHarness) -> str:
    return (await _admins(t))[0]


async def test_the_last_admin_cannot_forget_until_someone_else_is_admin(t: TeamHarness) -> None:
    # Ana (chat admin) makes Ben admin and leaves; Ben is the last admin and no chat admin.
    assert (await t.say("/team role @ben admin")).text.startswith("@ben is now admin")
    assert (await t.say("/team leave")).text.startswith("You left")
    refused = await t.h.say("/forget", "ben")
    assert "last admin of Launch crew" in refused.text, refused.text
    assert "/team role @user admin" in refused.text
    assert not refused.buttons
    assert await _admins(t) == ["ben"]
    # Once Cal is admin, Ben's /forget goes through, and Cal keeps the team.
    await t.say("/team role @cal admin", "ben")
    asked = await t.h.say("/forget", "ben")
    done = await t.h.tap(asked, "Yes, delete everything", "ben")
    assert done.text.startswith("Done"), done.text
    assert await _admins(t) == ["cal"]


async def test_forget_asked_while_another_admin_is_refused_at_the_tap(t: TeamHarness) -> None:
    await t.say("/team role @ben admin")
    asked = await t.h.say("/forget", "ben")
    # Between the question and the tap Ben demotes Ana: he is now the last admin.
    assert (await t.say("/team role @ana editor", "ben")).text.startswith("@ana is now editor")
    refused = await t.h.tap(asked, "Yes, delete everything", "ben")
    assert "last admin of Launch crew" in (refused.toast + refused.text)
    assert await _admins(t) == ["ben"]
    async with t.h.uow() as uow:
        assert await uow.profiles.by_identity(Identity(ChatPlatform.CONSOLE, "ben")) is not None


async def test_an_at_handle_never_matches_a_display_name(t: TeamHarness) -> None:
    from core.handlers import Actor
    from tests.core.teams_world import CREW

    # Mallory has no @username and calls herself "dan"; the real @dan has not written yet.
    mallory = Actor(Identity(ChatPlatform.CONSOLE, "mallory"), CREW, "dan", "", "Crew chat")
    await t.h.app.handle_text(mallory, "/team")
    answer = await t.say("/team role @dan admin")
    assert "I don't know @dan" in answer.text, answer.text
    assert await _admins(t) == ["ana"]
