"""Ports for chat state that must outlive a process: progress messages owed, updates handled."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.model import MessageRef


@dataclass(frozen=True, slots=True)
class ProgressMark:
    """A post whose progress message must show its current state; `version` counts the
    changes, so a render can tell whether it showed the latest one."""

    post_id: int
    version: int
    attempts: int = 0


class ProgressOutboxRepository(Protocol):
    """Marks written in the same transaction as the change they announce; a worker renders a
    mark under a short lease and clears it once the chat shows that version."""

    async def mark(
        self, post_ids: Collection[int], *, worker: str, now: datetime, lease_until: datetime
    ) -> Mapping[int, int]:
        """A newer version for each post (a new mark where none is). `worker` takes each
        mark whose lease is free, run out or its own: returns {post id: version} of those."""
        ...

    async def claim(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[ProgressMark]:
        """Due marks nobody holds (or whose lease ran out), now leased to `worker`; on
        PostgreSQL skipping rows another worker is claiming."""
        ...

    async def held(self, post_id: int, *, worker: str) -> ProgressMark | None:
        """The post's mark if `worker` holds it."""
        ...

    async def done(
        self, post_id: int, version: int, *, worker: str, shown: MessageRef | None = None
    ) -> bool:
        """The chat shows `version`: clear the mark, unless it moved on or `worker` lost it
        (False: render again, or leave it to its holder). `shown`, a message just sent for
        the post, is stored as its progress message if it has none."""
        ...

    async def retry(self, post_id: int, *, worker: str, due_at: datetime) -> None:
        """The render failed: free the lease, try again from `due_at`, one attempt more."""
        ...

    async def drop(self, post_id: int, *, worker: str) -> None:
        """Give up on the mark (the chat keeps refusing)."""
        ...

    async def renew(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        """Heartbeat: extend `worker`'s leases on these marks."""
        ...

    async def release(self, worker: str) -> int:
        """Free every lease `worker` holds, due at once (its process restarted or stops)."""
        ...


class SeenUpdateRepository(Protocol):
    """Chat updates already taken, per bot, shared by every process behind one webhook."""

    async def first_seen(self, source: str, update_id: int, *, now: datetime) -> bool:
        """Record the update; False when it was recorded before (a redelivery)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget updates seen before `before`; returns how many."""
        ...
