"""Ports for chat state that must outlive a process: progress messages owed, updates handled,
the draft a chat has open."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.model import ChatRef, Identity, MessageRef, Network


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


class Awaiting(StrEnum):
    """What the next plain message in a chat is for, after a draft's button asked for it."""

    TEXT = "text"  # the draft's main text
    MEDIA = "media"  # its photos and videos
    VERSION = "version"  # one network's own text (`DraftFocus.network`)


@dataclass(frozen=True, slots=True)
class DraftFocus:
    """The draft a user opened in a chat, which /schedule and /version act on; and what their
    next message there is for, until `until`.

    `newest` is the newest post made in that chat when it was opened: a post composed there
    since is what the user works on now, and the opened draft no longer counts."""

    post_id: int
    newest: int
    awaiting: Awaiting | None = None
    network: Network | None = None
    until: datetime | None = None

    def waits(self, now: datetime) -> bool:
        return self.awaiting is not None and self.until is not None and now < self.until


class DraftFocusRepository(Protocol):
    """One focus per (profile, chat user, chat): in a team's chat each member has their own.
    It goes with its post and its profile."""

    async def get(
        self, profile_id: int, identity: Identity, chat: ChatRef
    ) -> DraftFocus | None: ...

    async def waiting(
        self, identity: Identity, chat: ChatRef, now: datetime
    ) -> tuple[int, DraftFocus] | None:
        """The (profile id, focus) whose prompt waits for this user's next message in this
        chat at `now`; the latest asked if several profiles wait."""
        ...

    async def put(
        self, profile_id: int, identity: Identity, chat: ChatRef, focus: DraftFocus
    ) -> None:
        """Insert or replace the user's focus in the chat."""
        ...

    async def clear(self, profile_id: int, identity: Identity, chat: ChatRef) -> None: ...
