"""Team profiles through Postroom on SQL: making a team, roles, leaving, the last admin."""

from __future__ import annotations

from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network
from core.roles import Role
from tests.core.teams_world import CREW, TeamHarness

FB = Network.FACEBOOK


async def test_a_chat_admin_makes_a_team_and_members_are_recorded_as_they_write(
    t: TeamHarness,
) -> None:
    refused = await t.say("/team create Mine", "ben")
    assert refused.text == "Only an admin of this chat can make it a team."
    assert (await t.say("/team", "ben")).text.startswith("This chat has no team profile yet")

    team = await t.three()
    again = await t.say("/team create Other name", "ana")
    assert again.text == "This chat already has a team profile: Launch crew. /team shows it."
    shown = await t.say("/team", "cal")
    assert shown.text.splitlines()[:4] == [
        "👥 Launch crew — 3 member(s)",
        "• @ana — admin",
        "• @ben — editor",
        "• @cal — viewer",
    ]
    # The team is a profile like any other, owned by the chat.
    async with t.h.uow() as uow:
        profile = await uow.profiles.get(team.profile_id)
        owner = await uow.profiles.by_identity(Identity(ChatPlatform.CONSOLE, "#crew"))
        members = await uow.teams.members(team.id)
    assert profile is not None and owner is not None and owner.id == profile.id
    assert profile.display_name == "Launch crew"
    assert [(m.identity.user, m.role) for m in members] == [
        ("ana", Role.ADMIN),
        ("ben", Role.EDITOR),
        ("cal", Role.VIEWER),
    ]


async def test_a_new_chat_admin_starts_as_admin_and_the_chat_title_names_a_team(
    t: TeamHarness,
) -> None:
    made = await t.say("/team create")
    assert made.text.startswith("✅ Crew chat is a team profile now")
    t.admins.admins.add((CREW.chat, "dan"))
    await t.say("/posts", "dan")
    shown = await t.say("/team", "dan")
    assert "• @dan — admin" in shown.text
    asked = t.admins.asked
    await t.say("/posts", "dan")
    assert t.admins.asked == asked  # asked once, at first contact; roles are ours after


async def test_role_changes_need_an_admin_and_keep_one_admin(t: TeamHarness) -> None:
    await t.three()
    by_editor = await t.say("/team role @cal admin", "ben")
    assert by_editor.text == (
        "You are an editor of Launch crew: only an admin can manage the team."
    )
    by_viewer = await t.say("/team remove @ben", "cal")
    assert by_viewer.text.startswith("You are a viewer of Launch crew: only an admin")
    unknown = await t.say("/team role @nobody editor")
    assert unknown.text.startswith("I don't know @nobody in Launch crew yet")
    bad = await t.say("/team role @cal boss")
    assert bad.text.startswith("Usage: ")
    assert (await t.say("/team role <script> editor")).text.startswith("Name a member as")
    assert (await t.say("/team role @ben editor")).text == "@ben is already editor."

    last = await t.say("/team role @ana viewer")
    assert "@ana is Launch crew's last admin" in last.text
    assert "last admin" in (await t.say("/team remove @ana")).text
    assert "last admin" in (await t.say("/team leave")).text
    assert "• @ana — admin" in (await t.say("/team")).text

    await t.say("/team role @ben admin")
    assert (await t.say("/team role @ana viewer")).text == "@ana is now viewer of Launch crew."
    refused = await t.say("/team role @ana admin", "ana")
    assert refused.text.startswith("You are a viewer of Launch crew")
    assert (await t.say("/team bogus", "ben")).text.startswith("I don't know ")


async def test_a_member_who_left_is_refused_until_an_admin_adds_them_back(
    t: TeamHarness,
) -> None:
    await t.three()
    assert (await t.say("/team leave", "cal")).text.startswith("You left Launch crew.")
    refused = await t.say("/posts", "cal")
    assert refused.text.startswith("You are no longer a member of Launch crew")
    assert (await t.say("/team", "cal")).text.startswith("You are no longer a member")
    assert "@cal" not in (await t.say("/team")).text

    removed = await t.say("/team remove @ben")
    assert removed.text.startswith("@ben is removed from Launch crew")
    assert (await t.say("/post Sneaky", "ben")).text.startswith("You are no longer a member")
    assert (await t.say("/team remove @ben")).text == "@ben is not in Launch crew."

    back = await t.say("/team role @cal viewer")
    assert back.text == "@cal is now viewer of Launch crew (back in the team)."
    assert (await t.say("/posts", "cal")).text.startswith("No posts")


async def test_team_posts_belong_to_the_team_and_taps_follow_the_role(t: TeamHarness) -> None:
    team = await t.three()
    composer = await t.say("/post Hello from the crew", "ben")
    assert composer.text.startswith("✍️ New post"), composer.text
    async with t.h.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=10)
    assert [p.text for p in posts] == ["Hello from the crew"]
    post = posts[0]

    viewer_tap = await t.tap(composer, "Facebook", "cal")
    assert viewer_tap.toast == (
        "You are a viewer of Launch crew: only an editor or admin can compose or change posts."
    )
    assert viewer_tap.text == ""
    async with t.h.uow() as uow:
        unchanged = await uow.posts.get(post.id)
    assert unchanged is not None and unchanged.targets == post.targets

    ticked = await t.tap(composer, "Facebook", "ana")  # an admin may change it too
    assert ticked.toast == "Facebook added"
    assert (await t.say("/post Me too", "cal")).text.startswith("You are a viewer of Launch")
    assert (await t.say("/connect", "ben")).text == (
        "You are an editor of Launch crew: only an admin can connect accounts."
    )
    # Somebody's own buttons from their private chat stay theirs alone.
    mine = await t.h.say("/post Private draft", "cal")
    other = await t.h.app.handle_tap(
        t.h.actor("ben"), mine.buttons[0][0].callback_data, t.h.message_of(mine)
    )
    assert other.toast == "Only the author can do that."


async def test_a_foreign_teams_button_does_nothing(t: TeamHarness) -> None:
    await t.three()
    composer = await t.say("/post Crew only", "ben")
    elsewhere = ChatRef(ChatPlatform.CONSOLE, "#other", kind=ChatKind.SHARED)
    t.admins.admins.add((elsewhere.chat, "eve"))
    await t.say("/team create Rivals", "eve", chat=elsewhere)
    from tests.core.teams_world import member

    tapped = await t.h.app.handle_tap(
        member("eve", elsewhere), composer.buttons[0][0].callback_data, t.h.message_of(composer)
    )
    assert tapped.toast == "This button is Launch crew's, and you are not in that team."


async def test_team_create_is_refused_in_private_and_channels(t: TeamHarness) -> None:
    assert (await t.h.say("/team create X")).text.startswith("A team belongs to a group chat")
    assert (await t.h.say("/team")).text.startswith("You are in no team.")
    channel = ChatRef(ChatPlatform.CONSOLE, "#news", kind=ChatKind.CHANNEL)
    assert (await t.say("/team create", "ana", chat=channel)).text.startswith(
        "Teams live in groups"
    )
