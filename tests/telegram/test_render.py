"""Rendering replies within Telegram's limits: escaping, fields, splitting, keyboards."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.telegram.render import (
    ELLIPSIS,
    MAX_PARTS,
    TEXT_LIMIT,
    keyboard,
    lines,
    split,
    toast,
    trim,
    units,
)
from core import replies
from core.actions import Action
from core.model import ChatPlatform, ChatRef
from core.replies import Button, Field, Reply
from core.states import PostState
from tests.fakes.telegram_api import _parsed
from tests.telegram.conftest import World
from tests.telegram.driver import ANA

CHAT = ChatRef(ChatPlatform.TELEGRAM, str(ANA.id))


def plain(html_text: str) -> str:
    """What Telegram shows for an HTML text (the fake's parser; raises where Telegram would)."""
    return _parsed({"text": html_text, "parse_mode": "HTML"}, "text")


def test_user_text_is_escaped_and_shown_as_typed() -> None:
    reply = Reply("1 < 2 & 3 > 2 <b>not bold</b> &amp;")
    (part,) = split(reply)
    assert part == "1 &lt; 2 &amp; 3 &gt; 2 &lt;b&gt;not bold&lt;/b&gt; &amp;amp;"
    assert plain(part) == reply.text


def test_fields_are_bold_labels_with_view_links() -> None:
    reply = Reply(
        "📤 Launch",
        fields=(
            Field("Facebook", "✅ published", url="https://facebook.com/p/1?a=1&b=2"),
            Field("X", "❌ <duplicate>"),
            Field("Local", "✅ published", url="http://localhost:8080/p"),
        ),
    )
    html_text = "\n".join(line.html for line in lines(reply))
    assert '<b>Facebook</b>  ✅ published · <a href="https://facebook.com/p/1?a=1&amp;b=2">' in (
        html_text
    )
    assert "<b>X</b>  ❌ &lt;duplicate&gt;" in html_text
    assert "localhost" not in html_text  # Telegram refuses such links: left out
    assert plain(html_text).splitlines()[1] == "Facebook  ✅ published · view"


def test_long_text_is_split_at_lines_and_within_the_limit() -> None:
    paragraph = "Word " * 300  # 1,500 characters a line
    reply = Reply("\n".join([paragraph] * 8))
    parts = split(reply)
    assert len(parts) == 4  # two whole lines fit a message, three do not
    assert all(units(plain(p)) <= TEXT_LIMIT for p in parts)
    assert "".join(plain(p) for p in parts).count("Word") == 2400


def test_a_single_huge_line_is_cut_at_spaces() -> None:
    reply = Reply("abc " * 3000)
    parts = split(reply)
    assert len(parts) == 3
    assert all(units(plain(p)) <= TEXT_LIMIT for p in parts)
    assert all(not plain(p).startswith(" ") for p in parts)


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    reply = Reply("🚀" * 3000)  # 6,000 UTF-16 units
    parts = split(reply)
    assert len(parts) == 2
    assert all(units(plain(p)) <= TEXT_LIMIT for p in parts)
    assert "".join(parts) == "🚀" * 3000


def test_beyond_max_parts_the_rest_is_cut_with_an_ellipsis() -> None:
    reply = Reply("x" * (TEXT_LIMIT * (MAX_PARTS + 2)))
    parts = split(reply)
    assert len(parts) == MAX_PARTS
    assert parts[-1].endswith(ELLIPSIS)
    assert units(plain(parts[-1])) <= TEXT_LIMIT


def test_trim_keeps_one_message_and_marks_the_cut() -> None:
    text = trim(Reply("y" * 5000))
    assert units(plain(text)) == TEXT_LIMIT and text.endswith(ELLIPSIS)
    assert trim(Reply("short")) == "short"


def test_whitespace_only_parts_are_never_produced() -> None:
    reply = Reply("a" * 4000 + "\n\n\n\n" + "b" * 4000)
    assert all(plain(p).strip() for p in split(reply))


def test_keyboard_wraps_rows_of_more_than_8_and_keeps_at_most_100() -> None:
    row = tuple(Button(f"B{i}", Action.COMMAND, str(i)) for i in range(12))
    markup = keyboard((row,))
    assert markup is not None
    assert [len(r) for r in markup.inline_keyboard] == [8, 4]
    many = tuple(
        tuple(Button(f"{r}-{c}", Action.COMMAND, f"{r}{c}") for c in range(8)) for r in range(15)
    )
    markup = keyboard(many)
    assert markup is not None
    assert sum(len(r) for r in markup.inline_keyboard) == 100


def test_url_buttons_telegram_would_refuse_are_left_out() -> None:
    buttons = (
        (
            Button("Docs ↗", url="https://example.com/docs"),
            Button("Local ↗", url="http://localhost:8080/x"),
            Button("Open", Action.OPEN, "1"),
        ),
    )
    markup = keyboard(buttons)
    assert markup is not None
    assert [b.text for b in markup.inline_keyboard[0]] == ["Docs ↗", "Open"]
    assert keyboard(()) is None


def test_toasts_fit_200_characters() -> None:
    long_toast = toast(Reply("", toast="z" * 300))
    assert long_toast is not None and len(long_toast) == 200
    assert toast(Reply("text")) is None


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=9000
    ),
    fields=st.lists(
        st.tuples(
            st.text(max_size=30),
            st.text(max_size=300),
            st.sampled_from([None, 'https://x.example/p?a=<1>&b="2"']),
        ),
        max_size=5,
    ),
)
def test_any_reply_renders_to_valid_html_within_the_limit(
    text: str, fields: list[tuple[str, str, str | None]]
) -> None:
    reply = Reply(text, fields=tuple(Field(label, value, url) for label, value, url in fields))
    for part in split(reply):
        shown = plain(part)
        assert shown.strip()
        assert units(shown) <= TEXT_LIMIT


