"""In-memory repositories and unit of work with the SQL adapter's semantics (tests, sandbox)."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Self

from adapters.memory.analytics import (
    AnalyticsTables,
    InMemoryAnalyticsRepository,
    InMemoryDigestRepository,
    Transaction,
)
from adapters.memory.links import InMemoryLinkRepository, LinkTables
from core.errors import Conflict
from core.link_model import LinkRepository
from core.model import (
    ChatRef,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Subscription,
    Target,
    Tier,
)
from core.ports import (
    AnalyticsRepository,
    DigestRepository,
    PostRepository,
    ProfileRepository,
)
from core.states import TargetState

_LEASED = frozenset({TargetState.QUEUED, TargetState.PUBLISHING})
_EPOCH = datetime.min.replace(tzinfo=UTC)


def _aware(*values: datetime | None) -> None:
    """The SQL adapter stores tz-aware UTC only; refuse naive datetimes here too."""
    for value in values:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"naive datetime {value!r}: Postroom stores tz-aware UTC only")


def _check_post(post: Post) -> None:
    _aware(post.created_at, post.scheduled_at)
    for t in post.targets.values():
        _aware(t.due_at, t.locked_until, t.sent_at, t.published_at)
    if post.progress is not None:
        chat = post.progress.chat
        if (chat.platform, chat.workspace) != (post.origin.platform, post.origin.workspace):
            raise ValueError("a post's progress message must be on its origin's platform")


@dataclass
class InMemoryStore:
    """The committed state, shared by every unit of work of one factory."""

    profiles: dict[int, Profile] = field(default_factory=dict)  # subscription kept apart
    identities: dict[Identity, int] = field(default_factory=dict)
    subscriptions: dict[int, list[Subscription]] = field(default_factory=dict)
    posts: dict[int, Post] = field(default_factory=dict)
    analytics: AnalyticsTables = field(default_factory=AnalyticsTables)
    links: LinkTables = field(default_factory=LinkTables)
    commits: int = 0
    # Ids are handed out at insert and never reused, even when the insert is rolled back
    # (as database sequences behave).
    _profile_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _post_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def next_profile_id(self) -> int:
        return next(self._profile_ids)

    def next_post_id(self) -> int:
        return next(self._post_ids)


@dataclass
class _Pending:
    """What one unit of work wrote; applied to the store on commit, dropped otherwise."""

    profiles: dict[int, Profile] = field(default_factory=dict)
    identities: dict[Identity, int] = field(default_factory=dict)
    subscriptions: list[tuple[int, Subscription]] = field(default_factory=list)
    posts: dict[int, Post | None] = field(default_factory=dict)  # None: deleted
    # Committed posts as this unit first read them: commit applies only what it changed since
    # (the SQL adapter writes only changed columns), so another unit's commit meanwhile to
    # other targets or fields survives.
    read: dict[int, Post] = field(default_factory=dict)


class _View:
    """The store as this unit of work sees it: committed state overlaid with its own writes."""

    def __init__(self, store: InMemoryStore, pending: _Pending) -> None:
        self.store = store
        self.pending = pending

    def profile(self, profile_id: int) -> Profile | None:
        if profile_id in self.pending.profiles:
            return self.pending.profiles[profile_id]
        return self.store.profiles.get(profile_id)

    def identities(self) -> dict[Identity, int]:
        return self.store.identities | self.pending.identities

    def subscriptions(self, profile_id: int) -> list[Subscription]:
        committed = self.store.subscriptions.get(profile_id, [])
        return committed + [s for pid, s in self.pending.subscriptions if pid == profile_id]

    def post(self, post_id: int) -> Post | None:
        if post_id in self.pending.posts:
            return self.pending.posts[post_id]
        return self.store.posts.get(post_id)

    def posts(self) -> Iterable[Post]:
        merged: dict[int, Post | None] = {**self.store.posts, **self.pending.posts}
        return [p for p in merged.values() if p is not None]

    def writable_post(self, post_id: int) -> Post:
        """The post to change in place: this unit of work's own copy."""
        own = self.pending.posts.get(post_id)
        if own is None:
            self.seen(post_id)
            own = copy.deepcopy(self.store.posts[post_id])
            self.pending.posts[post_id] = own
        return own

    def seen(self, post_id: int) -> None:
        """Remember the committed post as this unit first read it."""
        committed = self.store.posts.get(post_id)
        if committed is not None and post_id not in self.pending.read:
            self.pending.read[post_id] = copy.deepcopy(committed)


