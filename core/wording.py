"""Counted nouns, articles and durations in replies: "1 character", "an X post", "30 seconds"."""

from __future__ import annotations

from datetime import timedelta

from core.metrics import NA

# Letters whose English name starts with a vowel sound ("an F", "an X", "an SMS").
_VOWEL_LETTERS = frozenset("AEFHILMNORSX")


def plural(count: int, singular: str, many: str | None = None) -> str:
    """`1 character`, `0 characters`, `1,200 characters`; `many` for irregular plurals."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def count_of(value: int | None, many: str) -> str:
    """A counter named by its plural (`views`, `likes`): `1 view`, `3 views`, `n/a views`."""
    if value is None:
        return f"{NA} {many}"
    one = many.removesuffix("s") if many.endswith("s") else many
    return plural(value, one, many)


def article(noun: str) -> str:
    """`a` or `an` before `noun` as it is spoken: an Instagram, a LinkedIn, an X."""
    word = noun.split(maxsplit=1)[0] if noun.strip() else noun
    if word.isupper() and len(word) <= 4:  # read letter by letter: X, SMS
        return "an" if word[0] in _VOWEL_LETTERS else "a"
    return "an" if word[:1].lower() in ("a", "e", "i", "o") else "a"


def duration(span: timedelta) -> str:
    """`30 seconds`, `1 minute`, `15 minutes`, `2 hours`, `3 days`: the largest whole unit."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86_400), ("hour", 3600), ("minute", 60)):
        if (seconds >= size and seconds % size == 0) or seconds >= 2 * size:
            return plural(seconds // size, unit)
    return plural(seconds, "second")
