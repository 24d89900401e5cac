"""What the templates, posting slots and queue keep: their records and the storage port."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Template:
    """A saved post text (with its placeholders unfilled) and media, owned by one profile
    (a person's or, once teams exist, a team's: a team profile is a profile)."""

    id: int
    profile_id: int
    name: str  # lower case, unique per profile
    text: str
    media: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A weekly posting slot in the profile's time zone: `weekday` 0 is Monday, `minute` the
    minutes after local midnight (0–1439)."""

    weekday: int
    minute: int


class PlanningRepository(Protocol):
    async def templates(self, profile_id: int) -> Sequence[Template]:
        """The profile's templates, by name."""
        ...

    async def template(
        self, profile_id: int, *, name: str | None = None, template_id: int | None = None
    ) -> Template | None:
        """The profile's template with that name or id (another profile's is None)."""
        ...

    async def add_template(self, template: Template) -> Template | None:
        """Store a new template (its id is ignored); None when the profile already has one of
        that name (unique in storage, so two saves at once keep one)."""
        ...

    async def delete_template(self, profile_id: int, template_id: int) -> bool: ...

    async def slots(self, profile_id: int) -> Sequence[Slot]:
        """The profile's slots, Monday first, then by time."""
        ...

    async def add_slot(self, profile_id: int, slot: Slot) -> bool:
        """False when the profile has that slot already."""
        ...

    async def remove_slot(self, profile_id: int, slot: Slot) -> bool: ...

    async def queued(self, profile_id: int) -> Sequence[int]:
        """Ids of the posts added to the profile's queue (whatever became of them since)."""
        ...

    async def enqueue(self, profile_id: int, post_id: int, now: datetime) -> None: ...

    async def dequeue(self, post_ids: Collection[int]) -> None: ...

    async def paused(self, profile_id: int) -> bool: ...

    async def set_paused(self, profile_id: int, paused: bool) -> None: ...

    async def scheduled(
        self, profile_id: int, *, since: datetime
    ) -> Sequence[tuple[int, datetime]]:
        """(post id, due time) of the profile's posts that wait for their time or are going
        out, due at or after `since`: the slots they sit in are taken."""
        ...
