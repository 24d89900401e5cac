"""Ports of the engage inbox: comments found on published posts, where they were shown."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.errors import PermanentError
from core.model import ChatRef, MessageRef, Network, Profile, Route

# Quiet hours by default: no pushes from 22:00 to 08:00 in the profile's time zone.
QUIET_START, QUIET_END = 22 * 60, 8 * 60


class CommentState(StrEnum):
    OPEN = "open"  # waiting for the owner: Reply, Hide or Done
    REPLIED = "replied"
    HIDDEN = "hidden"
    DONE = "done"
    GONE = "gone"  # the network no longer has it (deleted)
    OURS = "ours"  # a reply we posted: kept so a later pull never shows it as new


@dataclass(frozen=True, slots=True)
class Watched:
    """A published target whose comments are pulled: one network of one post."""

    profile_id: int
    post_id: int
    network: Network
    route: Route
    provider_post_id: str | None  # Ayrshare's post id (one for all of a post's networks)
    external_id: str | None  # the network's own post id (an Instagram media id)
    url: str | None


@dataclass(frozen=True, slots=True)
class FoundComment:
    """A comment as a network reports it."""

    network: Network
    external_id: str
    author: str
    text: str
    created_at: datetime | None
    url: str | None = None
    hidden: bool = False  # hidden on the network already (Instagram's `hidden`)


@dataclass(slots=True)
class Comment:
    """A comment kept for its owner: found once (network + id are unique), shown once."""

    id: int
    profile_id: int
    post_id: int
    network: Network
    external_id: str
    author: str
    text: str
    created_at: datetime | None
    found_at: datetime
    url: str | None = None
    state: CommentState = CommentState.OPEN
    pushed_at: datetime | None = None  # claimed for a push (or left unpushed: engage off)
    message: MessageRef | None = None  # the chat message showing it, with its buttons
    reply_draft: str | None = None  # the text of a reply that did not go out, for a retry
    handled_at: datetime | None = None


@dataclass(slots=True)
class EngageSettings:
    """A profile's pushes, quiet hours and the reply it is writing (the next message)."""

    profile_id: int
    enabled: bool = True
    quiet: bool = True
    quiet_start: int = QUIET_START  # minutes after local midnight
    quiet_end: int = QUIET_END
    pending_comment: int | None = None  # Reply tapped: the next text answers this comment
    pending_chat: ChatRef | None = None
    pending_since: datetime | None = None


class CommentGone(PermanentError):
    """The network no longer has the comment (deleted by its author or a moderator)."""


class CommentSource(Protocol):
    """Reads and answers comments on one route (Ayrshare for Pro, Instagram Graph for Free)."""

    route: Route

    def missing_access(self, profile: Profile) -> str | None:
        """Why comments cannot be read for `profile` until it reconnects (a permission the
        connection was not granted), or None."""
        ...

    async def comments(
        self, profile: Profile, targets: Sequence[Watched]
    ) -> Mapping[tuple[int, Network], Sequence[FoundComment]]:
        """Comments on `targets` (one Ayrshare post's networks, or one Instagram media), keyed
        by (post id, network). Raises a PublishError when the network cannot answer now."""
        ...

    def reply_limit(self, network: Network) -> int:
        """The most characters a reply may have on `network`."""
        ...

    async def reply(
        self, profile: Profile, network: Network, comment_id: str, text: str
    ) -> str | None:
        """Post `text` as a reply to the comment; our reply's id when the network gives one.
        Raises CommentGone when the comment no longer exists, else a PublishError."""
        ...

    def hide_refusal(self, network: Network) -> str | None:
        """Why a comment on `network` cannot be hidden from here, or None when it can."""
        ...

    async def hide(self, profile: Profile, network: Network, comment_id: str) -> None: ...


class EngageRepository(Protocol):
    async def due(self, now: datetime, *, since: datetime, limit: int) -> Sequence[Watched]:
        """Targets published since `since`, of posts not hidden from reports, whose comment
        check is due (never checked, or its next check has come)."""
        ...

    async def checked(
        self, post_id: int, network: Network, *, now: datetime, next_at: datetime
    ) -> None: ...

    async def add_found(
        self, profile_id: int, post_id: int, found: Sequence[FoundComment], *, now: datetime
    ) -> int:
        """Store the comments not seen before (by network and comment id); how many were new."""
        ...

    async def add_ours(
        self, comment: Comment, external_id: str, text: str, *, now: datetime
    ) -> None:
        """Our reply to `comment`, so a later pull never pushes it back."""
        ...

    async def unpushed(self, *, limit: int, after: int = 0) -> Sequence[Comment]:
        """Open comments not shown yet, by id, from the one after `after` (paging)."""
        ...

    async def claim(self, comment_ids: Collection[int], *, now: datetime) -> Collection[int]:
        """Take these for a push: those nobody pushed meanwhile (another worker)."""
        ...

    async def unclaim(self, comment_ids: Collection[int]) -> None:
        """A push that failed: they are pushed again by the next pass."""
        ...

    async def shown(self, comment_ids: Collection[int], message: MessageRef) -> None: ...

    async def get(self, comment_id: int) -> Comment | None: ...

    async def save(self, comment: Comment) -> None:
        """Persist state, draft, handled time and message."""
        ...

    async def in_message(self, message: MessageRef) -> Sequence[Comment]:
        """The comments a pushed message shows, in the order shown."""
        ...

    async def open_for(
        self, profile_id: int, *, post_id: int | None, limit: int
    ) -> tuple[Sequence[Comment], int]:
        """Open comments, newest first, and how many are open in all."""
        ...

    async def counts(self, profile_id: int, *, since: datetime) -> Mapping[Network, int]:
        """Comments found since `since` per network (ours left out)."""
        ...

    async def post_count(self, post_id: int) -> int: ...

    async def settings(self, profile_id: int) -> EngageSettings: ...

    async def save_settings(self, settings: EngageSettings) -> None: ...
