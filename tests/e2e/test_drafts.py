"""Several drafts per profile end to end on the test database: /drafts, opening one (which
/schedule and /version then act on), editing its text and media, discarding, bad input."""

from __future__ import annotations

from datetime import timedelta

from core.model import Network
from core.states import PostState
from tests.e2e.conftest import BuildServices
from tests.e2e.drafts_support import Chat, labels, pro_chat
from tests.fakes.clock import FixedClock

PHOTO = "https://cdn.example.com/a.jpg"


async def state_of(chat: Chat, post_id: int) -> PostState:
    async with chat.services.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.state


async def test_drafts_are_listed_paged_opened_and_the_opened_one_is_scheduled(
    make_services: BuildServices, clock: FixedClock
) -> None:
    chat = await pro_chat(make_services, "facebook", "linkedin")
    assert (await chat.said("/drafts")).text == "No drafts. Compose one with /post <text>."
    for n in range(1, 8):
        await chat.said(f"/post Draft number {n}")
        clock.advance(timedelta(minutes=1))
    await chat.said("/schedule #7 tomorrow 9:00")  # scheduled: no longer a draft

    first = await chat.said("/drafts")
    lines = first.text.splitlines()
    assert lines[0] == "Your drafts (6) — page 1 of 2"
    assert lines[1].startswith("#6 “Draft number 6” · Facebook, LinkedIn · edited ")
    assert [line.split()[0] for line in lines[1:]] == ["#6", "#5", "#4", "#3", "#2"]
    assert labels(first) == ["Open #6", "Open #5", "Open #4", "Open #3", "Open #2", "Next »"]
    second = await chat.tap(first, "Next »")
    page_two = second.text.splitlines()
    assert second.edit and len(page_two) == 2 and page_two[1].startswith("#1 ")
    assert page_two[0] == "Your drafts (6) — page 2 of 2"
    assert (await chat.said("/drafts 2")).text == second.text

    # Open #2: it is the draft /schedule acts on now, not the latest (#6).
    opened = await chat.tap(first, "Open #2")
    assert opened.toast == "Draft #2 opened" and "Draft number 2" in opened.text
    scheduled = await chat.said("/schedule tomorrow 10:00")
    assert scheduled.text.startswith("🕒 Scheduled for") and "Draft number 2" in scheduled.text
    assert await state_of(chat, 2) is PostState.SCHEDULED
    assert await state_of(chat, 6) is PostState.DRAFT

    # An edit (a network unticked) puts the draft first in the list.
    message = await chat.show(opened)
    composer = await chat.tap(await chat.said("/draft 3"), "LinkedIn", message=message)
    assert composer.toast == "LinkedIn removed"
    assert (
        (await chat.said("/drafts"))
        .text.splitlines()[1]
        .startswith("#3 “Draft number 3” · Facebook · edited ")
    )
    # A post composed after the opening is what the user works on now.
    await chat.said("/post The newest one")
    assert "The newest one" in (await chat.said("/schedule tomorrow 11:00")).text
    assert await state_of(chat, 3) is PostState.DRAFT


