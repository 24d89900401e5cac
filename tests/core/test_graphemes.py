"""User-perceived characters (UAX #29 grapheme clusters), clipping by them, invisible text and
counted words."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.graphemes import graphemes, visible
from core.views import clip
from core.wording import article, count_of, duration, plural

ZWJ = "\u200d"


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("abc", ["a", "b", "c"]),
        (f"👨{ZWJ}👩{ZWJ}👧", [f"👨{ZWJ}👩{ZWJ}👧"]),  # ZWJ sequence
        (f"👩{ZWJ}❤️{ZWJ}💋{ZWJ}👨!", [f"👩{ZWJ}❤️{ZWJ}💋{ZWJ}👨", "!"]),  # with VS16 inside
        ("👍🏽👍", ["👍🏽", "👍"]),  # skin-tone modifier
        (f"🏃🏾{ZWJ}♀️", [f"🏃🏾{ZWJ}♀️"]),  # modifier, ZWJ, variation selector
        ("❤️x", ["❤️", "x"]),  # variation selector 16
        ("1️⃣2", ["1️⃣", "2"]),  # keycap: digit, VS16, combining enclosing keycap
        ("🇩🇪🇫🇷🇮", ["🇩🇪", "🇫🇷", "🇮"]),  # flags pair up; a lone indicator stays alone
        ("🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f.", None),  # Scotland
        ("e\u0301\u0323a", ["e\u0301\u0323", "a"]),  # combining marks stay on their base
        ("नमस्ते", ["न", "म", "स्", "ते"]),  # Devanagari virama and vowel sign
        ("\u1100\u1161\u11a8각", ["\u1100\u1161\u11a8", "각"]),  # Hangul jamo and a syllable
        ("a\r\nb", ["a", "\r\n", "b"]),
        (f"a{ZWJ}👧", [f"a{ZWJ}", "👧"]),  # ZWJ joins pictographs only
        ("a\u200bb", ["a", "\u200b", "b"]),  # zero-width space is its own
        ("", []),
    ],
)
def test_grapheme_clusters(text: str, clusters: list[str] | None) -> None:
    found = list(graphemes(text))
    assert "".join(found) == text
    if clusters is None:  # a subdivision flag (tag characters) is one, then "."
        assert len(found) == 2 and found[1] == "."
    else:
        assert found == clusters


def test_clip_counts_characters_and_never_splits_one() -> None:
    family = f"👨{ZWJ}👩{ZWJ}👧"
    assert clip(family * 3, 3) == family * 3  # 3 characters although 15 code points
    assert clip(family * 4, 3) == family * 2 + "…"
    assert clip("🇩🇪" * 10, 4) == "🇩🇪" * 3 + "…"
    assert clip("ab  cd\n\nef", 60) == "ab cd ef"
    assert clip(" ab  cd\n\nef ", 60, lines=True) == "ab cd\n\nef"
    assert clip("word " * 20, 10) == "word word…"  # no space before the ellipsis


@pytest.mark.parametrize(
    ("text", "shows"),
    [
        ("\u200b\ufeff", False),
        ("\u2060 \u00a0\t\n", False),
        ("\u3164\u115f", False),  # Hangul fillers
        ("\u0301", False),  # a lone combining mark
        (ZWJ, False),
        ("a\u200b", True),
        ("👍", True),
        (".", True),
    ],
)
def test_visible(text: str, shows: bool) -> None:
    assert visible(text) is shows


def test_counted_words_articles_and_durations() -> None:
    assert plural(1, "character") == "1 character"
    assert plural(0, "character") == "0 characters"
    assert plural(1200, "day") == "1,200 days"
    assert count_of(1, "comments") == "1 comment"
    assert count_of(2, "views") == "2 views"
    assert count_of(None, "likes") == "n/a likes"
    assert count_of(1, "reach") == "1 reach"
    assert [article(n) for n in ("X", "Instagram", "LinkedIn", "TikTok", "Facebook")] == [
        "an",
        "an",
        "a",
        "a",
        "a",
    ]
    assert duration(timedelta(seconds=30)) == "30 seconds"
    assert duration(timedelta(minutes=1)) == "1 minute"
    assert duration(timedelta(seconds=90)) == "90 seconds"
    assert duration(timedelta(minutes=15)) == "15 minutes"
    assert duration(timedelta(hours=2)) == "2 hours"
