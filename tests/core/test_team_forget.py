"""/forget with teams, on SQL: a member's /forget takes only their membership; an admin's
/forget in the team chat deletes the team profile, and its old buttons then do nothing."""

from __future__ import annotations

from core.model import ChatPlatform, Identity
from tests.core.teams_world import CREW, TeamHarness


async def test_a_members_forget_takes_their_membership_and_the_team_stays(
    t: TeamHarness,
) -> None:
    team = await t.three()
    await t.say("/post Team post", "ben")
    question = await t.h.say("/forget", "ben")
    done = await t.h.tap(question, "Yes, delete everything", "ben")
    assert done.text.startswith("Done: your profile and everything")
    async with t.h.uow() as uow:
        members = [m.identity.user for m in await uow.teams.members(team.id)]
        still = await uow.teams.team_in_chat(CREW)
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert members == ["ana", "cal"]
    assert still == team
    assert [p.text for p in posts] == ["Team post"]  # the team's, not Ben's
    # Writing in the chat again, Ben is a new member: a viewer.
    await t.say("/posts", "ben")
    assert "• @ben — viewer" in (await t.say("/team")).text


async def test_an_admin_forgets_the_team_in_its_chat(t: TeamHarness) -> None:
    team = await t.three()
    composer = await t.say("/post Team post", "ben")
    refused = await t.say("/forget", "ben")
    assert refused.text == "You are an editor of Launch crew: only an admin can manage the team."
    question = await t.say("/forget")
    assert question.text.startswith("Delete the team profile Launch crew? This cannot be undone.")
    assert "1 post" in question.text
    by_viewer = await t.tap(question, "Yes, delete everything", "cal")
    assert by_viewer.toast == "You are a viewer of Launch crew: only an admin can manage the team."
    done = await t.tap(question, "Yes, delete everything")
    assert done.text.startswith("Done: the team profile Launch crew and everything")
    async with t.h.uow() as uow:
        assert await uow.teams.team_in_chat(CREW) is None
        assert await uow.profiles.get(team.profile_id) is None
        assert await uow.teams.memberships(Identity(ChatPlatform.CONSOLE, "ana")) == []
        ana = await uow.profiles.by_identity(Identity(ChatPlatform.CONSOLE, "ana"))
    assert ana is not None  # members keep their own profiles
    old = await t.tap(composer, "Publish now", "ben")
    assert old.toast is not None and "has been deleted (/forget)" in old.toast
    # The chat can become a team again.
    made = await t.say("/team create Second crew")
    assert made.text.startswith("✅ Second crew is a team profile now")


async def test_a_team_name_is_cleaned_and_cut(t: TeamHarness) -> None:
    made = await t.say("/team create  Crew\u200b\u0007 " + "x" * 200)
    assert made.text.startswith("✅ Crew " + "x" * 59 + " is a team profile now")
    team = await t.team()
    assert len(team.name) == 64 and "\u0007" not in team.name and "\u200b" not in team.name
