"""Text as users type it and as the bot shows it back: the media marker, invisible posts,
previews without escapes, inline code, dates in examples, counted words and time refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import replies
from core.model import Network
from core.states import PostState
from tests.core.harness import VIDEO, Harness
from tests.fakes.clock import FixedClock

FB, TT = Network.FACEBOOK, Network.TIKTOK
FAMILY = "Family 👨\u200d👩\u200d👧"
QUOTES = 'It\'s "great" \\ backslash'


# --- item 10: the media marker ------------------------------------------------------------


async def test_media_in_a_sentence_is_text(harness: Harness) -> None:
    composer = await harness.compose("I love social media: it's great", FB)
    assert composer.text.startswith("✍️ New post — 31 characters, no media")
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.text == "I love social media: it's great" and post.media == ()


async def test_media_marker_on_its_own_line_or_before_links(harness: Harness) -> None:
    await harness.connect(FB)
    own_line = await harness.say(f"/post Launch: social media: day\nmedia: {VIDEO}")
    assert "1 media" in own_line.text
    same_line = await harness.say(
        f"/post Launch day! media: {VIDEO} https://cdn.example.com/b.jpg"
    )
    assert "2 media" in same_line.text
    async with harness.uow() as uow:
        first, second = await uow.posts.get(1), await uow.posts.get(2)
    assert first is not None and first.text == "Launch: social media: day"
    assert first.media == (VIDEO,)
    assert second is not None and second.text == "Launch day!"
    # Written as a marker at a line start, what follows must be web addresses.
    marked = await harness.say("/post Hello\nmedia: it's great")
    assert marked.text == 'Media must be a web address starting with https://, not "it\'s".'


async def test_plain_http_media_is_refused_as_the_message_says(harness: Harness) -> None:
    reply = await harness.say("/post Hi\nmedia: http://cdn.example.com/a.jpg")
    assert reply.text == (
        "Media must be a web address starting with https://, not 'http://cdn.example.com/a.jpg'."
    )
    async with harness.uow() as uow:
        assert await uow.posts.get(1) is None


# --- item 13: posts of invisible characters -----------------------------------------------


@pytest.mark.parametrize("text", ["\u200b", "\ufeff", "\u200b \u2060\ufeff", "\u3164", "\u200d"])
async def test_a_post_of_invisible_characters_is_empty(harness: Harness, text: str) -> None:
    await harness.connect(FB)
    reply = await harness.say(f"/post {text}")
    assert reply.text.startswith("Empty post: write something after /post")
    assert "No draft to schedule" in (await harness.say("/schedule in 2h")).text
    async with harness.uow() as uow:
        assert await uow.posts.get(1) is None


async def test_media_with_invisible_text_is_media_only(harness: Harness) -> None:
    composer = await harness.compose(f"\u200b\nmedia: {VIDEO}", FB)
    assert composer.text.startswith("✍️ New post — 0 characters, 1 media")
    assert "(no text)" in composer.text


# --- item 19: previews as written -----------------------------------------------------------


async def test_lists_and_delete_show_the_text_as_written(harness: Harness) -> None:
    await harness.compose(FAMILY, FB)
    await harness.say(f"/post {QUOTES}")
    listed = await harness.say("/posts")
    assert f"· “{FAMILY}”" in listed.text
    assert f"· “{QUOTES}”" in listed.text
    assert "\\u200d" not in listed.text and "\\\\" not in listed.text
    asked = await harness.say("/delete 2")
    assert asked.text == f"Delete post #2 — “{QUOTES}”?"
    asked = await harness.say("/delete 1")
    assert asked.text == f"Delete post #1 — “{FAMILY}”?"


async def test_long_previews_are_cut_between_characters(harness: Harness) -> None:
    flags = "🇩🇪🇫🇷" * 40
    await harness.compose(flags, FB)
    await harness.say("/post " + "e\u0301" * 100)  # é as e + combining accent
    await harness.say("/post " + "👍🏽" * 80)
    listed = (await harness.say("/posts")).text
    assert "“" + "🇩🇪🇫🇷" * 14 + "🇩🇪…”" in listed  # 29 flags, then "…"
    assert "“" + "e\u0301" * 29 + "…”" in listed
    assert "“" + "👍🏽" * 29 + "…”" in listed


async def test_the_composer_keeps_line_breaks_and_lists_every_medium(harness: Harness) -> None:
    media = [f"https://cdn.example.com/{n}.jpg" for n in range(1, 5)]
    composer = await harness.compose("Line one\n\nLine three\nmedia: " + " ".join(media), FB)
    assert "\nLine one\n\nLine three\n" in composer.text
    assert "Media:\n" + "\n".join(f"{n}. {m}" for n, m in enumerate(media, 1)) in composer.text


# --- item 20: inline code and examples ------------------------------------------------------


async def test_commands_to_type_are_marked_as_code(harness: Harness) -> None:
    reply = await harness.say("/post")
    assert "`" not in reply.text
    assert (
        "e.g. "
        + replies.CODE_START
        + "/post Launch day! 🚀"
        + replies.CODE_END
        + ", or send a photo"
    ) in reply.text
    assert ("/post Launch day! 🚀", True) in replies.spans(reply.text.splitlines()[0])
    # Users cannot forge a code span: the marks are stripped from what they send.
    await harness.connect(FB)
    await harness.say(f"/post A {replies.CODE_START}fake{replies.CODE_END} span")
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.text == "A fake span"


async def test_examples_use_a_date_relative_to_today() -> None:
    h = Harness(clock=FixedClock(datetime(2027, 3, 10, 12, 0, tzinfo=UTC)))
    assert (
        "/schedule <time> — schedule your draft: 2027-03-17 09:30," in (await h.say("/help")).text
    )
    composer = await h.compose("Spring", FB)
    menu = await h.tap(composer, "Schedule")
    assert "/schedule 2027-03-17 09:30" in replies.unmark(menu.text)
    refused = await h.say("/schedule whenever")
    assert "Try 2027-03-17 09:30, tomorrow 9:00" in replies.unmark(refused.text)
    assert "2026-12-01" not in replies.unmark(refused.text + menu.text)


# --- item 21: time refusals name what was typed ---------------------------------------------


async def test_schedule_refusals_say_what_is_wrong(harness: Harness) -> None:
    await harness.compose("Timing", FB)
    far = await harness.say("/schedule in 99999999h")
    assert far.text == (
        "“in 99999999h” is more than a year ahead; posts can be scheduled at most a year ahead."
    )
    assert "more than a year ahead" in (await harness.say("/schedule in 9000h")).text
    now = await harness.say("/schedule in 0d")
    assert (
        replies.unmark(now.text) == "“in 0d” is now, not later: use a number above 0, e.g. in 1h."
    )
    assert "is now, not later" in (await harness.say("/schedule in 000m")).text
    assert "can't read" in (await harness.say("/schedule in ²h")).text  # no crash
    async with harness.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT


# --- item 23: counted words -----------------------------------------------------------------


async def test_one_character_is_singular(harness: Harness) -> None:
    composer = await harness.compose("A", FB)
    assert composer.text.startswith("✍️ New post — 1 character, no media")
    later = await harness.say("/post AB")
    assert later.text.startswith("✍️ New post — 2 characters, no media")
