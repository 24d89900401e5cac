"""Replies as Telegram HTML messages and inline keyboards, always within the Bot API's limits."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import (
    CallbackQueryLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
)

from core.replies import Button, Reply, spans, unmark
from core.utf16 import prefix, units

log = logging.getLogger(__name__)

# Limits count characters after entity parsing, in UTF-16 code units as Telegram's entity
# offsets do (https://core.telegram.org/bots/api#messageentity): an emoji outside the BMP
# counts twice.
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH  # 1024
TOAST_LIMIT = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH  # 200
ROW_LIMIT = InlineKeyboardMarkupLimit.BUTTONS_PER_ROW  # 8
BUTTON_LIMIT = InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER  # 100
# A reply longer than this many messages is cut: more would only flood the chat and spend
# the per-chat rate limit.
MAX_PARTS = 4
ELLIPSIS = "…"


def escape(text: str) -> str:
    """User and core text for parse_mode=HTML: only &, < and > are special outside tags."""
    return html.escape(text, quote=False)


@dataclass(frozen=True, slots=True)
class Line:
    """One rendered line: what Telegram counts (`plain`) and what is sent (`html`)."""

    plain: str
    html: str


def markup(text: str) -> str:
    """Core text as HTML: escaped, its inline code in `<code>` (Bot API "HTML style")."""
    return "".join(
        f"<code>{escape(piece)}</code>" if is_code else escape(piece)
        for piece, is_code in spans(text)
    )


def lines(reply: Reply) -> list[Line]:
    """The reply's text, then one line per field (`<b>label</b>  value · view`)."""
    found = [Line(unmark(line), markup(line)) for line in reply.text.splitlines()]
    for field in reply.fields:
        plain = f"{field.label}  {unmark(field.value)}"
        html_line = f"<b>{escape(field.label)}</b>  {markup(field.value)}"
        if field.url and _linkable(field.url):
            plain += " · view"
            html_line += f' · <a href="{html.escape(field.url, quote=True)}">view</a>'
        found.append(Line(plain, html_line))
    return found


def split(reply: Reply, limit: int = TEXT_LIMIT, max_parts: int = MAX_PARTS) -> list[str]:
    """The reply as one or more HTML texts of at most `limit` each (empty list: no text).

    Lines stay whole where they fit; a longer line is cut at a space. Beyond `max_parts`
    messages the rest is dropped and the last message ends with "…".
    """
    chunks = _chunks(lines(reply), limit - units(ELLIPSIS))
    if len(chunks) > max_parts:
        chunks = chunks[:max_parts]
        chunks[-1] += ELLIPSIS
    return chunks


def trim(reply: Reply, limit: int = TEXT_LIMIT) -> str:
    """The reply as one HTML text of at most `limit`, ending with "…" when cut (edits and
    captions cannot be split)."""
    return "".join(split(reply, limit, max_parts=1))


def fits(reply: Reply, limit: int) -> bool:
    rendered = lines(reply)
    return sum(units(line.plain) for line in rendered) + max(len(rendered) - 1, 0) <= limit


def toast(reply: Reply) -> str | None:
    if not reply.toast:
        return None
    text = unmark(reply.toast)  # toasts are plain text
    if len(text) > TOAST_LIMIT:  # the callback answer limit counts characters
        text = text[: TOAST_LIMIT - 1] + ELLIPSIS
    return text


def keyboard(
    buttons: Sequence[Sequence[Button]], bot_username: str | None = None
) -> InlineKeyboardMarkup | None:
    """At most 8 buttons a row (longer rows wrap) and 100 in all (the rest are dropped).
    `bot_username` makes the deep links of buttons that continue in a private chat."""
    rows: list[list[InlineKeyboardButton]] = []
    total = 0
    for row in buttons:
        cells = [cell for cell in (_button(b, bot_username) for b in row) if cell is not None]
        for start in range(0, len(cells), ROW_LIMIT):
            part = cells[start : start + ROW_LIMIT][: BUTTON_LIMIT - total]
            if part:
                rows.append(part)
                total += len(part)
    dropped = sum(len(row) for row in buttons) - total
    if dropped:
        log.warning("dropped %s button(s) over Telegram's keyboard limits", dropped)
    return InlineKeyboardMarkup(rows) if rows else None


def _button(button: Button, bot_username: str | None) -> InlineKeyboardButton | None:
    if button.private is not None:
        if bot_username is None:
            log.warning("left out a private-chat button: the bot's username is not known")
            return None
        # A deep link opens the private chat with the bot as `/start <payload>`
        # (https://core.telegram.org/bots/features#deep-linking).
        return InlineKeyboardButton(
            button.label, url=f"https://t.me/{bot_username}?start={button.private}"
        )
    if button.url is not None:
        if not _linkable(button.url):
            # Telegram refuses the whole message for one URL it considers invalid.
            log.warning("left out a button with a URL Telegram would refuse: %r", button.url)
            return None
        return InlineKeyboardButton(button.label, url=button.url)
    return InlineKeyboardButton(button.label, callback_data=button.callback_data)


def _linkable(url: str) -> bool:
    """A URL Telegram accepts in a button or link: http(s) with a dotted host, or tg://."""
    parts = urlsplit(url)
    if parts.scheme == "tg":
        return True
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and "." in host and host != "localhost"


def _chunks(found: Iterable[Line], limit: int) -> list[str]:
    chunks: list[str] = []
    current: list[Line] = []
    size = 0

    def flush() -> None:
        # Telegram refuses a message that is only whitespace.
        if any(line.plain.strip() for line in current):
            chunks.append("\n".join(line.html for line in current))

    for line in _fitted(found, limit):
        cost = units(line.plain) + (1 if current else 0)
        if current and size + cost > limit:
            flush()
            current, size, cost = [], 0, units(line.plain)
        current.append(line)
        size += cost
    flush()
    return chunks


def _fitted(found: Iterable[Line], limit: int) -> Iterable[Line]:
    """Lines no longer than `limit`: plain lines are cut into pieces, marked-up (field) lines
    trimmed, so no tag is ever cut in half."""
    for line in found:
        if units(line.plain) <= limit:
            yield line
        elif line.html == escape(line.plain):
            for piece in _pieces(line.plain, limit):
                yield Line(piece, escape(piece))
        else:
            cut = prefix(line.plain, limit - units(ELLIPSIS)) + ELLIPSIS
            yield Line(cut, escape(cut))


def _pieces(text: str, limit: int) -> Iterable[str]:
    while units(text) > limit:
        head = prefix(text, limit)
        space = head.rfind(" ")
        if space > len(head) // 2:
            head = head[:space]
        yield head
        text = text[len(head) :].lstrip(" ")
    if text:
        yield text
