"""Text length in UTF-16 code units: the measure chat platforms count their limits in."""

from __future__ import annotations

# Telegram counts message, caption and entity lengths in UTF-16 code units
# (https://core.telegram.org/api/entities#entity-length): a character outside the Basic
# Multilingual Plane (most emoji) counts twice. Core sizes replies by it so they fit every
# chat; the Telegram adapter splits and trims by it.


def units(text: str) -> int:
    """How many UTF-16 code units `text` is."""
    return len(text.encode("utf-16-le")) // 2


def prefix(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` units, never splitting a surrogate
    pair."""
    total = 0
    for index, char in enumerate(text):
        total += 2 if ord(char) > 0xFFFF else 1
        if total > limit:
            return text[:index]
    return text