async def test_discarding_the_opened_draft_leaves_the_latest_for_schedule(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook")
    await chat.said("/post First draft")
    await chat.said("/post Second draft")
    composer = await chat.said("/draft 1")
    message = await chat.show(composer)
    discarded = await chat.tap(composer, "Discard", message=message)
    assert discarded.text == "Draft discarded."
    again = await chat.tap(composer, "Discard", message=message)  # repeated
    assert again.toast == "There is no post #1 (it may have been deleted)."
    listed = (await chat.said("/drafts")).text.splitlines()
    assert listed[0] == "Your drafts (1) — page 1 of 1" and listed[1].startswith("#2 ")
    assert "Second draft" in (await chat.said("/schedule tomorrow 9:00")).text


async def test_text_and_media_are_edited_by_buttons_and_by_edit(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook", "linkedin")
    composer = await chat.said("/post Old text")
    message = await chat.show(composer)
    menu = await chat.tap(composer, "Edit…", message=message)
    assert labels(menu)[:2] == ["✏️ Text", "🖼 Media"]

    prompt = await chat.tap(menu, "Text", message=message)
    assert "Send the new text of post #1" in prompt.text
    changed = await chat.said(f"New text\nmedia: {PHOTO}")
    assert changed.toast == "Text and media changed"
    assert "New text" in changed.text and f"1. {PHOTO}" in changed.text

    await chat.tap(menu, "Media", message=message)
    video = "https://cdn.example.com/clip.mp4"
    assert (await chat.said("no links here")).text.startswith("Send a photo or video")
    assert (await chat.said(video)).toast == "Media changed"  # a bare link is taken
    prompt = await chat.tap(menu, "Media", message=message)
    removed = await chat.tap(prompt, "Remove media", message=message)
    assert removed.toast == "Media changed" and "Media:" not in removed.text
    photo = await chat.say("", media=(PHOTO,))  # no prompt now: a photo composes a new post
    assert photo is not None and photo.text.startswith("✍️ New post")

    # /edit #1 opens #1 again (after the photo's #2 was composed): a bare /edit acts on it.
    await chat.said("/version 1 linkedin Same as the next main text")
    edited = await chat.said("/edit #1 Same as the next main text")
    assert edited.toast == "Text changed" and "Versions:" not in edited.text  # merged
    assert (await chat.said("/edit Text for the opened one")).toast == "Text changed"
    await chat.said("/post A newer draft")  # composed after: the bare /edit acts on it
    assert (await chat.said("/edit Text for the newest")).toast == "Text changed"
    async with chat.services.uow() as uow:
        texts = [(p.text, p.versions()) for p in await uow.posts.recent(1, origin=None, limit=3)]
    assert texts == [
        ("Text for the newest", {}),
        ("", {}),  # the photo post
        ("Text for the opened one", {}),
    ]


async def test_bad_draft_input_is_refused_and_changes_nothing(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook")
    assert (await chat.said("/edit Hello")).text == (
        "No draft here to edit. Compose one with /post <text>."
    )
    await chat.said("/post Ana's draft")
    refusals = {
        "/draft abc": "I need a post number here, not 'abc'",
        "/draft 42": "There is no post #42 (it may have been deleted).",
        "/drafts x": "I need a page number here, not 'x'",
        "/edit #1": "Write the new text after /edit",
        "/edit #1 \u200b": "Write the new text after /edit",
        f"/edit #1 {'w' * 63207}": "Your text has 63,207 characters",
        "/edit #1 Hi media: http://insecure.example/a.jpg": "Media must be a web address",
        "/edit #zz Hi": "I need a post number here, not '#zz'",
    }
    for line, answer in refusals.items():
        reply = await chat.said(line)
        assert answer in reply.text, (line, reply.text)
    await chat.said("/start", user="ben")
    assert (await chat.said("/draft 1", user="ben")).text == "Only the author can do that."
    assert (await chat.said("/edit #1 Ben was here", user="ben")).text == (
        "Only the author can do that."
    )
    assert (await chat.said("/drafts", user="ben")).text.startswith("No drafts.")
    await chat.said("/schedule #1 tomorrow 9:00")
    assert (await chat.said("/draft 1")).text.startswith("Post #1 is already scheduled.")
    assert (await chat.said("/edit #1 Changed")).text.startswith("Post #1 is already scheduled.")
    async with chat.services.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.text == "Ana's draft"


async def test_a_group_lists_and_opens_only_its_own_drafts(make_services: BuildServices) -> None:
    chat = await pro_chat(make_services, "facebook")
    await chat.said("/post Private draft")
    await chat.said("/post Group draft", chat="-100")
    group = await chat.said("/drafts", chat="-100")
    assert group.text.splitlines() == [
        "Your drafts (1 in this chat) — page 1 of 1",
        group.text.splitlines()[1],
    ]
    assert "Group draft" in group.text
    assert (await chat.said("/draft 1", chat="-100")).text.startswith(
        "There is no post #1 in this chat"
    )
    assert (await chat.said("/drafts")).text.startswith("Your drafts (2)")
    # The group's prompt waits in the group only.
    composer = await chat.said("/draft 2", chat="-100")
    menu = await chat.tap(composer, "Edit…", chat="-100")
    prompt = await chat.tap(menu, "Edit for Facebook", chat="-100")
    assert "(in a group, type it as a command)" in prompt.text
    assert await chat.say("Not for the group draft") is None  # said in private
    taken = await chat.said("Facebook words", chat="-100")
    assert taken.toast == "Facebook version set"
    async with chat.services.uow() as uow:
        post = await uow.posts.get(2)
    assert post is not None and post.versions() == {Network.FACEBOOK: "Facebook words"}
