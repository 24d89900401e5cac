"""Replies as Block Kit messages, always within Slack's limits, with user text escaped."""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from core.replies import Button, Reply, spans, unmark

log = logging.getLogger(__name__)

Block = dict[str, Any]

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks,
# https://api.slack.com/reference/block-kit/block-elements#button): Slack refuses the whole
# message (`invalid_blocks`) when one is exceeded.
MAX_BLOCKS = 50  # per message
SECTION_TEXT = 3000  # characters of a section's text
MAX_FIELDS = 10  # per section
FIELD_TEXT = 2000  # characters of one field
ACTIONS_ELEMENTS = 25  # per actions block
# Ours: buttons take at most half of a message's blocks, so its text always has room.
MAX_ACTIONS = MAX_BLOCKS // 2
BUTTON_TEXT = 75
ACTION_ID = 255
BUTTON_VALUE = 2000
BUTTON_URL = 3000
# The notification and screen-reader text that goes with the blocks
# (https://api.slack.com/methods/chat.postMessage#arg_text); kept short, it repeats them.
FALLBACK_TEXT = 3000
# A reply longer than this many messages is cut: more would only flood the channel and spend
# its pace of about one message a second.
MAX_PARTS = 4
ELLIPSIS = "…"

# The action_id of buttons that do not come back to core as taps: links (Slack still sends
# an interaction when one is clicked, which is acknowledged and ignored) and "continue in
# your DM with the bot" (the value is core's private-chat payload).
LINK_PREFIX = "link"
PRIVATE_PREFIX = "dm"
TAP_PREFIX = "tap"


def escape(text: str) -> str:
    """User and core text for mrkdwn: only &, < and > are control characters; escaped, nobody
    can write a mention, channel link or URL link (<@U…>, <!here>, <url|label>) into a reply
    (https://api.slack.com/reference/surfaces/formatting#escaping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """Core text as mrkdwn: escaped, its inline code in backticks (a backtick inside code
    would end the span early, so it becomes a prime)."""
    return "".join(
        f"`{escape(piece.replace('`', 'ʹ'))}`" if is_code else escape(piece)
        for piece, is_code in spans(text)
    )


def slashed(reply: Reply, command: str, names: Collection[str]) -> Reply:
    """Core's `/post …` as Slack's `/postroom post …` (one slash command carries them all),
    in the reply's text and field values."""
    if not names:
        return reply
    pattern = re.compile(r"(?<![\w/.:@-])/(" + "|".join(map(re.escape, sorted(names))) + r")\b")

    def sub(text: str) -> str:
        return pattern.sub(lambda m: f"{command} {m.group(1)}", text)

    fields = tuple(replace(f, value=sub(f.value)) for f in reply.fields)
    toast = sub(reply.toast) if reply.toast else reply.toast
    return replace(reply, text=sub(reply.text), fields=fields, toast=toast)


@dataclass(frozen=True, slots=True)
class Message:
    """One Slack message: blocks and the plain fallback `text`."""

    text: str
    blocks: list[Block]


