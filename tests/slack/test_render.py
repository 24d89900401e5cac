"""Replies as Block Kit: within Slack's limits (checked as the fake Web API checks them), with
user text escaped and core's marks rendered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.slack.render import (
    BUTTON_TEXT,
    MAX_BLOCKS,
    SECTION_TEXT,
    escape,
    mrkdwn,
    render,
    render_one,
    slashed,
)
from core.actions import Action
from core.replies import Button, Field, Reply, code, seal
from tests.fakes.slack_api import invalid_blocks

START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_user_text_cannot_inject_a_mention_or_a_link() -> None:
    text = "Hi <!channel> <@U123> <https://evil.example|your bank> & *bold*"
    (message,) = render(Reply(text))
    shown = message.blocks[0]["text"]
    assert shown["text"] == (
        "Hi &lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|your bank&gt; &amp; *bold*"
    )
    assert shown["verbatim"] is True  # Slack links nothing by itself
    assert "<" not in message.text and ">" not in message.text  # nor in the notification


def test_core_inline_code_is_a_backtick_span() -> None:
    assert (
        mrkdwn(f"Send {code('/post Launch <day>')} now") == "Send `/post Launch &lt;day&gt;` now"
    )
    assert mrkdwn(code("a`b")) == "`aʹb`"  # a backtick cannot end the span early


def test_core_commands_read_as_the_one_slash_command() -> None:
    reply = slashed(
        Reply(f"Send {code('/post Hi')} or /posts; see https://x.example/post and and/or"),
        "/postroom",
        {"post", "posts"},
    )
    assert reply.text == (
        f"Send {code('/postroom post Hi')} or /postroom posts; "
        "see https://x.example/post and and/or"
    )


def test_sealed_buttons_carry_their_data_in_value_and_links_open_urls() -> None:
    reply = seal(
        Reply(
            "Draft",
            buttons=(
                (
                    Button("🚀 Publish now", Action.PUBLISH, "7"),
                    Button("x" * 100, Action.DISCARD, "7"),
                ),
                (
                    Button("Open", url="https://example.com/a"),
                    Button("In private", private="connect"),
                ),
            ),
        ),
        owner=5,
        issued=START,
    )
    (message,) = render(reply)
    publish, long, link, private = [e for b in message.blocks[1:] for e in b["elements"]]
    assert publish["value"] == "pub:7~5.tp03s0" and publish["action_id"].startswith("tap:")
    assert len(long["text"]["text"]) == BUTTON_TEXT and long["text"]["text"].endswith("…")
    assert link["url"] == "https://example.com/a" and "value" not in link
    assert private["value"] == "connect" and private["action_id"].startswith("dm:")
    assert invalid_blocks(message.blocks) is None


def test_a_long_reply_is_split_into_sections_and_messages_within_the_limits() -> None:
    line = "word & " * 100  # escaping makes it longer than it looks
    reply = Reply(
        "\n".join([line] * 400),
        fields=tuple(Field(f"F{i}", "v" * 3000) for i in range(25)),
        buttons=((Button("Next", Action.PAGE, "2"),),),
    )
    messages = render(reply)
    assert len(messages) == 4  # the most: the rest is dropped
    for message in messages:
        assert invalid_blocks(message.blocks) is None, message.blocks
        assert len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT
    assert messages[-1].blocks[-1]["type"] == "actions"  # the buttons on the last one
    assert messages[-1].blocks[-2]["text"]["text"].endswith("…")


def test_one_very_long_line_is_cut_at_spaces() -> None:
    (message,) = render(Reply("<a> " * 2000))  # 8,000 characters, 20,000 escaped
    assert invalid_blocks(message.blocks) is None
    texts = [b["text"]["text"] for b in message.blocks]
    assert len(texts) > 1 and all(t.startswith("&lt;a&gt;") for t in texts)


def test_an_edit_is_one_message() -> None:
    edited = render_one(Reply("x\n" * 100_000, buttons=((Button("Go", Action.PAGE, "2"),),)))
    assert invalid_blocks(edited.blocks) is None
    assert edited.blocks[-1]["type"] == "actions"


def test_escape_is_only_the_three_control_characters() -> None:
    assert escape("a & b < c > d \"'`*_~") == "a &amp; b &lt; c &gt; d \"'`*_~"


@pytest.mark.parametrize("rows", [50, 60, 1300], ids=["50-rows", "60-rows", "1300-rows"])
def test_many_rows_of_buttons_leave_room_for_the_text(rows: int) -> None:
    buttons = tuple((Button(f"b{i}", Action.COMMAND, "posts"),) for i in range(rows))
    messages = render(Reply("Pick one", buttons=buttons))
    assert messages and messages[0].blocks[0]["text"]["text"] == "Pick one"
    for message in messages:
        assert invalid_blocks(message.blocks) is None
        assert len(message.blocks) <= MAX_BLOCKS
    shown = [
        e for m in messages for b in m.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    # Packed 25 a block: 50 and 60 buttons all fit; 1,300 do not, and the first are kept.
    assert len(shown) == min(rows, 25 * 25)
    assert shown[0]["text"]["text"] == "b0"
    one = render_one(Reply("Pick one", buttons=buttons))
    assert one.blocks[0]["text"]["text"] == "Pick one" and len(one.blocks) <= MAX_BLOCKS
