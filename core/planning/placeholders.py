"""A template's placeholders (`{date}`, `{time}`, `{link}`, `{campaign}`): checked when it is
saved, filled when it is used; `{{` and `}}` stand for a brace itself."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import DomainError

KNOWN = ("date", "time", "link", "campaign")
# Filled by the bot at use (in the profile's time zone); the others are asked for.
AUTOMATIC = frozenset({"date", "time"})
_LIST = ", ".join(f"{{{name}}}" for name in KNOWN)
_SHOWN = 30  # characters of an unknown placeholder's name quoted back


def _pieces(text: str) -> list[tuple[str, bool]]:
    """`text` as (literal, False) and (placeholder name, True) pieces, or a refusal naming an
    unknown placeholder or a lone brace."""
    pieces: list[tuple[str, bool]] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c in "{}" and text[i + 1 : i + 2] == c:  # `{{` or `}}`: the brace itself
            literal.append(c)
            i += 2
            continue
        if c == "}":
            raise DomainError(
                f"A lone }} in the text (at character {i + 1}): write }}}} for a brace, "
                f"or use a placeholder: {_LIST}."
            )
        if c == "{":
            end = text.find("}", i + 1)
            nested = text.find("{", i + 1)
            if end < 0 or 0 <= nested < end:
                raise DomainError(
                    f"A lone {{ in the text (at character {i + 1}): write {{{{ for a brace, "
                    f"or use a placeholder: {_LIST}."
                )
            name = text[i + 1 : end]
            if name not in KNOWN:
                shown = name if len(name) <= _SHOWN else name[:_SHOWN] + "…"
                raise DomainError(
                    f"Unknown placeholder {{{shown}}}. Templates know {_LIST}; "
                    "write {{ and }} for a brace itself."
                )
            if literal:
                pieces.append(("".join(literal), False))
                literal = []
            pieces.append((name, True))
            i = end + 1
            continue
        literal.append(c)
        i += 1
    if literal:
        pieces.append(("".join(literal), False))
    return pieces


def used(text: str) -> tuple[str, ...]:
    """The placeholders `text` uses, in the table's order; refuses unknown ones by name."""
    names = {piece for piece, is_name in _pieces(text) if is_name}
    return tuple(name for name in KNOWN if name in names)


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each placeholder replaced by its value and `{{`/`}}` made single."""
    return "".join(values[piece] if is_name else piece for piece, is_name in _pieces(text))