def render(reply: Reply, *, max_parts: int = MAX_PARTS) -> list[Message]:
    """The reply as one or more messages of at most 50 blocks each (buttons on the last).

    Text goes in sections of at most 3,000 characters (lines kept whole where they fit),
    fields in sections of at most 10. Beyond `max_parts` messages the rest is dropped and the
    last text ends with "…".
    """
    content = [*_text_sections(reply.text), *_field_sections(reply)]
    buttons = _actions(reply.buttons)
    room = MAX_BLOCKS - len(buttons)
    parts = [content[i : i + room] for i in range(0, len(content), room)] or [[]]
    if len(parts) > max_parts:
        parts = parts[:max_parts]
        parts[-1] = _ellipsis(parts[-1])
    parts[-1] = parts[-1] + buttons
    # The fallback is mrkdwn too: escaped like the blocks, or it could carry a mention.
    plain = unmark(reply.text).strip() or (reply.fields[0].label if reply.fields else "")
    fallback = escape(_cut(plain, FALLBACK_TEXT // 5))
    return [
        Message(fallback if i == 0 else ELLIPSIS, blocks)
        for i, blocks in enumerate(parts)
        if blocks
    ]


def render_one(reply: Reply) -> Message:
    """The reply as a single message (an edit replaces one message: it cannot be split)."""
    found = render(reply, max_parts=1)
    return found[0] if found else Message("", [])


def _text_sections(text: str) -> list[Block]:
    """Lines joined into sections of at most 3,000 mrkdwn characters (code spans never
    cross lines, so a line's mrkdwn length is its share)."""
    chunks: list[list[str]] = []
    current: list[str] = []
    size = 0
    for line in _fitted(text.splitlines(), SECTION_TEXT):
        rendered = mrkdwn(line)
        cost = len(rendered) + (1 if current else 0)
        if current and size + cost > SECTION_TEXT:
            chunks.append(current)
            current, size, cost = [], 0, len(rendered)
        current.append(rendered)
        size += cost
    if current:
        chunks.append(current)
    return [_section("\n".join(chunk)) for chunk in chunks if "".join(chunk).strip()]


def _fitted(lines: Iterable[str], limit: int) -> Iterable[str]:
    """Lines whose mrkdwn is at most `limit`: a longer one is cut into pieces at spaces
    (escaping can make a line up to five times longer: `&amp;`)."""
    for line in lines:
        while len(mrkdwn(line)) > limit:
            cut = min(len(line), limit)
            while (excess := len(mrkdwn(line[:cut])) - limit) > 0:
                cut -= max(1, excess // 5)
            space = line.rfind(" ", 0, cut)
            if space > cut // 2:
                cut = space
            yield line[:cut]
            line = line[cut:].lstrip(" ")
        yield line


def _field_sections(reply: Reply) -> list[Block]:
    fields: list[Block] = []
    for field in reply.fields:
        value = mrkdwn(field.value)
        link = f" · <{field.url}|view>" if field.url and _linkable(field.url) else ""
        label = f"*{escape(field.label)}*\n"
        room = FIELD_TEXT - len(label) - len(link)
        if len(value) > room:
            value = mrkdwn(_cut(unmark(field.value), room // 5))
        fields.append({"type": "mrkdwn", "text": label + value + link, "verbatim": True})
    return [
        {"type": "section", "fields": fields[i : i + MAX_FIELDS]}
        for i in range(0, len(fields), MAX_FIELDS)
    ]


def _section(text: str) -> Block:
    # verbatim: Slack links nothing by itself (no URL, channel name or @here detection); the
    # only links are the ones rendered here (https://api.slack.com/reference/block-kit/composition-objects#text).
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _ellipsis(blocks: list[Block]) -> list[Block]:
    for block in reversed(blocks):
        text = block.get("text")
        if isinstance(text, dict):
            body = str(text["text"])
            if len(body) + len(ELLIPSIS) > SECTION_TEXT:  # cut at a space: never in an &amp;
                body = body[: body.rfind(" ", 0, SECTION_TEXT - len(ELLIPSIS))]
            text["text"] = body + ELLIPSIS
            break
    return blocks


def _actions(rows: Sequence[Sequence[Button]]) -> list[Block]:
    """One actions block per row of buttons (at most 25 each; longer rows wrap)."""
    blocks: list[Block] = []
    n = 0
    for row in rows:
        cells: list[Block] = []
        for button in row:
            cell = _button(button, n)
            n += 1
            if cell is not None:
                cells.append(cell)
        for start in range(0, len(cells), ACTIONS_ELEMENTS):
            blocks.append({"type": "actions", "elements": cells[start : start + ACTIONS_ELEMENTS]})
    if len(blocks) <= MAX_ACTIONS:
        return blocks
    # Too many rows: packed 25 buttons a block, and what still does not fit is dropped.
    cells = [cell for block in blocks for cell in block["elements"]]
    packed = [
        {"type": "actions", "elements": cells[start : start + ACTIONS_ELEMENTS]}
        for start in range(0, len(cells), ACTIONS_ELEMENTS)
    ]
    if len(packed) > MAX_ACTIONS:
        log.warning("slack: %s buttons do not fit in one message; some dropped", len(cells))
    return packed[:MAX_ACTIONS]


def _button(button: Button, n: int) -> Block | None:
    # action_ids must be unique within a message; the index keeps them so.
    cell: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(button.label, BUTTON_TEXT), "emoji": True},
    }
    if button.private is not None:
        cell |= {"action_id": f"{PRIVATE_PREFIX}:{n}", "value": button.private}
    elif button.url is not None:
        if not _linkable(button.url) or len(button.url) > BUTTON_URL:
            log.warning("left out a button with a URL Slack would refuse: %r", button.url)
            return None
        cell |= {"action_id": f"{LINK_PREFIX}:{n}", "url": button.url}
    else:
        data = button.callback_data
        if len(data) > BUTTON_VALUE:
            log.warning("left out a button whose data is over %s characters", BUTTON_VALUE)
            return None
        cell |= {"action_id": f"{TAP_PREFIX}:{n}:{button.body}"[:ACTION_ID], "value": data}
    return cell


def _linkable(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not any(c in url for c in "<>| ")
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
