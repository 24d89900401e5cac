"""The public page's reads: which version of a kit a slug names, and what its page shows."""

from __future__ import annotations

from dataclasses import dataclass

from core.mediakit.facts import KitFacts, read_facts
from core.mediakit.model import Kit
from core.mediakit.ports import KitHead, KitStore
from core.ports import Clock, UnitOfWorkFactory

__all__ = ["KitPage", "KitPages"]


@dataclass(frozen=True, slots=True)
class KitPage:
    kit: Kit
    facts: KitFacts


class KitPages:
    """Read-only: nothing here changes a kit, and only published kits are answered."""

    def __init__(self, uow: UnitOfWorkFactory, kits: KitStore, clock: Clock) -> None:
        self._uow = uow
        self._kits = kits
        self._clock = clock

    async def head(self, slug: str) -> KitHead | None:
        """The published kit at `slug` (None: no such kit, or not published)."""
        if not slug or len(slug) > 64:
            return None
        found = await self._kits.head(slug)
        return found if found is not None and found.published else None

    async def published_slugs(self) -> frozenset[str]:
        return await self._kits.published_slugs()

    async def page(self, kit_id: int) -> KitPage | None:
        kit = await self._kits.get(kit_id)
        if kit is None or not kit.published:
            return None
        async with self._uow() as uow:
            profile = await uow.profiles.get(kit.profile_id)
            if profile is None:
                return None
            facts = await read_facts(uow, profile, self._clock.now())
        return KitPage(kit, facts)
