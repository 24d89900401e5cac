"""Imports waiting for their confirmation: the rows a preview found valid, and their store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.model import ChatRef, Network


class ImportState(StrEnum):
    PENDING = "pending"  # previewed, waiting for Import or Cancel
    DONE = "done"  # imported: its posts exist
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class PlannedPost:
    """One valid row of an import: the post it becomes, scheduled at `due` (UTC)."""

    row: int  # as the spreadsheet numbers it (the header is row 1)
    text: str
    networks: tuple[Network, ...]
    due: datetime
    media: tuple[str, ...] = ()
    campaign: str | None = None


@dataclass(frozen=True, slots=True)
class PendingImport:
    """A previewed import: what Import will schedule, for whom, from which chat, until when."""

    id: int
    profile_id: int
    origin: ChatRef
    created_at: datetime
    expires_at: datetime
    posts: tuple[PlannedPost, ...]
    state: ImportState = ImportState.PENDING
    imported: int = 0  # posts made when it was imported


class ImportRepository(Protocol):
    async def add(self, pending: PendingImport) -> PendingImport:
        """Store a new import (its `id` is ignored) and return it with its id; imports that
        expired before its `created_at` less a day are deleted on the way (no pass needed)."""
        ...

    async def get(self, import_id: int) -> PendingImport | None: ...

    async def finish(
        self, import_id: int, state: ImportState, *, imported: int, now: datetime
    ) -> bool:
        """Move a pending import to `state` (its rows are dropped, only the count is kept);
        False when it was not pending any more. Atomic: of two transactions finishing one
        import, one gets True and the other, after waiting for it, False."""
        ...
