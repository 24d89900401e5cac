"""The media kit's own ports: where kits are kept, and who draws the card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.mediakit.facts import KitFacts
from core.mediakit.model import Kit

__all__ = ["CardRenderer", "KitChanged", "KitHead", "KitStore", "SlugTaken"]


class SlugTaken(Exception):
    """Another kit has this address already (the store's unique slug refused it)."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class KitChanged(Exception):
    """The kit was changed (or deleted) since it was read: nothing was saved."""


@dataclass(frozen=True, slots=True)
class KitHead:
    """What a page request needs first: whether the kit is shown, and which version."""

    id: int
    profile_id: int
    version: int
    published: bool


class KitStore(Protocol):
    """Kits, each in its own transaction; rows belong to their profile (/forget removes them)."""

    async def kits_of(self, profile_id: int) -> Sequence[Kit]:
        """The profile's kits, the default first, then by creation."""
        ...

    async def get(self, kit_id: int) -> Kit | None: ...

    async def head(self, slug: str) -> KitHead | None:
        """One small read by slug (every page request makes it)."""
        ...

    async def published_slugs(self) -> frozenset[str]:
        """The address of every published kit (the page cache answers unknown ones from it)."""
        ...

    async def add(self, kit: Kit, *, make_current: bool) -> Kit:
        """Store a new kit (its `id` is ignored) and return it with its id; raises SlugTaken."""
        ...

    async def save(self, kit: Kit) -> Kit:
        """Persist slug, published, theme, blocks, text, contact and updated_at, one version
        up (returned), if the stored kit is still at `kit.version`; raises KitChanged when it
        is not (another change came first: re-read and apply again), SlugTaken."""
        ...

    async def make_current(self, profile_id: int, kit_id: int) -> None:
        """The one kit of the profile that /mediakit's subcommands change from now on."""
        ...

    async def delete(self, kit_id: int) -> None: ...


class CardRenderer(Protocol):
    async def render(self, facts: KitFacts) -> bytes:
        """The card as a PNG within every chat's photo limits; never blocks the event loop."""
        ...
