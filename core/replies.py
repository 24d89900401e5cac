"""The neutral reply every use case returns; each chat adapter renders it within its limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.actions import Action

# Telegram's callback_data is 1–64 bytes (https://core.telegram.org/bots/api#inlinekeyboardbutton);
# every chat shares this bound.
MAX_CALLBACK_BYTES = 64
# Every action button is sealed with its owner and the moment it was made: "~owner.seconds" in
# base 36 (≤ 6 digits for a 32-bit id, ≤ 7 for Unix seconds until the year 4453): ≤ 15 bytes,
# so 16 are kept free of what a button asks for.
SEAL_BYTES = 16
# What a private-chat button may carry: Telegram's deep-link parameter is up to 64 of these
# characters (https://core.telegram.org/bots/features#deep-linking).
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SEAL = re.compile(r"~([0-9a-z]{1,6})\.([0-9a-z]{1,7})")
# Inline code (a command to type) is marked in reply text by two Unicode noncharacters: code
# points reserved for a program's internal use, never assigned to characters
# (https://www.unicode.org/faq/private_use.html#noncharacters). Core strips them from what
# users send, so only core marks code; each chat adapter renders the marked spans.
CODE_START, CODE_END = "\ufdd0", "\ufdd1"
_MARKS = re.compile(f"[{CODE_START}{CODE_END}]")
_SPAN = re.compile(f"{CODE_START}([^{CODE_END}]*){CODE_END}")


@dataclass(frozen=True, slots=True)
class Button:
    """A tap target: an action from the table with an opaque argument, a URL to open, or
    `private`: continue in the user's private chat with the bot as if they sent
    `/start <private>` (each chat adapter renders its own deep link)."""

    label: str
    action: Action | None = None
    arg: str = ""
    url: str | None = None
    locked: bool = False  # shown with a 🔒; tapping explains why
    seal: str = ""  # set by `seal`, never by hand
    private: str | None = None

    def __post_init__(self) -> None:
        if (self.action is None) == (self.url is None and self.private is None):
            raise ValueError(f"button {self.label!r} needs exactly one of action, url, private")
        if self.action is not None and not isinstance(self.action, Action):
            raise TypeError(f"button {self.label!r}: actions come from the table, core.actions")
        if self.private is not None and not _PAYLOAD.fullmatch(self.private):
            raise ValueError(f"private-chat payload {self.private!r} is not a deep-link one")
        if self.action is not None and len(self.body.encode()) > MAX_CALLBACK_BYTES - SEAL_BYTES:
            raise ValueError(f"button data over {MAX_CALLBACK_BYTES} bytes: {self.action}")

    @property
    def taps(self) -> bool:
        """Whether tapping it comes back to the bot (and so is sealed)."""
        return self.action is not None

    @property
    def body(self) -> str:
        """What the button asks for, without its seal."""
        action = self.action.value if self.action is not None else ""
        return f"{action}:{self.arg}" if self.arg else action

    @property
    def callback_data(self) -> str:
        return f"{self.body}~{self.seal}" if self.seal else self.body


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value; `url` makes the value a link (e.g. the published post)."""

    label: str
    value: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """A file sent with a reply (an export): its name as the chat shows it, bytes, MIME type."""

    filename: str
    data: bytes = field(repr=False)
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot says: plain text (adapters escape it), fields, rows of buttons.

    `edit` asks the adapter to replace the message whose button was tapped rather than send a
    new one; `toast` is the short answer to a button tap (≤200 characters on Telegram).
    """

    text: str
    fields: tuple[Field, ...] = ()
    buttons: tuple[tuple[Button, ...], ...] = ()
    edit: bool = False
    toast: str | None = None
    image: bytes | None = None  # a PNG (charts)
    document: Document | None = None  # a file sent with the text (an export), never on an edit


def text(message: str, *, toast: str | None = None) -> Reply:
    return Reply(message, toast=toast)


@dataclass(frozen=True, slots=True)
class Seal:
    """Whose button it is (a profile id) and when it was made (Unix seconds).

    Chat platforms let anyone in a chat tap any button, so taps are refused unless the seal's
    owner is the one tapping, and a post button is refused on a post newer than the button.
    The seal is not secret: a forged one (a modified client can send any data) can only name
    the forger, who then acts on their own things and nobody else's; at worst the answer
    replaces the message the forged tap was made on.
    """

    owner: int
    issued: int


def seal(reply: Reply, owner: int, issued: datetime) -> Reply:
    """`reply` with every action button bound to `owner` as of `issued` (URL and private-chat
    buttons open a page or a chat and need no binding). A button sealed already keeps its
    seal: a reply made for another profile than the one tapped (a draft moved to a team by
    "Posting as") is sealed for that profile where it is made."""
    if not reply.buttons:
        return reply
    stamp = mark(owner, issued)
    rows = tuple(
        tuple(replace(b, seal=stamp) if b.taps and not b.seal else b for b in row)
        for row in reply.buttons
    )
    return replace(reply, buttons=rows)


def mark(owner: int, issued: datetime) -> str:
    """The seal's text: owner and seconds in base 36, as in `Button.seal`."""
    return f"{base36(owner)}.{base36(max(int(issued.timestamp()), 0))}"


def unseal(data: str) -> tuple[str, Seal | None]:
    """A tap's data split into what it asks for and its seal (None: unsealed or malformed)."""
    body, sep, tail = data.rpartition("~")
    found = _SEAL.fullmatch(sep + tail) if sep else None
    if found is None:
        return data, None
    return body, Seal(int(found.group(1), 36), int(found.group(2), 36))


def base36(n: int) -> str:
    """`n` (≥ 0) in base 36, lower case: seals and invoice payloads."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def code(snippet: str) -> str:
    """`snippet` marked as inline code: `/post Launch day! 🚀` in a monospace span."""
    return f"{CODE_START}{unmark(snippet)}{CODE_END}"


def unmark(text: str) -> str:
    """`text` without code marks: plain text, and user input that cannot fake a code span."""
    return _MARKS.sub("", text)


def spans(line: str) -> list[tuple[str, bool]]:
    """`line` as (piece, is_code) pairs, in order; stray marks are dropped."""
    found: list[tuple[str, bool]] = []
    at = 0
    for match in _SPAN.finditer(line):
        if match.start() > at:
            found.append((unmark(line[at : match.start()]), False))
        found.append((match.group(1), True))
        at = match.end()
    if at < len(line):
        found.append((unmark(line[at:]), False))
    return [(piece, is_code) for piece, is_code in found if piece]
