"""In-memory progress outbox, seen updates and draft focus, with the SQL adapter's semantics."""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from core.chat_ports import DraftFocus, ProgressMark
from core.errors import Conflict
from core.model import ChatRef, Identity, MessageRef, Post

R = TypeVar("R")


@dataclass(slots=True)
class _Mark:
    version: int
    attempts: int
    due_at: datetime
    locked_by: str | None
    locked_until: datetime | None

    def free(self, worker: str, now: datetime) -> bool:
        return self.locked_until is None or self.locked_until < now or self.locked_by == worker


@dataclass
class ChatTables:
    marks: dict[int, _Mark] = field(default_factory=dict)
    seen: dict[tuple[str, int], datetime] = field(default_factory=dict)
    # Progress messages stored by `done`, for the post store to apply: {post id: message}.
    shown: dict[int, MessageRef] = field(default_factory=dict)
    focus: dict[tuple[int, Identity, str], DraftFocus] = field(default_factory=dict)

    def cascade_posts(self, post_ids: Collection[int]) -> None:
        for post_id in post_ids:
            self.marks.pop(post_id, None)
        gone = set(post_ids)
        self.focus = {k: f for k, f in self.focus.items() if f.post_id not in gone}


class ChatTransaction:
    """One unit of work's view of the chat tables: its writes apply on commit, in order."""

    def __init__(self, committed: Callable[[], ChatTables]) -> None:
        self._committed = committed
        self._ops: list[Callable[[ChatTables], object]] = []
        self._view: ChatTables | None = None

    @property
    def view(self) -> ChatTables:
        if self._view is None:
            self._view = copy.deepcopy(self._committed())
            for op in self._ops:
                op(self._view)
        return self._view

    def write(self, op: Callable[[ChatTables], R]) -> R:
        result = op(self.view)
        self._ops.append(op)
        return result

    def apply(self, tables: ChatTables) -> ChatTables | None:
        if not self._ops:
            return None
        updated = copy.deepcopy(tables)
        updated.shown.clear()
        for op in self._ops:
            op(updated)
        return updated

    def discard(self) -> None:
        self._ops.clear()
        self._view = None


