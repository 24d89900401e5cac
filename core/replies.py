"""The neutral reply every use case returns; each chat adapter renders it within its limits."""

from __future__ import annotations

from dataclasses import dataclass

# Telegram's callback_data is 1–64 bytes (platform-limits.md §1); every chat shares this bound.
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True, slots=True)
class Button:
    """A tap target: either a URL to open, or an action with an opaque argument."""

    label: str
    action: str = ""
    arg: str = ""
    url: str | None = None
    locked: bool = False  # shown with a 🔒; tapping explains why

    def __post_init__(self) -> None:
        if self.url is None and len(self.callback_data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"button data over {MAX_CALLBACK_BYTES} bytes: {self.action}")

    @property
    def callback_data(self) -> str:
        return f"{self.action}:{self.arg}" if self.arg else self.action


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value; `url` makes the value a link (e.g. the published post)."""

    label: str
    value: str
    url: str | None = None


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


def text(message: str, *, toast: str | None = None) -> Reply:
    return Reply(message, toast=toast)
