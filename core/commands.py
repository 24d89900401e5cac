"""Text commands as users type them (`/post@bot Hello`), parsed into a name and arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_INPUT_CHARS = 70_000  # above every network's text limit (Facebook 63,206) with room to spare

_COMMAND = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{0,31})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+|$)")
_MEDIA_MARK = re.compile(r"(?:^|\s)media:\s*", re.IGNORECASE)


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


def split_media(args: str) -> tuple[str, tuple[str, ...]]:
    """Split `Hello world media: https://a/1.jpg https://a/2.jpg` into text and media URLs."""
    parts = _MEDIA_MARK.split(args, maxsplit=1)
    if len(parts) == 1:
        return args.strip(), ()
    return parts[0].strip(), tuple(parts[1].split())
