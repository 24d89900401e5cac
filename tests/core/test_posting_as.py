""" "Posting as" through Postroom on SQL: a member chooses in private where a draft goes, the
choice is remembered per identity, and a team they left is refused clearly."""

from __future__ import annotations

from core.actions import Action
from core.replies import Reply, mark
from tests.core.harness import find_button
from tests.core.teams_world import TeamHarness


async def owner_of(t: TeamHarness, reply: Reply) -> int:
    post_id = int(find_button(reply, "Publish").arg)
    async with t.h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.profile_id


async def test_a_member_moves_a_draft_to_the_team_and_the_choice_stays(t: TeamHarness) -> None:
    team = await t.three()
    mine = await t.h.say("/post Our launch", "ben")
    assert mine.text.startswith("Posting as: yourself ▾\n✍️ New post")
    personal = await owner_of(t, mine)
    assert personal != team.profile_id

    moved = await t.h.tap(mine, "Posting as", "ben")
    assert moved.toast == "Posting as Launch crew"
    assert moved.text.startswith("Posting as: Launch crew ▾\n✍️ New post")
    assert await owner_of(t, moved) == team.profile_id
    # Its buttons are the team's now: the editor ticks a network, the admin in the group may too.
    ticked = await t.h.tap(moved, "Facebook", "ben")
    assert ticked.toast == "Facebook added"

    # Remembered: the next private /post goes to the team, and cycles back to Ben's own.
    again = await t.h.say("/post Second one", "ben")
    assert again.text.startswith("Posting as: Launch crew ▾")
    assert await owner_of(t, again) == team.profile_id
    back = await t.h.tap(again, "Posting as", "ben")
    assert back.text.startswith("Posting as: yourself ▾")
    assert await owner_of(t, back) == personal
    assert (await t.h.say("/post Third", "ben")).text.startswith("Posting as: yourself ▾")


async def test_viewers_and_people_in_no_team_see_no_choice(t: TeamHarness) -> None:
    await t.three()
    viewer = await t.h.say("/post Just mine", "cal")
    assert viewer.text.startswith("✍️ New post")
    nobody = await t.h.say("/post Hello", "zoe")
    assert nobody.text.startswith("✍️ New post")


async def test_a_team_left_since_choosing_it_is_refused_clearly(t: TeamHarness) -> None:
    team = await t.three()
    draft = await t.h.say("/post For the team", "ben")
    moved = await t.h.tap(draft, "Posting as", "ben")
    await t.say("/team remove @ben")
    tapped = await t.h.tap(moved, "Publish now", "ben")
    assert tapped.toast is not None
    assert tapped.toast.startswith("You are no longer a member of Launch crew")
    refused = await t.h.say("/post One more", "ben")
    assert refused.text.startswith("You are no longer a member of Launch crew")
    assert refused.text.endswith("You post as yourself again from now on.")
    after = await t.h.say("/post One more", "ben")
    assert after.text.startswith("✍️ New post")  # no team to choose any more
    assert await owner_of(t, after) != team.profile_id


async def test_posting_as_buttons_refuse_bad_forged_and_foreign_data(t: TeamHarness) -> None:
    team = await t.three()
    draft = await t.h.say("/post Mine", "ben")
    message = t.h.message_of(draft)
    post_id = find_button(draft, "Publish").arg
    personal = await owner_of(t, draft)
    now = t.h.clock.now()

    async def tap(data: str, user: str = "ben") -> str:
        answer = await t.h.app.handle_tap(t.h.actor(user), data, message)
        return answer.toast or answer.text

    sealed = f"~{mark(personal, now)}"
    assert (await tap(f"{Action.POSTING_AS.value}:{post_id}:x{sealed}")).startswith(
        "This button is broken"
    )
    assert (await tap(f"{Action.POSTING_AS.value}:{post_id}:999{sealed}")).startswith(
        "You are not in that team"
    )
    # Cal is a viewer: no team draft for him, and Ben's button is not his.
    assert await tap(f"{Action.POSTING_AS.value}:{post_id}:{team.id}{sealed}", "cal") == (
        "Only the author can do that."
    )
    cal_draft = await t.h.say("/post Cal's", "cal")
    cal_post = find_button(cal_draft, "Publish").arg
    cal_seal = f"~{mark(await owner_of(t, cal_draft), now)}"
    refused = await t.h.app.handle_tap(
        t.h.actor("cal"),
        f"{Action.POSTING_AS.value}:{cal_post}:{team.id}{cal_seal}",
        t.h.message_of(cal_draft),
    )
    assert refused.toast == "You are a viewer of Launch crew: you cannot post for it."
    # Not a draft any more: nothing moves.
    await t.h.tap(draft, "Discard", "ben")
    gone = await tap(f"{Action.POSTING_AS.value}:{post_id}:{team.id}{sealed}")
    assert gone == f"There is no post #{post_id} (it may have been deleted)."
    # In a group, the choice is not offered: posts there go to the team.
    in_group = await t.h.app.handle_tap(
        t.h.actor("ben").__class__(t.h.actor("ben").identity, team.chat, "Ben"),
        f"{Action.POSTING_AS.value}:{team.id}{sealed}",
        message,
    )
    assert in_group.toast == "Choose where your posts go in a private chat with me."


async def test_team_lists_the_choices_in_private(t: TeamHarness) -> None:
    await t.three()
    listing = await t.h.say("/team", "ben")
    assert listing.text.splitlines() == [
        "Your teams:",
        "• Launch crew — editor",
        "Posting as: yourself. What you do here is for that profile.",
    ]
    chosen = await t.h.tap(listing, "Posting as: Launch crew", "ben")
    assert chosen.toast == "Posting as Launch crew"
    assert "Posting as: Launch crew." in chosen.text
    status = await t.h.say("/posts", "ben")
    assert status.text.startswith("No posts")


async def test_a_viewer_is_not_offered_the_team_to_post_as(t: TeamHarness) -> None:
    await t.three()
    listing = await t.h.say("/team", "cal")
    assert "• Launch crew — viewer" in listing.text
    assert [b.label for row in listing.buttons for b in row] == ["Posting as: yourself"]
