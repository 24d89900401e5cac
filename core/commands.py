"""Text commands as users type them (`/post@bot Hello`), parsed into a name and arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_INPUT_CHARS = 70_000  # above every network's text limit (Facebook 63,206) with room to spare

_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+|$)")
_MEDIA_MARK = re.compile(r"(?:^|(?<=\s))media:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str
    bot: str | None = None  # the @botname in groups, so other bots' commands can be ignored


def parse_command(text: str) -> Command | None:
    """The command at the start of `text`, or None if it is not one."""
    m = _COMMAND.match(text.strip())
    if not m:
        return None
    return Command(m.group(1).lower(), text.strip()[m.end() :].strip(), m.group(2))


def ascii_number(text: str) -> int | None:
    """`text` as a whole number when it is only the ASCII digits 0–9, else None.

    Python's `int()`, `str.isdigit()` and regex `\\d` also take `²`, `①` and `١` (Arabic-Indic
    one), which are not how ids, counts or times are written here. More than 18 digits reads as
    10**18: beyond every id and limit, without converting a huge string.
    """
    if not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


def split_media(args: str) -> tuple[str, tuple[str, ...]]:
    """Split `Hello world media: https://a/1.jpg https://a/2.jpg` into text and media URLs.

    `media:` is the marker at the start of a line, whatever follows it (checked later), or
    within a line when only web addresses follow it to the end: "I love social media: it's
    great" is text. One-line chats (the console) need the second form.
    """
    for mark in _MEDIA_MARK.finditer(args):
        before, after = args[: mark.start()], args[mark.end() :]
        line_start = not before.rpartition("\n")[2].strip()
        words = after.split()
        if line_start or (words and all("://" in word for word in words)):
            return before.strip(), tuple(words)
    return args.strip(), ()
