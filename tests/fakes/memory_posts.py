"""The write-side fake's posts (tests/fakes/memory_store.py): the SQL adapter's queries and
claim order over plain objects."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.model import ChatRef, MessageRef, Network, Post, Target
from core.states import TargetState

if TYPE_CHECKING:
    from tests.fakes.memory_store import View

__all__ = ["InMemoryPostRepository", "aware", "merged"]

_LEASED = frozenset({TargetState.QUEUED, TargetState.PUBLISHING})
_EPOCH = datetime.min.replace(tzinfo=UTC)


def aware(*values: datetime | None) -> None:
    """The SQL adapter stores tz-aware UTC only; refuse naive datetimes here too."""
    for value in values:
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"naive datetime {value!r}: Postroom stores tz-aware UTC only")


def _check_post(post: Post) -> None:
    aware(post.created_at, post.scheduled_at, post.edited_at)
    for t in post.targets.values():
        aware(t.due_at, t.locked_until, t.sent_at, t.published_at)
    if post.progress is not None:
        chat = post.progress.chat
        if (chat.platform, chat.workspace) != (post.origin.platform, post.origin.workspace):
            raise ValueError("a post's progress message must be on its origin's platform")


class InMemoryPostRepository:
    """core.ports.PostRepository over one unit of work's view of the store."""

    def __init__(self, view: View) -> None:
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

    async def add_many(self, posts: Sequence[Post]) -> list[int]:
        return [(await self.add(post)).id for post in posts]

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

    async def drafts(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        mine = sorted(
            (
                p
                for p in self._view.posts()
                if p.profile_id == profile_id
                and origin in (None, p.origin)
                and all(t.state is TargetState.DRAFT for t in p.targets.values())
            ),
            key=lambda p: (p.last_edit, p.id),
            reverse=True,
        )
        start = max(offset, 0)
        return self._copies(mine[start : start + max(limit, 0)]), len(mine)

    async def count_scheduled(self, profile_id: int) -> int:
        return sum(
            1
            for p in self._view.posts()
            if p.profile_id == profile_id
            and any(
                t.state is TargetState.SCHEDULED
                or (t.state is TargetState.AWAITING_APPROVAL and t.due_at is not None)
                for t in p.targets.values()
            )
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
        aware(since, until)
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
        aware(now, lease_until)

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

    async def renew_leases(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        aware(lease_until)
        for post_id in sorted(set(post_ids)):
            if self._view.post(post_id) is None:
                continue
            post = self._view.writable_post(post_id)
            for t in post.targets.values():
                if t.state in _LEASED and t.locked_by == worker:
                    t.locked_until = lease_until

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
        aware(since, until)
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


def merged(read: Post, ours: Post, current: Post) -> Post:
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
