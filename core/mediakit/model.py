"""A media kit: its slug, theme and blocks, and the rules a typed slug, colour or radius meet."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.errors import DomainError

__all__ = [
    "DEFAULT_BLOCKS",
    "MAX_CONTACT",
    "MAX_KITS",
    "MAX_TEXT",
    "RESERVED",
    "BlockKind",
    "Kit",
    "Theme",
    "check_slug",
    "parse_theme",
    "slug_from",
]

MIN_SLUG, MAX_SLUG = 3, 32
MAX_TEXT = 500  # the custom text block, in characters
MAX_CONTACT = 200
MAX_KITS = 10  # per profile: the default one and others
# Lower-case ASCII letters, digits and single hyphens, starting and ending with a letter or
# digit: it goes into a URL path as it is, and reads the same to everyone.
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]")
# Paths of the web app and words that would read like the operator's own pages.
RESERVED = frozenset(
    {
        "about", "admin", "api", "app", "assets", "ayrshare", "billing", "bot", "chart",
        "default", "help", "healthz", "kit", "kits", "login", "logout", "media", "metrics",
        "new", "oauth", "postroom", "readyz", "root", "settings", "slack", "static", "stripe",
        "support", "telegram", "terms", "use", "webhook", "www",
    }
)  # fmt: skip
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_RADIUS = 24


class BlockKind(StrEnum):
    """What a kit's page shows, in the order the owner arranges them."""

    PROFILE = "profile"  # name, and each network's handle and followers
    STATS = "stats"  # followers, views and engagement rate of 30 days, the top three posts
    CHART = "chart"  # followers over 30 days
    SEPARATOR = "separator"
    TEXT = "text"  # the owner's own words (/mediakit text)
    CONTACT = "contact"  # how brands reach them (/mediakit contact)

    @property
    def label(self) -> str:
        return {
            BlockKind.PROFILE: "Profile",
            BlockKind.STATS: "Stats",
            BlockKind.CHART: "Growth chart",
            BlockKind.SEPARATOR: "Separator",
            BlockKind.TEXT: "Custom text",
            BlockKind.CONTACT: "Contact",
        }[self]

    @property
    def code(self) -> str:
        """One letter in a button's data."""
        return _CODES[self]


_CODES = {
    BlockKind.PROFILE: "p",
    BlockKind.STATS: "s",
    BlockKind.CHART: "c",
    BlockKind.SEPARATOR: "l",
    BlockKind.TEXT: "t",
    BlockKind.CONTACT: "m",
}
BLOCK_CODES = {code: kind for kind, code in _CODES.items()}
DEFAULT_BLOCKS = (BlockKind.PROFILE, BlockKind.STATS, BlockKind.CHART)


@dataclass(frozen=True, slots=True)
class Theme:
    primary: str = "#3b5bdb"  # #rrggbb, lower case
    radius: int = 12  # corner radius in CSS pixels, 0–24


@dataclass(slots=True)
class Kit:
    """One kit of a profile. `version` grows with every change (a page cached for an older
    version is stale); `published` is off until the owner turns it on."""

    id: int
    profile_id: int
    slug: str
    created_at: datetime
    updated_at: datetime
    published: bool = False
    default: bool = False  # the profile's first kit, made by /mediakit
    current: bool = False  # the one /mediakit's subcommands change
    theme: Theme = field(default_factory=Theme)
    blocks: tuple[BlockKind, ...] = DEFAULT_BLOCKS
    text: str = ""
    contact: str = ""
    version: int = 1


def check_slug(raw: str) -> str:
    """`raw` as a slug (lower case), or a DomainError saying which rule it breaks."""
    slug = raw.strip().lower()
    shown = raw.strip()[:40]
    if not MIN_SLUG <= len(slug) <= MAX_SLUG:
        raise DomainError(
            f"A kit's address is {MIN_SLUG}–{MAX_SLUG} characters; {shown!r} has "
            f"{len(slug)}. Try e.g. /mediakit slug ana-bakes."
        )
    if not _SLUG.fullmatch(slug):
        raise DomainError(
            f"{shown!r} can't be a kit's address: use letters a–z, digits and single "
            "hyphens, starting and ending with a letter or digit (e.g. ana-bakes)."
        )
    if slug in RESERVED:
        raise DomainError(f"{slug!r} is reserved; pick another address for your kit.")
    return slug


def slug_from(name: str, profile_id: int) -> str:
    """A first address for a profile's default kit: its name in ASCII, then its id (unique)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:20].strip("-")
    return f"{words or 'kit'}-{profile_id}"


def parse_theme(args: str, current: Theme) -> Theme:
    """`#ff5500 8`, `#ff5500` or `8`: the colour and/or corner radius, the rest kept."""
    words = args.split()
    if not words or len(words) > 2:
        raise DomainError(
            "Send a colour and a corner radius: /mediakit theme #ff5500 8 (radius 0–24 px)."
        )
    primary, radius = current.primary, current.radius
    for word in words:
        if word.startswith("#"):
            if not _COLOUR.fullmatch(word):
                raise DomainError(
                    f"{word[:20]!r} isn't a colour: write it as # and six hex digits, "
                    "e.g. #ff5500."
                )
            primary = word.lower()
        elif word.isascii() and word.isdigit() and len(word) <= 3:
            radius = int(word)
            if radius > MAX_RADIUS:
                raise DomainError(f"The corner radius is 0–{MAX_RADIUS} px, not {radius}.")
        else:
            raise DomainError(
                f"{word[:20]!r} is neither a colour (#ff5500) nor a radius (0–{MAX_RADIUS})."
            )
    return Theme(primary, radius)