async def test_oversized_replies_reach_telegram_split_with_the_keyboard_last(
    world: World,
) -> None:
    reply = Reply(
        "\n".join(f"Line {n}: " + "lorem ipsum " * 30 for n in range(40)),
        buttons=((Button("Open", Action.OPEN, "1"),),),
    )
    ref = await world.messenger.send(CHAT, reply)
    sent = world.fake.calls_to("sendMessage")
    assert len(sent) == 4  # 14,000 characters
    assert [("reply_markup" in c.params) for c in sent] == [False, False, False, True]
    assert ref.message_id == str(sent[-1].result["message_id"])
    await world.messenger.edit(ref, reply)
    edited = world.fake.messages[(ANA.id, int(ref.message_id))]
    assert units(edited.text) <= TEXT_LIMIT and edited.text.endswith(ELLIPSIS)
    assert not [c for c in world.fake.calls if c.error]


async def test_images_go_as_photos_with_captions_or_before_long_text(world: World) -> None:
    png = b"\x89PNG\r\n\x1a\n fake chart"
    short = Reply("📊 Yesterday", fields=(Field("Views", "12,480 ▲ 18%"),), image=png)
    ref = await world.messenger.send(CHAT, short)
    (photo,) = world.fake.calls_to("sendPhoto")
    assert photo.files["photo"] == png and photo.params["caption"].startswith("📊 Yesterday")
    await world.messenger.edit(ref, Reply("📊 Today", image=png + b"2"))
    assert world.fake.calls_to("editMessageMedia")
    long = Reply(
        "📊 " + "digest line\n" * 200, image=png, buttons=((Button("Open", Action.OPEN, "1"),),)
    )
    await world.messenger.send(CHAT, long)
    calls: list[Any] = [c for c in world.fake.calls if c.method in ("sendPhoto", "sendMessage")]
    assert [c.method for c in calls[-2:]] == ["sendPhoto", "sendMessage"]
    assert "caption" not in calls[-2].params and "reply_markup" in calls[-1].params


async def test_editing_a_photo_message_edits_its_caption(world: World) -> None:
    png = b"\x89PNG\r\n\x1a\n chart"
    ref = await world.messenger.send(CHAT, Reply("Chart", image=png))
    await world.messenger.edit(ref, Reply("x" * 2000), caption=True)
    message = world.fake.messages[(ANA.id, int(ref.message_id))]
    assert units(message.text) == 1024 and message.text.endswith(ELLIPSIS)


async def test_editing_to_the_same_content_is_a_success(world: World) -> None:
    reply = Reply("Same", buttons=((Button("Open", Action.OPEN, "1"),),))
    ref = await world.messenger.send(CHAT, reply)
    await world.messenger.edit(ref, reply)  # Telegram: "message is not modified"
    assert [c.error for c in world.fake.calls if c.method == "editMessageText"] == [
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message"
    ]


async def test_a_deleted_progress_message_does_not_stop_publishing(world: World) -> None:
    tg, fake = world.tg, world.fake
    await tg.say("/connect")
    await tg.tap("Facebook")
    await tg.say("/post Going out anyway")
    composer = tg.last()
    del fake.messages[(ANA.id, composer.message_id)]  # the user deleted the composer
    await tg.tap("Publish now", message=composer)
    refused = [c.error for c in fake.calls if c.error]
    assert refused and all(e == "Bad Request: message to edit not found" for e in refused)
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.PUBLISHED
    # The tap's answer was shown anew instead of in the deleted message.
    assert tg.last().text.startswith("📤 Going out anyway")


def test_inline_code_is_a_code_entity_and_toasts_are_plain() -> None:
    reply = Reply(
        f"Try {replies.code('/post <b>Launch</b> & go')} now\nplain `backticks` stay",
        fields=(Field("Example", f"type {replies.code('/stats 30d')}"),),
        toast=f"Use {replies.code('/schedule in 1h')}",
    )
    (part,) = split(reply)
    assert part == (
        "Try <code>/post &lt;b&gt;Launch&lt;/b&gt; &amp; go</code> now\n"
        "plain `backticks` stay\n"
        "<b>Example</b>  type <code>/stats 30d</code>"
    )
    assert (
        plain(part)
        == "Try /post <b>Launch</b> & go now\nplain `backticks` stay\nExample  type /stats 30d"
    )
    assert toast(reply) == "Use /schedule in 1h"
    # Limits count what Telegram shows, not the marks.
    assert lines(reply)[0].plain == "Try /post <b>Launch</b> & go now"


async def test_commands_in_replies_are_code_not_backticks(world: World) -> None:
    await world.tg.say("/post")
    sent = world.fake.calls_to("sendMessage")[-1].params["text"]
    assert "e.g. <code>/post Launch day! 🚀</code>, or send" in sent
    assert "`" not in world.tg.last().text
    assert world.tg.last().text.startswith("Empty post: write something after /post, e.g. /post")