class InMemoryProfileRepository:
    def __init__(self, view: _View) -> None:
        self._view = view

    def _loaded(self, profile_id: int) -> Profile | None:
        stored = self._view.profile(profile_id)
        if stored is None:
            return None
        profile = copy.deepcopy(stored)
        history = self._view.subscriptions(profile_id)
        profile.subscription = copy.deepcopy(history[-1]) if history else None
        return profile

    async def get(self, profile_id: int) -> Profile | None:
        return self._loaded(profile_id)

    async def by_identity(self, identity: Identity) -> Profile | None:
        profile_id = self._view.identities().get(identity)
        return None if profile_id is None else self._loaded(profile_id)

    async def create(
        self, identity: Identity, *, tier: Tier, timezone: str, display_name: str, now: datetime
    ) -> Profile:
        _aware(now)
        if identity in self._view.identities():
            raise Conflict(f"identity {identity} already has a profile")
        profile_id = self._view.store.next_profile_id()
        profile = Profile(profile_id, tier, timezone, now, display_name)
        self._view.pending.profiles[profile_id] = profile
        self._view.pending.identities[identity] = profile_id
        return copy.deepcopy(profile)

    async def save(self, profile: Profile) -> None:
        stored = self._view.profile(profile.id)
        if stored is None:
            raise LookupError(f"profile {profile.id} does not exist")
        for c in profile.connections.values():
            _aware(c.updated_at)
        # Like the SQL adapter: id and created_at stay; the subscription is history, written
        # by add_subscription only.
        updated = copy.deepcopy(stored)
        updated.tier = profile.tier
        updated.timezone = profile.timezone
        updated.display_name = profile.display_name
        updated.accounts = copy.deepcopy(profile.accounts)
        updated.connections = copy.deepcopy(profile.connections)
        updated.subscription = None
        self._view.pending.profiles[profile.id] = updated

    async def lock(self, profile_id: int) -> Profile | None:
        return self._loaded(profile_id)

    async def add_subscription(self, profile_id: int, subscription: Subscription) -> None:
        if self._view.profile(profile_id) is None:
            raise LookupError(f"profile {profile_id} does not exist")
        _aware(subscription.current_period_end, subscription.created_at)
        self._view.pending.subscriptions.append((profile_id, copy.deepcopy(subscription)))

    async def identities(self, profile_id: int) -> Sequence[Identity]:
        return [i for i, pid in self._view.identities().items() if pid == profile_id]