class InMemoryProgressOutboxRepository:
    def __init__(self, tx: ChatTransaction, post: Callable[[int], Post | None]) -> None:
        self._tx = tx
        self._post = post

    async def mark(
        self, post_ids: Collection[int], *, worker: str, now: datetime, lease_until: datetime
    ) -> Mapping[int, int]:
        ids = sorted(set(post_ids))
        for post_id in ids:
            if self._post(post_id) is None:
                raise LookupError(f"post {post_id} does not exist")

        def op(t: ChatTables) -> dict[int, int]:
            held: dict[int, int] = {}
            for post_id in ids:
                mark = t.marks.get(post_id)
                if mark is None:
                    mark = t.marks[post_id] = _Mark(0, 0, now, None, None)
                mark.version, mark.attempts, mark.due_at = mark.version + 1, 0, now
                if mark.free(worker, now):
                    mark.locked_by, mark.locked_until = worker, lease_until
                if mark.locked_by == worker:
                    held[post_id] = mark.version
            return held

        return self._tx.write(op)

    async def claim(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[ProgressMark]:
        def op(t: ChatTables) -> list[ProgressMark]:
            open_ = [
                (m.due_at, post_id)
                for post_id, m in t.marks.items()
                if m.due_at <= now and (m.locked_until is None or m.locked_until < now)
            ]
            taken: list[ProgressMark] = []
            for _, post_id in sorted(open_)[: max(limit, 0)]:
                mark = t.marks[post_id]
                mark.locked_by, mark.locked_until = worker, lease_until
                taken.append(ProgressMark(post_id, mark.version, mark.attempts))
            return sorted(taken, key=lambda m: m.post_id)

        return self._tx.write(op)

    async def held(self, post_id: int, *, worker: str) -> ProgressMark | None:
        mark = self._tx.view.marks.get(post_id)
        if mark is None or mark.locked_by != worker:
            return None
        return ProgressMark(post_id, mark.version, mark.attempts)

    async def done(
        self, post_id: int, version: int, *, worker: str, shown: MessageRef | None = None
    ) -> bool:
        def op(t: ChatTables) -> bool:
            if shown is not None:
                t.shown[post_id] = shown
            mark = t.marks.get(post_id)
            if mark is None or mark.version != version or mark.locked_by != worker:
                return False
            del t.marks[post_id]
            return True

        return self._tx.write(op)

    async def retry(self, post_id: int, *, worker: str, due_at: datetime) -> None:
        def op(t: ChatTables) -> None:
            mark = t.marks.get(post_id)
            if mark is not None and mark.locked_by == worker:
                mark.locked_by = mark.locked_until = None
                mark.due_at, mark.attempts = due_at, mark.attempts + 1

        self._tx.write(op)

    async def drop(self, post_id: int, *, worker: str) -> None:
        def op(t: ChatTables) -> None:
            mark = t.marks.get(post_id)
            if mark is not None and mark.locked_by == worker:
                del t.marks[post_id]

        self._tx.write(op)

    async def renew(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        ids = set(post_ids)

        def op(t: ChatTables) -> None:
            for post_id in ids:
                mark = t.marks.get(post_id)
                if mark is not None and mark.locked_by == worker:
                    mark.locked_until = lease_until

        self._tx.write(op)

    async def release(self, worker: str) -> int:
        def op(t: ChatTables) -> int:
            mine = [m for m in t.marks.values() if m.locked_by == worker]
            for mark in mine:
                mark.locked_by = mark.locked_until = None
            return len(mine)

        return self._tx.write(op)


class InMemorySeenUpdateRepository:
    def __init__(self, tx: ChatTransaction) -> None:
        self._tx = tx

    async def first_seen(self, source: str, update_id: int, *, now: datetime) -> bool:
        key = (source, update_id)
        if key in self._tx.view.seen:
            return False

        def op(t: ChatTables) -> bool:
            if key in t.seen:
                # Another unit of work took it meanwhile: the SQL key refuses this one too.
                raise Conflict(f"update {update_id} of {source} was already seen")
            t.seen[key] = now
            return True

        return self._tx.write(op)

    async def prune(self, before: datetime) -> int:
        def op(t: ChatTables) -> int:
            old = [key for key, at in t.seen.items() if at < before]
            for key in old:
                del t.seen[key]
            return len(old)

        return self._tx.write(op)


class InMemoryDraftFocusRepository:
    def __init__(self, tx: ChatTransaction, post: Callable[[int], Post | None]) -> None:
        self._tx = tx
        self._post = post

    async def get(self, profile_id: int, identity: Identity, chat: ChatRef) -> DraftFocus | None:
        return self._tx.view.focus.get((profile_id, identity, chat.chat))

    async def waiting(
        self, identity: Identity, chat: ChatRef, now: datetime
    ) -> tuple[int, DraftFocus] | None:
        found = [
            (f.until, profile_id, f)
            for (profile_id, who, where), f in self._tx.view.focus.items()
            if (who, where) == (identity, chat.chat)
            and f.until is not None
            and f.awaiting is not None
            and f.until > now
        ]
        if not found:
            return None
        _, profile_id, focus = max(found, key=lambda x: (x[0], x[1]))
        return profile_id, focus

    async def put(
        self, profile_id: int, identity: Identity, chat: ChatRef, focus: DraftFocus
    ) -> None:
        if self._post(focus.post_id) is None:
            raise LookupError(f"post {focus.post_id} does not exist")  # the foreign key

        def op(t: ChatTables) -> None:
            t.focus[(profile_id, identity, chat.chat)] = focus

        self._tx.write(op)

    async def clear(self, profile_id: int, identity: Identity, chat: ChatRef) -> None:
        def op(t: ChatTables) -> None:
            t.focus.pop((profile_id, identity, chat.chat), None)

        self._tx.write(op)
