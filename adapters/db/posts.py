"""SQL posts: stored whole, written by changed column, claimed with row locks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import Select, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.post_rows import (
    LastRead,
    going_out,
    made_in,
    post_columns,
    post_from_rows,
    target_columns,
    write_changed,
)
from adapters.db.tables import PostRow, TargetRow
from core.model import ChatRef, Network, Post
from core.states import TargetState

# Every read refreshes rows already in the session: claim_due updates targets with a bulk
# statement that bypasses the identity map, and stale attributes must never reach core.
_FRESH = {"populate_existing": True}

_SCHEDULED = TargetState.SCHEDULED.value
_AWAITING = TargetState.AWAITING_APPROVAL.value
_LEASED = (TargetState.QUEUED.value, TargetState.PUBLISHING.value)


class SqlPostRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # What each post looked like when this unit of work read it: `save` writes only what
        # the caller changed since, so concurrent writers of different targets (the pipeline
        # recording one network while the author retries another) don't undo each other.
        self._read: dict[int, LastRead] = {}

    async def add(self, post: Post) -> Post:
        row = PostRow()
        write_changed(row, post_columns(post), None)
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise LookupError(f"profile {post.profile_id} does not exist") from e
        for target in post.targets.values():
            t = TargetRow(post_id=row.id)
            write_changed(t, target_columns(target), None)
            self._session.add(t)
        await self._session.flush()
        added = await self.get(row.id)
        assert added is not None
        return added

    async def add_many(self, posts: Sequence[Post]) -> list[int]:
        # Two INSERT statements (executemany, ids RETURNING in order), not an ORM flush a
        # post: the session's identity map stays empty, so a thousand posts cost no more
        # each than ten.
        if not posts:
            return []
        stmt = insert(PostRow).returning(PostRow.id, sort_by_parameter_order=True)
        try:
            ids = list(await self._session.scalars(stmt, [post_columns(p) for p in posts]))
        except IntegrityError as e:
            raise LookupError("a post's profile does not exist") from e
        targets = [
            {"post_id": post_id, **target_columns(t)}
            for post_id, post in zip(ids, posts, strict=True)
            for t in post.targets.values()
        ]
        if targets:
            await self._session.execute(insert(TargetRow), targets)
        return ids

    async def get(self, post_id: int) -> Post | None:
        posts = await self._load([post_id])
        return posts[0] if posts else None

    async def lock(self, post_id: int) -> Post | None:
        if self._session.get_bind().dialect.name == "postgresql":
            # The same row lock claim_due takes (and skips when it is held).
            await self._session.execute(
                select(PostRow.id).where(PostRow.id == post_id).with_for_update()
            )
        else:
            # SQLite has no row locks, and the driver begins a transaction only at the first
            # write, so a plain read could be stale by the time this unit writes. A write that
            # changes nothing takes the database's one write lock now (waiting for a writer
            # such as a claim to commit), and the read below sees the newest state.
            await self._session.execute(
                update(PostRow)
                .where(PostRow.id == post_id)
                .values(id=PostRow.id)
                .execution_options(synchronize_session=False)
            )
        return await self.get(post_id)

    async def save(self, post: Post) -> None:
        row = await self._session.get(PostRow, post.id, populate_existing=True)
        if row is None:
            raise LookupError(f"post {post.id} does not exist")
        read = self._read.get(post.id)
        write_changed(row, post_columns(post), None if read is None else read.post)
        stmt = select(TargetRow).where(TargetRow.post_id == post.id).execution_options(**_FRESH)
        existing = {r.network: r for r in await self._session.scalars(stmt)}
        for network, target in post.targets.items():
            found = existing.pop(network.value, None)
            was = None if read is None else read.targets.get(network)
            if found is None:
                if was is not None:
                    continue  # removed by another writer since it was read: stays removed
                found = TargetRow(post_id=post.id)
                self._session.add(found)
            write_changed(found, target_columns(target), was)
        # Targets exist only for ticked networks: unticking one in a draft removes it. One
        # another writer added since this unit read the post is not this writer's to remove.
        for network_value, stale in existing.items():
            if read is None or Network(network_value) in read.targets:
                await self._session.delete(stale)
        await self._session.flush()
        self._read[post.id] = LastRead.of(post)

    async def delete(self, post_id: int) -> None:
        self._read.pop(post_id, None)
        await self._session.execute(delete(TargetRow).where(TargetRow.post_id == post_id))
        await self._session.execute(delete(PostRow).where(PostRow.id == post_id))

    async def list_for_profile(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        mine = made_in(profile_id, origin)
        next_due = (
            select(func.min(TargetRow.due_at))
            .where(TargetRow.post_id == PostRow.id, TargetRow.state == _SCHEDULED)
            .scalar_subquery()
        )
        listed = select(PostRow.id.label("id"), next_due.label("due")).where(*mine).subquery()
        scheduled = listed.c.due.is_not(None)
        page = (
            select(listed.c.id)
            .order_by(
                case((scheduled, 0), else_=1),
                listed.c.due.asc().nulls_last(),
                case((scheduled, listed.c.id), else_=-listed.c.id),
            )
            .offset(offset)
            .limit(limit)
        )
        ids = list(await self._session.scalars(page))
        total = await self._session.scalar(select(func.count()).select_from(PostRow).where(*mine))
        return await self._load(ids), total or 0

    async def latest_draft(self, profile_id: int, origin: ChatRef | None = None) -> Post | None:
        undrafted = (
            select(TargetRow.id)
            .where(TargetRow.post_id == PostRow.id, TargetRow.state != TargetState.DRAFT.value)
            .exists()
        )
        stmt = (
            select(PostRow.id)
            .where(*made_in(profile_id, origin), ~undrafted)
            .order_by(PostRow.id.desc())
            .limit(1)
        )
        post_id = await self._session.scalar(stmt)
        return None if post_id is None else await self.get(post_id)

    async def drafts(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        undrafted = (
            select(TargetRow.id)
            .where(TargetRow.post_id == PostRow.id, TargetRow.state != TargetState.DRAFT.value)
            .exists()
        )
        mine = [*made_in(profile_id, origin), ~undrafted]
        edited = func.coalesce(PostRow.edited_at, PostRow.created_at)
        page = (
            select(PostRow.id)
            .where(*mine)
            .order_by(edited.desc(), PostRow.id.desc())
            .offset(max(offset, 0))
            .limit(max(limit, 0))
        )
        total = await self._session.scalar(select(func.count()).select_from(PostRow).where(*mine))
        return await self._load_ids(page), total or 0

    async def count_scheduled(self, profile_id: int) -> int:
        has_scheduled = (
            select(TargetRow.id)
            .where(
                TargetRow.post_id == PostRow.id,
                # A post waiting for approval at a time is scheduled once approved: it counts.
                (TargetRow.state == _SCHEDULED)
                | ((TargetRow.state == _AWAITING) & TargetRow.due_at.is_not(None)),
            )
            .exists()
        )
        stmt = (
            select(func.count())
            .select_from(PostRow)
            .where(PostRow.profile_id == profile_id, has_scheduled)
        )
        return await self._session.scalar(stmt) or 0

    async def recent(
        self, profile_id: int, *, origin: ChatRef | None, limit: int
    ) -> Sequence[Post]:
        stmt = (
            select(PostRow.id)
            .where(*made_in(profile_id, origin))
            .order_by(PostRow.id.desc())
            .limit(max(limit, 0))
        )
        return await self._load_ids(stmt)

    async def count_outgoing(self, profile_id: int, *, since: datetime, until: datetime) -> int:
        at = going_out()
        going = (
            select(TargetRow.id)
            .where(TargetRow.post_id == PostRow.id, at >= since, at < until)
            .exists()
        )
        stmt = (
            select(func.count())
            .select_from(PostRow)
            .where(PostRow.profile_id == profile_id, going)
        )
        return await self._session.scalar(stmt) or 0

    async def claim_due(
        self, now: datetime, *, worker: str, lease_until: datetime, limit: int
    ) -> Sequence[Post]:
        if limit <= 0:
            return []
        due = (
            select(
                TargetRow.post_id.label("post_id"),
                func.min(TargetRow.due_at).label("first_due"),
                func.count().label("targets"),
            )
            .where(TargetRow.state == _SCHEDULED, TargetRow.due_at <= now)
            .group_by(TargetRow.post_id)
            .subquery("due")
        )
        # A post holds at least one target, so `limit` posts always cover `limit` targets.
        pick = (
            select(PostRow.id, due.c.targets)
            .join(due, due.c.post_id == PostRow.id)
            .order_by(due.c.first_due, PostRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            # Posts are claimed whole, under their row lock: concurrent workers skip a post
            # another one is claiming instead of queueing behind it or splitting its targets.
            pick = pick.with_for_update(of=PostRow, skip_locked=True)
        chosen: list[int] = []
        taken = 0
        for post_id, targets in (await self._session.execute(pick)).all():
            if chosen and taken + targets > limit:
                break
            chosen.append(post_id)
            taken += targets
        if not chosen:
            return []
        claim = (
            update(TargetRow)
            # The state test again: the pick may have seen a target another worker has since
            # claimed (each statement reads the newest committed rows).
            .where(
                TargetRow.post_id.in_(chosen),
                TargetRow.state == _SCHEDULED,
                TargetRow.due_at <= now,
            )
            .values(
                state=TargetState.QUEUED.value,
                locked_by=worker,
                locked_until=lease_until,
            )
            .returning(TargetRow.post_id)
            .execution_options(synchronize_session=False)
        )
        claimed = set((await self._session.scalars(claim)).all())
        return await self._load([i for i in chosen if i in claimed])

    async def due_unconfirmed(self, now: datetime, *, limit: int) -> Sequence[Post]:
        stmt = (
            select(TargetRow.post_id)
            .where(
                TargetRow.state == TargetState.UNCONFIRMED.value,
                TargetRow.due_at <= now,
            )
            .group_by(TargetRow.post_id)
            .order_by(func.min(TargetRow.due_at), TargetRow.post_id)
            .limit(limit)
        )
        return await self._load_ids(stmt)

    async def expired_leases(self, now: datetime, *, limit: int) -> Sequence[Post]:
        stmt = (
            select(TargetRow.post_id)
            .where(TargetRow.state.in_(_LEASED), TargetRow.locked_until < now)
            .group_by(TargetRow.post_id)
            .order_by(func.min(TargetRow.locked_until), TargetRow.post_id)
            .limit(limit)
        )
        return await self._load_ids(stmt)

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        if (old.platform, old.workspace) != (new.platform, new.workspace):
            raise ValueError("a chat can only move within its platform and workspace")
        in_old = (
            PostRow.origin_platform == old.platform.value,
            PostRow.origin_workspace == old.workspace,
            PostRow.origin_chat == old.chat,
        )
        # Progress first, while the origin still names the old chat.
        await self._session.execute(
            update(PostRow)
            .where(*in_old, PostRow.progress_chat == old.chat)
            .values(progress_chat=new.chat)
            .execution_options(synchronize_session=False)
        )
        moved = await self._session.scalars(
            update(PostRow)
            .where(*in_old)
            .values(origin_chat=new.chat)
            .returning(PostRow.id)
            .execution_options(synchronize_session=False)
        )
        return len(moved.all())

    async def renew_leases(
        self, post_ids: Collection[int], *, worker: str, lease_until: datetime
    ) -> None:
        if not post_ids:
            return
        await self._session.execute(
            update(TargetRow)
            .where(
                TargetRow.post_id.in_(sorted(post_ids)),
                TargetRow.state.in_(_LEASED),
                TargetRow.locked_by == worker,
            )
            .values(locked_until=lease_until)
            .execution_options(synchronize_session=False)
        )

    async def held_by(self, worker: str, *, limit: int) -> Sequence[Post]:
        stmt = (
            select(TargetRow.post_id)
            .where(TargetRow.state.in_(_LEASED), TargetRow.locked_by == worker)
            .group_by(TargetRow.post_id)
            .order_by(TargetRow.post_id)
            .limit(limit)
        )
        return await self._load_ids(stmt)

    async def next_due(self) -> datetime | None:
        stmt = select(func.min(TargetRow.due_at)).where(TargetRow.state == _SCHEDULED)
        return await self._session.scalar(stmt)

    async def network_activity(
        self, profile_id: int, network: Network, *, since: datetime, until: datetime
    ) -> Sequence[tuple[datetime, TargetState]]:
        at = going_out()
        stmt = (
            select(at.label("at"), TargetRow.state)
            .join(PostRow, PostRow.id == TargetRow.post_id)
            .where(
                PostRow.profile_id == profile_id,
                TargetRow.network == network.value,
                at >= since,
                at <= until,
            )
            .order_by(at)
        )
        rows = (await self._session.execute(stmt)).all()
        return [(when, TargetState(state)) for when, state in rows if when is not None]

    async def _load_ids(self, stmt: Select[int]) -> list[Post]:
        return await self._load(list(await self._session.scalars(stmt)))

    async def _load(self, post_ids: Sequence[int]) -> list[Post]:
        """The posts with these ids, in this order (missing ones left out)."""
        if not post_ids:
            return []
        rows = await self._session.scalars(
            select(PostRow).where(PostRow.id.in_(post_ids)).execution_options(**_FRESH)
        )
        by_id = {r.id: r for r in rows}
        targets: dict[int, list[TargetRow]] = {}
        target_rows = await self._session.scalars(
            select(TargetRow)
            .where(TargetRow.post_id.in_(post_ids))
            .order_by(TargetRow.id)
            .execution_options(**_FRESH)
        )
        for t in target_rows:
            targets.setdefault(t.post_id, []).append(t)
        posts = [post_from_rows(by_id[i], targets.get(i, ())) for i in post_ids if i in by_id]
        for post in posts:
            self._read[post.id] = LastRead.of(post)
        return posts
