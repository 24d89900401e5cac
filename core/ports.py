"""The ports core needs from the outside world: storage, publishing, messaging and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol, Self, runtime_checkable

from core.analytics_ports import AnalyticsRepository
from core.approval_ports import ApprovalRepository
from core.billing_ports import BillingRepository
from core.channel_links import LinkRepository
from core.chat_ports import (
    DraftFocusRepository,
    ProgressOutboxRepository,
    SeenUpdateRepository,
)
from core.connections import LinkState
from core.digest_schedule import DigestSubscription
from core.engage_ports import EngageRepository
from core.import_ports import ImportRepository
from core.lifecycle_ports import LifecycleRepository
from core.logins import LoginRepository
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
    Tier,
)
from core.planning_ports import PlanningRepository
from core.replies import Reply
from core.stars_ports import StarChargeRepository
from core.states import TargetState
from core.teams import TeamRepository


class ProfileRepository(Protocol):
    async def get(self, profile_id: int) -> Profile | None: ...

    async def by_identity(self, identity: Identity) -> Profile | None: ...

    async def create(
        self, identity: Identity, *, tier: Tier, timezone: str, display_name: str, now: datetime
    ) -> Profile:
        """A new profile bound to `identity`, with its id assigned."""
        ...

    async def save(self, profile: Profile) -> None:
        """Persist time zone, name, provider accounts and connections (secrets encrypted);
        not the tier (core.billing applies it through `BillingRepository.set_tier`) nor the
        subscription and grants (`BillingRepository`)."""
        ...

    async def lock(self, profile_id: int) -> Profile | None:
        """Like get, but holds a row lock until the unit of work ends (PostgreSQL)."""
        ...

    async def identities(self, profile_id: int) -> Sequence[Identity]: ...

    async def delete(self, profile_id: int) -> None:
        """Delete the profile and everything kept for it (/forget): its identities, provider
        accounts and their keys, connections, subscriptions, posts with their targets, tags
        and progress marks, measurements, digests and their deliveries, linked channels and
        link codes, and what a chat platform keeps per user of its identities (a Slack user's
        installation). Gone at commit, like every write of the unit of work."""
        ...


class PostRepository(Protocol):
    async def add(self, post: Post) -> Post:
        """Store a new post (its `id` is ignored) and return it with its id."""
        ...

    async def add_many(self, posts: Sequence[Post]) -> list[int]:
        """Store new posts at once (an import; their `id`s are ignored): their ids, in order."""
        ...

    async def get(self, post_id: int) -> Post | None: ...

    async def lock(self, post_id: int) -> Post | None:
        """Like get, but holds the post's row lock until the unit of work ends (PostgreSQL):
        no worker claims the post meanwhile, and a claim in progress is waited for."""
        ...

    async def save(self, post: Post) -> None:
        """Persist the post and every target's state."""
        ...

    async def delete(self, post_id: int) -> None: ...

    async def list_for_profile(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        """A page of posts (scheduled first, by due time; then newest) and the total count;
        with `origin`, only the posts made in that chat."""
        ...

    async def latest_draft(self, profile_id: int, origin: ChatRef | None = None) -> Post | None:
        """The newest draft (made in `origin`, when given)."""
        ...

    async def drafts(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        """A page of drafts (no target past draft), last edited first, and how many there
        are; with `origin`, only those made in that chat."""
        ...

    async def recent(
        self, profile_id: int, *, origin: ChatRef | None, limit: int
    ) -> Sequence[Post]:
        """The profile's newest posts (made in chat `origin`, unless None), newest first."""
        ...

    async def count_scheduled(self, profile_id: int) -> int: ...

    async def count_outgoing(self, profile_id: int, *, since: datetime, until: datetime) -> int:
        """Posts with a target published, on its way or scheduled within [since, until), timed
        as in `network_activity`: what the monthly post limit counts (not drafts, not posts
        that only failed)."""
        ...

    async def claim_due(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Post]:
        """Atomically move due scheduled targets to queued under a lease held by `worker`.

        Posts are claimed whole: every due scheduled target of a post at once, earliest due
        post first, as many posts as fit in `limit` targets (at least one post), so one
        request can carry all of a post's targets. Returns the posts with a target claimed.
        Safe with many workers: a post is claimed by one of them only (FOR UPDATE SKIP LOCKED
        on PostgreSQL).
        """
        ...

    async def due_unconfirmed(self, now: datetime, *, limit: int) -> Sequence[Post]:
        """Posts with an unconfirmed target whose next lookup is due."""
        ...

    async def expired_leases(self, now: datetime, *, limit: int) -> Sequence[Post]:
        """Posts with a queued or publishing target whose worker's lease has run out."""
        ...

    async def renew_leases(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        """Heartbeat: extend `worker`'s leases on the targets of these posts it holds."""
        ...

    async def held_by(self, worker: str, *, limit: int) -> Sequence[Post]:
        """Posts with a queued or publishing target under a lease held by `worker`."""
        ...

    async def next_due(self) -> datetime | None:
        """The earliest due time of a scheduled target, or None when none is scheduled."""
        ...

    async def network_activity(
        self, profile_id: int, network: Network, *, since: datetime, until: datetime
    ) -> Sequence[tuple[datetime, TargetState]]:
        """The profile's targets on `network` that went out, or are due, within [since, until]:
        (published_at, published), (sent_at, publishing or unconfirmed), (due_at, scheduled or
        queued). For per-account publishing quotas (Instagram's 50 posts per 24 h)."""
        ...

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        """Posts made in `old` now belong to `new` (origin and progress message chat), e.g. a
        Telegram group that became a supergroup; returns how many posts moved."""
        ...


class DigestRepository(Protocol):
    """Digest subscriptions, and one delivery row per (subscription, day): the claim."""

    async def get(self, subscription_id: int) -> DigestSubscription | None: ...

    async def find(self, profile_id: int, chat: ChatRef) -> DigestSubscription | None: ...

    async def for_profile(self, profile_id: int) -> Sequence[DigestSubscription]: ...

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        """Subscriptions of a chat that got a new id follow it; returns how many moved."""
        ...

    async def save(self, subscription: DigestSubscription) -> DigestSubscription:
        """Insert (id 0) or update; returns it with its id."""
        ...

    async def due(
        self, now: datetime, *, limit: int, platforms: Collection[ChatPlatform] | None = None
    ) -> Sequence[DigestSubscription]:
        """Enabled subscriptions whose next delivery time has come (in chats on `platforms`,
        when given: the ones this process has a messenger for)."""
        ...

    async def advance(
        self, subscription_id: int, *, expected: datetime | None, next_due_at: datetime
    ) -> None:
        """Move the next delivery time on, unless a /digest change moved it meanwhile."""
        ...

    async def claim(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, lease_until: datetime
    ) -> int | None:
        """Take the (subscription, day) digest: insert its row, or take over one whose lease
        ran out or whose retry is due. The attempt number, or None if it is not ours to send."""
        ...

    async def stalled(self, now: datetime, *, limit: int) -> Sequence[tuple[int, date]]:
        """Deliveries to take over: leases run out, retries due."""
        ...

    async def mark_sent(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, message_id: str
    ) -> bool: ...

    async def mark_retry(
        self, subscription_id: int, day: date, *, worker: str, error: str, retry_at: datetime
    ) -> None: ...

    async def mark_failed(
        self, subscription_id: int, day: date, *, worker: str, error: str
    ) -> None: ...

    async def release(self, worker: str, now: datetime) -> int:
        """Hand back this worker's unsent claims (a clean stop), due again at `now`."""
        ...

    async def status(self, subscription_id: int, day: date) -> str | None: ...


class UnitOfWork(Protocol):
    """One transaction over the repositories; rolls back unless `commit()` was called."""

    profiles: ProfileRepository
    posts: PostRepository
    analytics: AnalyticsRepository
    digests: DigestRepository
    links: LinkRepository
    progress: ProgressOutboxRepository
    seen_updates: SeenUpdateRepository
    logins: LoginRepository
    lifecycle: LifecycleRepository
    billing: BillingRepository
    star_charges: StarChargeRepository
    teams: TeamRepository
    imports: ImportRepository
    approvals: ApprovalRepository
    planning: PlanningRepository  # templates, posting slots and the queue
    drafts: DraftFocusRepository
    engage: EngageRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


# More work in a use case's transaction, before it commits (the queue's entry for a post the
# composer schedules); raising undoes the whole transaction.
Also = Callable[[UnitOfWork, Post], Awaitable[None]]


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
    # A RETRY from a request the provider processed (a per-network error): its idempotency key
    # is used up, so the automatic re-send needs a fresh one or it would be refused as a
    # duplicate. Request-level transient errors (429, 5xx, no connection) keep the key.
    key_spent: bool = False


@dataclass(frozen=True, slots=True)
class ConnectLink:
    """Where a user links a network: a URL to open, or (sandbox) a link that completes at once."""

    network: Network
    url: str | None
    completes_at_once: bool = False
    expires_minutes: int | None = None


class Checkpoint(Protocol):
    async def __call__(self, network: Network, provider_post_id: str) -> None:
        """Store what the provider made of the request so far (an Instagram container id) on
        the target, durably, before the step that may publish it: a lookup after a crash then
        asks about it instead of guessing. Does nothing once the attempt has moved on."""
        ...


@dataclass(frozen=True, slots=True)
class PublishRequest:
    post: Post
    networks: tuple[Network, ...]
    idempotency_key: str
    profile: Profile = field(repr=False)
    # Set by the pipeline for a send (not for a lookup); publishers without such a step
    # ignore it.
    checkpoint: Checkpoint | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # One request carries one text: a group whose versions differ would send the first
        # network's text to the others (the pipeline groups by text; a send never follows an
        # edit, core.chat.base.require_draft). Loud rather than a wrong post.
        texts = {self.post.text_for(n) for n in self.networks}
        assert len(texts) <= 1, f"post {self.post.id}: one request, {len(texts)} texts"

    @property
    def text(self) -> str:
        """The one text of this request: its networks share it (the pipeline sends one
        request per distinct version, `Post.text_for`)."""
        return self.post.text_for(self.networks[0]) if self.networks else self.post.text


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


@runtime_checkable
class Unlinker(Protocol):
    """A publisher that can unlink a network at its provider (Ayrshare's profile API); a
    route without one (a stored token of our own) is disconnected by deleting what we keep."""

    async def unlink(self, profile: Profile, network: Network) -> None:
        """Unlink `network`; raises a PublishError when the provider refuses or is down."""
        ...


@runtime_checkable
class AccountDeleter(Protocol):
    """A publisher whose per-profile account lives at its provider (Ayrshare's User Profile):
    /forget deletes it there before anything here."""

    async def delete_account(self, profile: Profile) -> None:
        """Delete the profile's account with all it holds; raises a PublishError when the
        provider refuses or is down."""
        ...


def unwrapped(publisher: Publisher | None) -> Publisher | None:
    """The publisher a decorator wraps (`core.telemetry.MeteredPublisher` meters publish
    requests only): optional abilities (`Unlinker`, `AccountDeleter`) are the inner one's."""
    while publisher is not None:
        inner = getattr(publisher, "wrapped", None)
        if inner is None:
            return publisher
        publisher = inner
    return None


@runtime_checkable
class LinkReader(Protocol):
    """A publisher whose provider says, per linked network, when the link must be renewed
    (Ayrshare's GET /user). `connected` stays the plain answer every publisher gives."""

    async def links(self, profile: Profile) -> Mapping[Network, LinkState] | None:
        """Linked networks with their names and ends; None when it cannot tell."""
        ...


async def read_links(publisher: Publisher, profile: Profile) -> Mapping[Network, LinkState] | None:
    """What `publisher` reports linked: with link ends where it knows them (`LinkReader`),
    else the plain names every publisher gives."""
    inner = unwrapped(publisher)
    if isinstance(inner, LinkReader):
        links = await inner.links(profile)
        if links is not None:
            return links
    names = await publisher.connected(profile)
    if names is None:
        return None
    # A plain answer says nothing of ends: the ones we keep (an Instagram token's) stay.
    known = profile.connections
    return {
        n: LinkState(name, known[n].expires_at if n in known else None)
        for n, name in names.items()
    }


class ChatUnreachable(Exception):
    """A messenger may not write in that chat: the bot is not a member, or the chat is
    archived or gone. Sending to the author's private chat instead may still work."""


class Messenger(Protocol):
    """Pushes replies into chats outside a request (progress edits, notices, digests).

    `send` to a private chat of kind PRIVATE whose id is a user id opens the bot's private
    chat with that user where a platform tells the two apart (Slack's DM ids start with D).
    """

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef: ...

    async def edit(self, message: MessageRef, reply: Reply) -> None: ...


Messengers = Mapping[ChatPlatform, Messenger]


class MediaHost(Protocol):
    """Makes a file a user sent in chat reachable at a URL the publisher can fetch."""

    # False when `host` ignores `data` (the sandbox): callers may skip downloading the file.
    needs_data: bool

    async def host(self, data: bytes, *, filename: str, mime: str) -> str:
        """The https URL where `data` can be fetched; raises PublishError when it cannot."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...
