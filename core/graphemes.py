"""Text as people see it: user-perceived characters (grapheme clusters) and invisible text."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from enum import Enum, auto

# Unicode's extended grapheme cluster rules (UAX #29, "Grapheme Cluster Boundaries",
# https://www.unicode.org/reports/tr29/#Grapheme_Cluster_Boundary_Rules), with the property
# classes derived from `unicodedata` categories: the standard library has no
# Grapheme_Cluster_Break or Extended_Pictographic property. The approximations only matter for
# rare characters and err towards keeping characters together.


class _Kind(Enum):
    CR = auto()
    LF = auto()
    CONTROL = auto()
    EXTEND = auto()
    ZWJ = auto()
    SPACING = auto()
    PREPEND = auto()
    REGIONAL = auto()
    PICTOGRAPHIC = auto()
    L = auto()
    V = auto()
    T = auto()
    LV = auto()
    LVT = auto()
    OTHER = auto()


# Grapheme_Cluster_Break=Prepend (Arabic number signs and a few Brahmic signs).
_PREPEND = frozenset({0x0600, 0x0601, 0x0602, 0x0603, 0x0604, 0x0605, 0x06DD, 0x070F, 0x0890})
_PREPEND |= {0x0891, 0x08E2, 0x110BD, 0x110CD, 0x111C2, 0x111C3, 0x1193F, 0x11941, 0x11A3A}

# Extended_Pictographic (emoji-data.txt), as ranges: the emoji blocks and the older symbols
# that are emoji.
_PICTOGRAPHIC = (
    (0x00A9, 0x00A9),
    (0x00AE, 0x00AE),
    (0x203C, 0x203C),
    (0x2049, 0x2049),
    (0x2122, 0x2122),
    (0x2139, 0x2139),
    (0x2194, 0x21AA),
    (0x231A, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25AA, 0x25FE),
    (0x2600, 0x27BF),
    (0x2934, 0x2935),
    (0x2B05, 0x2B55),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0x1F000, 0x1FAFF),
    (0x1FC00, 0x1FFFD),
)

# Characters that draw nothing although they are letters or symbols (Hangul fillers, the
# braille blank, the combining grapheme joiner): a post of only these is empty.
_BLANK = frozenset({0x034F, 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0})


def _kind(char: str) -> _Kind:
    cp = ord(char)
    if char == "\r":
        return _Kind.CR
    if char == "\n":
        return _Kind.LF
    if cp == 0x200D:
        return _Kind.ZWJ
    # Extend although not a mark: ZWNJ, emoji skin-tone modifiers, tag characters (subdivision
    # flags such as 🏴󠁧󠁢󠁳󠁣󠁴󠁿), half-width katakana voicing marks.
    if (
        cp == 0x200C
        or 0x1F3FB <= cp <= 0x1F3FF
        or 0xE0020 <= cp <= 0xE007F
        or 0xFF9E <= cp <= 0xFF9F
    ):
        return _Kind.EXTEND
    if cp in _PREPEND:
        return _Kind.PREPEND
    category = unicodedata.category(char)
    if category in ("Mn", "Me"):  # combining marks and variation selectors
        return _Kind.EXTEND
    if category == "Mc":
        return _Kind.SPACING
    if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
        return _Kind.CONTROL
    if 0x1F1E6 <= cp <= 0x1F1FF:
        return _Kind.REGIONAL
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return _Kind.L
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return _Kind.V
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return _Kind.T
    if 0xAC00 <= cp <= 0xD7A3:
        return _Kind.LV if (cp - 0xAC00) % 28 == 0 else _Kind.LVT
    if any(low <= cp <= high for low, high in _PICTOGRAPHIC):
        return _Kind.PICTOGRAPHIC
    return _Kind.OTHER


_HANGUL_NEXT = {
    _Kind.L: (_Kind.L, _Kind.V, _Kind.LV, _Kind.LVT),  # GB6
    _Kind.LV: (_Kind.V, _Kind.T),  # GB7
    _Kind.V: (_Kind.V, _Kind.T),
    _Kind.LVT: (_Kind.T,),  # GB8
    _Kind.T: (_Kind.T,),
}
_CONTROLS = (_Kind.CR, _Kind.LF, _Kind.CONTROL)


def graphemes(text: str) -> Iterator[str]:
    """The user-perceived characters of `text`, in order: 👨‍👩‍👧, 🇩🇪, 👍🏽 and é (e + ◌́)
    are one each."""
    start = 0
    previous: _Kind | None = None
    pictograph = False  # the cluster so far ends in Extended_Pictographic Extend*
    joined = False  # … followed by a ZWJ, so a pictograph may join it (GB11)
    regional = 0  # regional indicators in a row just before here
    for index, char in enumerate(text):
        kind = _kind(char)
        if previous is not None and _breaks(previous, kind, joined, regional):
            yield text[start:index]
            start = index
        joined = kind is _Kind.ZWJ and pictograph
        if kind is _Kind.PICTOGRAPHIC:
            pictograph = True
        elif kind is not _Kind.EXTEND:
            pictograph = False
        regional = regional + 1 if kind is _Kind.REGIONAL else 0
        previous = kind
    if text:
        yield text[start:]


def _breaks(before: _Kind, after: _Kind, joined: bool, regional: int) -> bool:
    if before is _Kind.CR and after is _Kind.LF:  # GB3
        return False
    if before in _CONTROLS or after in _CONTROLS:  # GB4, GB5
        return True
    if after in _HANGUL_NEXT.get(before, ()):  # GB6–GB8
        return False
    if after in (_Kind.EXTEND, _Kind.ZWJ, _Kind.SPACING):  # GB9, GB9a
        return False
    if before is _Kind.PREPEND:  # GB9b
        return False
    if after is _Kind.PICTOGRAPHIC and before is _Kind.ZWJ and joined:  # GB11
        return False
    # GB12, GB13: flags are pairs of regional indicators.
    return not (before is _Kind.REGIONAL and after is _Kind.REGIONAL and regional % 2 == 1)


def visible(text: str) -> bool:
    """Whether `text` shows anything: not only spaces, zero-width and format characters
    (U+200B, U+FEFF, U+2060 …), lone combining marks or blank fillers."""
    return any(
        unicodedata.category(char)[0] not in "CZM" and ord(char) not in _BLANK
        for char in text
        if not char.isspace()
    )
