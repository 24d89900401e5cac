"""The ports core needs from the outside world: storage, publishing, messaging and the clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, Self

from core.model import (
    AccountKey,
    ChatPlatform,
    ChatRef,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Subscription,
    Tier,
)
from core.replies import Reply


class ProfileRepository(Protocol):
    async def get(self, profile_id: int) -> Profile | None: ...

    async def by_identity(self, identity: Identity) -> Profile | None: ...

    async def create(
        self, identity: Identity, *, tier: Tier, timezone: str, display_name: str, now: datetime
    ) -> Profile:
        """A new profile bound to `identity`, with its id assigned."""
        ...

    async def save(self, profile: Profile) -> None:
        """Persist tier, time zone, Ayrshare account and connections (secrets encrypted)."""
        ...

    async def lock(self, profile_id: int) -> Profile | None:
        """Like get, but holds a row lock until the unit of work ends (PostgreSQL)."""
        ...

    async def add_subscription(self, profile_id: int, subscription: Subscription) -> None: ...

    async def identities(self, profile_id: int) -> Sequence[Identity]: ...


class PostRepository(Protocol):
    async def add(self, post: Post) -> Post:
        """Store a new post (its `id` is ignored) and return it with its id."""
        ...

    async def get(self, post_id: int) -> Post | None: ...

    async def save(self, post: Post) -> None:
        """Persist the post and every target's state."""
        ...

    async def delete(self, post_id: int) -> None: ...

    async def list_for_profile(
        self, profile_id: int, *, offset: int, limit: int
    ) -> tuple[Sequence[Post], int]:
        """A page of posts (scheduled first, by due time; then newest) and the total count."""
        ...

    async def latest_draft(self, profile_id: int) -> Post | None: ...

    async def count_scheduled(self, profile_id: int) -> int: ...

    async def count_created_since(self, profile_id: int, since: datetime) -> int: ...

    async def claim_due(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Post]:
        """Atomically move due scheduled targets to queued under a lease held by `worker`.

        Returns the posts with at least one target claimed. Safe with many workers: a target
        is claimed by one of them only (FOR UPDATE SKIP LOCKED on PostgreSQL).
        """
        ...

    async def due_unconfirmed(self, now: datetime, *, limit: int) -> Sequence[Post]:
        """Posts with an unconfirmed target whose next lookup is due."""
        ...

    async def expired_leases(self, now: datetime, *, limit: int) -> Sequence[Post]:
        """Posts with a queued or publishing target whose worker's lease has run out."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories; rolls back unless `commit()` was called."""

    profiles: ProfileRepository
    posts: PostRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class OutcomeKind(StrEnum):
    PUBLISHED = "published"
    FAILED = "failed"  # permanent for this request
    RETRY = "retry"  # transient: the same request may succeed later
    UNKNOWN = "unknown"  # may have gone out: look it up before anything else
    ABSENT = "absent"  # a lookup found it was never published


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one target of a publish request (or what a lookup found)."""

    kind: OutcomeKind
    url: str | None = None
    external_id: str | None = None
    provider_post_id: str | None = None
    reason: str | None = None
    retry_after: float | None = None
    reconnect: bool = False


@dataclass(frozen=True, slots=True)
class ConnectLink:
    """Where a user links a network: a URL to open, or (sandbox) a link that completes at once."""

    network: Network
    url: str | None
    completes_at_once: bool = False
    expires_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class PublishRequest:
    post: Post
    networks: tuple[Network, ...]
    idempotency_key: str
    profile: Profile = field(repr=False)


class Publisher(Protocol):
    """Publishes posts for one route (Ayrshare, Instagram Graph, or the sandbox)."""

    route: Route

    def unavailable(self, network: Network) -> str | None:
        """Why this publisher cannot reach `network` here (e.g. X without app keys), or None."""
        ...

    async def create_account(self, profile: Profile) -> AccountKey | None:
        """Create the per-profile account this route needs (None: it needs none)."""
        ...

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink: ...

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        """Networks linked at the provider with their display names; None if it cannot tell."""
        ...

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        """One request for all `request.networks`; raises a PublishError for request-level
        failures, OutcomeUnknown when the request may have gone out."""
        ...

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        """What the provider knows of an earlier request with this idempotency key."""
        ...

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None: ...


class Messenger(Protocol):
    """Pushes replies into chats outside a request (progress edits, notices, digests)."""

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef: ...

    async def edit(self, message: MessageRef, reply: Reply) -> None: ...


Messengers = Mapping[ChatPlatform, Messenger]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...