class InMemoryPostRepository:
    def __init__(self, view: _View) -> None:
        self._view = view

    def _copies(self, posts: Iterable[Post]) -> list[Post]:
        found = [copy.deepcopy(p) for p in posts]
        for post in found:
            self._view.seen(post.id)
        return found

    async def add(self, post: Post) -> Post:
        if self._view.profile(post.profile_id) is None:
            raise LookupError(f"profile {post.profile_id} does not exist")
        _check_post(post)
        stored = copy.deepcopy(post)
        stored.id = self._view.store.next_post_id()
        self._view.pending.posts[stored.id] = stored
        return copy.deepcopy(stored)

    async def get(self, post_id: int) -> Post | None:
        self._view.seen(post_id)
        return copy.deepcopy(self._view.post(post_id))

    async def lock(self, post_id: int) -> Post | None:
        return await self.get(post_id)

    async def save(self, post: Post) -> None:
        if self._view.post(post.id) is None:
            raise LookupError(f"post {post.id} does not exist")
        _check_post(post)
        self._view.seen(post.id)
        self._view.pending.posts[post.id] = copy.deepcopy(post)

    async def delete(self, post_id: int) -> None:
        if self._view.post(post_id) is not None:
            self._view.pending.posts[post_id] = None

    async def list_for_profile(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        def order(post: Post) -> tuple[int, datetime, int]:
            due = _earliest(
                t.due_at for t in post.targets.values() if t.state is TargetState.SCHEDULED
            )
            # Scheduled posts first, soonest due first; the rest newest first.
            return (0, due, post.id) if due is not None else (1, _EPOCH, -post.id)

        mine = sorted(
            (
                p
                for p in self._view.posts()
                if p.profile_id == profile_id and origin in (None, p.origin)
            ),
            key=order,
        )
        start = max(offset, 0)
        return self._copies(mine[start : start + max(limit, 0)]), len(mine)

    async def latest_draft(self, profile_id: int, origin: ChatRef | None = None) -> Post | None:
        drafts = [
            p
            for p in self._view.posts()
            if p.profile_id == profile_id
            and origin in (None, p.origin)
            and all(t.state is TargetState.DRAFT for t in p.targets.values())
        ]
        return copy.deepcopy(max(drafts, key=lambda p: p.id)) if drafts else None

    async def count_scheduled(self, profile_id: int) -> int:
        return sum(
            1
            for p in self._view.posts()
            if p.profile_id == profile_id
            and any(t.state is TargetState.SCHEDULED for t in p.targets.values())
        )

    async def recent(
        self, profile_id: int, *, origin: ChatRef | None, limit: int
    ) -> Sequence[Post]:
        mine = [
            p
            for p in self._view.posts()
            if p.profile_id == profile_id and origin in (None, p.origin)
        ]
        mine.sort(key=lambda p: p.id, reverse=True)
        return self._copies(mine[: max(limit, 0)])

    async def count_outgoing(self, profile_id: int, *, since: datetime, until: datetime) -> int:
        _aware(since, until)
        return sum(
            1
            for p in self._view.posts()
            if p.profile_id == profile_id
            and any(
                (at := _going_out(t)) is not None and since <= at < until
                for t in p.targets.values()
            )
        )

    async def claim_due(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Post]:
        _aware(now, lease_until)

        def due(target: Target) -> bool:
            return (
                target.state is TargetState.SCHEDULED
                and target.due_at is not None
                and target.due_at <= now
            )

        # Whole posts, earliest due first, as many as fit in `limit` targets (at least one).
        waiting = sorted(
            (first, p.id, [t.network for t in p.targets.values() if due(t)])
            for p in self._view.posts()
            if (first := _earliest(t.due_at for t in p.targets.values() if due(t))) is not None
        )
        claimed: list[int] = []
        taken = 0
        for _, post_id, networks in waiting[: max(limit, 0)]:
            if claimed and taken + len(networks) > limit:
                break
            post = self._view.writable_post(post_id)
            for network in networks:
                target = post.targets[network]
                target.state = TargetState.QUEUED
                target.locked_by = worker
                target.locked_until = lease_until
            claimed.append(post_id)
            taken += len(networks)
        posts = (self._view.post(i) for i in claimed)
        return self._copies(p for p in posts if p is not None)

    async def due_unconfirmed(self, now: datetime, *, limit: int) -> Sequence[Post]:
        def due(post: Post) -> datetime | None:
            return _earliest(
                t.due_at
                for t in post.targets.values()
                if t.state is TargetState.UNCONFIRMED and t.due_at is not None and t.due_at <= now
            )

        return self._first(due, limit)

    async def expired_leases(self, now: datetime, *, limit: int) -> Sequence[Post]:
        def expiry(post: Post) -> datetime | None:
            return _earliest(
                t.locked_until
                for t in post.targets.values()
                if t.state in _LEASED and t.locked_until is not None and t.locked_until < now
            )

        return self._first(expiry, limit)

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        if (old.platform, old.workspace) != (new.platform, new.workspace):
            raise ValueError("a chat can only move within its platform and workspace")
        moved = [p.id for p in self._view.posts() if p.origin == old]
        for post_id in moved:
            post = self._view.writable_post(post_id)
            post.origin = new
            if post.progress is not None and post.progress.chat == old:
                post.progress = MessageRef(new, post.progress.message_id)
        return len(moved)

    async def held_by(self, worker: str, *, limit: int) -> Sequence[Post]:
        held = [
            p
            for p in sorted(self._view.posts(), key=lambda p: p.id)
            if any(t.state in _LEASED and t.locked_by == worker for t in p.targets.values())
        ]
        return self._copies(held[: max(limit, 0)])

    async def next_due(self) -> datetime | None:
        return _earliest(
            t.due_at
            for p in self._view.posts()
            for t in p.targets.values()
            if t.state is TargetState.SCHEDULED
        )

    async def network_activity(
        self, profile_id: int, network: Network, *, since: datetime, until: datetime
    ) -> Sequence[tuple[datetime, TargetState]]:
        _aware(since, until)
        found: list[tuple[datetime, TargetState]] = []
        for post in self._view.posts():
            target = post.targets.get(network)
            if post.profile_id != profile_id or target is None:
                continue
            at = _going_out(target)
            if at is not None and since <= at <= until:
                found.append((at, target.state))
        return sorted(found, key=lambda item: item[0])

    def _first(self, when: Callable[[Post], datetime | None], limit: int) -> list[Post]:
        """Posts for which `when` finds a time, earliest first (then by id), at most `limit`."""
        found = [(at, p.id, p) for p in self._view.posts() if (at := when(p)) is not None]
        found.sort(key=lambda item: (item[0], item[1]))
        return self._copies(p for _, _, p in found[: max(limit, 0)])


def _going_out(target: Target) -> datetime | None:
    """When a target went out, is going out or is due; None for drafts and failures."""
    match target.state:
        case TargetState.PUBLISHED:
            return target.published_at
        case TargetState.PUBLISHING | TargetState.UNCONFIRMED:
            return target.sent_at
        case TargetState.SCHEDULED | TargetState.QUEUED:
            return target.due_at
        case _:
            return None


_POST_FIELDS = tuple(f.name for f in fields(Post) if f.name not in ("id", "targets"))
_TARGET_FIELDS = tuple(f.name for f in fields(Target))


def _merged(read: Post, ours: Post, current: Post) -> Post:
    """`current` with what this unit changed since it read the post (`read` → `ours`)."""
    merged = copy.deepcopy(current)
    for name in _POST_FIELDS:
        if getattr(ours, name) != getattr(read, name):
            setattr(merged, name, copy.deepcopy(getattr(ours, name)))
    for network in read.targets.keys() | ours.targets.keys():
        was, now = read.targets.get(network), ours.targets.get(network)
        if now is None:
            merged.targets.pop(network, None)  # unticked here
        elif was is None:
            merged.targets[network] = copy.deepcopy(now)  # ticked here
        elif (there := merged.targets.get(network)) is not None:
            for name in _TARGET_FIELDS:
                if getattr(now, name) != getattr(was, name):
                    setattr(there, name, getattr(now, name))
    return merged


def _earliest(times: Iterable[datetime | None]) -> datetime | None:
    return min((t for t in times if t is not None), default=None)


class InMemoryUnitOfWork:
    """One transaction over the store: reads see committed state plus this unit's writes;
    commit applies them, leaving without commit drops them. Objects are deep-copied in and
    out, so a test cannot pass by mutating what a repository handed back."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._pending = _Pending()
        view = _View(store, self._pending)
        self.profiles: ProfileRepository = InMemoryProfileRepository(view)
        self.posts: PostRepository = InMemoryPostRepository(view)
        self._analytics = Transaction(lambda: store.analytics)

        def profiles() -> list[Profile]:
            merged = {**store.profiles, **self._pending.profiles}
            return list(merged.values())

        self.analytics: AnalyticsRepository = InMemoryAnalyticsRepository(
            self._analytics, view.posts, profiles
        )
        self.digests: DigestRepository = InMemoryDigestRepository(self._analytics, profiles)
        self._links = Transaction(lambda: store.links)
        self.links: LinkRepository = InMemoryLinkRepository(self._links)
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._discard()

    async def commit(self) -> None:
        pending, store = self._pending, self.store
        for identity, profile_id in pending.identities.items():
            # Another unit of work may have committed the same identity meanwhile (the SQL
            # adapter's UNIQUE constraint).
            if store.identities.get(identity, profile_id) != profile_id:
                self._discard()
                raise Conflict(f"identity {identity} already has a profile")
        try:
            analytics = self._analytics.apply(store.analytics)
            links = self._links.apply(store.links)
        except Conflict:
            self._discard()
            raise
        deleted = {post_id for post_id, post in pending.posts.items() if post is None}
        if deleted:
            # ON DELETE CASCADE: a post's measured items and tags go with it.
            analytics = analytics or copy.deepcopy(store.analytics)
            analytics.cascade_posts(deleted)
        if analytics is not None:
            store.analytics = analytics
        if links is not None:
            store.links = links
        store.profiles.update(pending.profiles)
        store.identities.update(pending.identities)
        for profile_id, subscription in pending.subscriptions:
            store.subscriptions.setdefault(profile_id, []).append(subscription)
        for post_id, post in pending.posts.items():
            read, current = pending.read.get(post_id), store.posts.get(post_id)
            if post is None:
                store.posts.pop(post_id, None)
            elif read is None:
                store.posts[post_id] = post  # added by this unit
            elif current is not None:  # (deleted meanwhile: an update of no row)
                store.posts[post_id] = _merged(read, post, current)
        store.commits += 1
        self.committed = True
        self._discard()

    async def rollback(self) -> None:
        self._discard()

    def _discard(self) -> None:
        self._pending.profiles.clear()
        self._pending.identities.clear()
        self._pending.subscriptions.clear()
        self._pending.posts.clear()
        self._pending.read.clear()
        self._analytics.discard()
        self._links.discard()


class InMemoryUnitOfWorkFactory:
    """Satisfies core.ports.UnitOfWorkFactory over one shared InMemoryStore."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)
