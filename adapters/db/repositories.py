"""SQL repositories: rows mapped by hand to core dataclasses; nothing ORM-shaped leaves here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.cipher import Keyring, SecretError
from adapters.db.tables import (
    ConnectionRow,
    IdentityRow,
    PostRow,
    ProfileRow,
    ProviderAccountRow,
    SubscriptionRow,
    TargetRow,
)
from core.errors import Conflict
from core.model import (
    AccountKey,
    ChatPlatform,
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Secret,
    Subscription,
    Target,
    Tier,
)
from core.states import TargetState

# Every read refreshes rows already in the session: claim_due updates targets with a bulk
# statement that bypasses the identity map, and stale attributes must never reach core.
_FRESH = {"populate_existing": True}

_SCHEDULED = TargetState.SCHEDULED.value
_LEASED = (TargetState.QUEUED.value, TargetState.PUBLISHING.value)
_SENT = (TargetState.PUBLISHING.value, TargetState.UNCONFIRMED.value)
_WAITING = (TargetState.SCHEDULED.value, TargetState.QUEUED.value)


def account_aad(profile_id: int, route: Route | str) -> str:
    """Where a provider account key is stored; binds its ciphertext to that row and column."""
    value = route.value if isinstance(route, Route) else route
    return f"provider_accounts:{profile_id}:{value}:key"


def _check_progress(post: Post) -> None:
    if post.progress is not None:
        chat = post.progress.chat
        if (chat.platform, chat.workspace) != (post.origin.platform, post.origin.workspace):
            raise ValueError("a post's progress message must be on its origin's platform")


class SqlProfileRepository:
    def __init__(self, session: AsyncSession, keyring: Keyring) -> None:
        self._session = session
        self._keyring = keyring

    async def get(self, profile_id: int) -> Profile | None:
        row = await self._session.get(ProfileRow, profile_id, populate_existing=True)
        return None if row is None else await self._load(row)

    async def by_identity(self, identity: Identity) -> Profile | None:
        stmt = (
            select(ProfileRow)
            .join(IdentityRow, IdentityRow.profile_id == ProfileRow.id)
            .where(
                IdentityRow.platform == identity.platform.value,
                IdentityRow.workspace == identity.workspace,
                IdentityRow.user_id == identity.user,
            )
            .execution_options(**_FRESH)
        )
        row = (await self._session.scalars(stmt)).first()
        return None if row is None else await self._load(row)

    async def create(
        self, identity: Identity, *, tier: Tier, timezone: str, display_name: str, now: datetime
    ) -> Profile:
        row = ProfileRow(
            tier=tier.value, timezone=timezone, display_name=display_name, created_at=now
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add(
            IdentityRow(
                profile_id=row.id,
                platform=identity.platform.value,
                workspace=identity.workspace,
                user_id=identity.user,
            )
        )
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise Conflict(f"identity {identity} already has a profile") from e
        return Profile(
            id=row.id,
            tier=tier,
            timezone=timezone,
            created_at=row.created_at,
            display_name=display_name,
        )

    async def save(self, profile: Profile) -> None:
        row = await self._session.get(ProfileRow, profile.id, populate_existing=True)
        if row is None:
            raise LookupError(f"profile {profile.id} does not exist")
        row.tier = profile.tier.value
        row.timezone = profile.timezone
        row.display_name = profile.display_name
        await self._save_accounts(profile)
        await self._save_connections(profile)
        await self._session.flush()

    async def _save_accounts(self, profile: Profile) -> None:
        stmt = (
            select(ProviderAccountRow)
            .where(ProviderAccountRow.profile_id == profile.id)
            .execution_options(**_FRESH)
        )
        existing = {r.route: r for r in await self._session.scalars(stmt)}
        for route, account in profile.accounts.items():
            aad = account_aad(profile.id, route)
            found = existing.pop(route.value, None)
            if found is None:
                ciphertext = self._keyring.encrypt(account.key.value, aad=aad)
                self._session.add(
                    ProviderAccountRow(
                        profile_id=profile.id,
                        route=route.value,
                        ref=account.ref,
                        key_ciphertext=ciphertext,
                    )
                )
                continue
            found.ref = account.ref
            if not self._holds(found.key_ciphertext, account.key.value, aad):
                found.key_ciphertext = self._keyring.encrypt(account.key.value, aad=aad)
        for stale in existing.values():
            await self._session.delete(stale)

    def _holds(self, ciphertext: str, plaintext: str, aad: str) -> bool:
        """True when `ciphertext` already stores `plaintext` under the primary key."""
        try:
            if self._keyring.needs_rotation(ciphertext):
                return False
            return self._keyring.decrypt(ciphertext, aad=aad) == plaintext
        except SecretError:
            # An unreadable old value is being replaced by a known new one: overwrite it.
            return False

    async def _save_connections(self, profile: Profile) -> None:
        stmt = (
            select(ConnectionRow)
            .where(ConnectionRow.profile_id == profile.id)
            .execution_options(**_FRESH)
        )
        existing = {r.network: r for r in await self._session.scalars(stmt)}
        for network, connection in profile.connections.items():
            found = existing.pop(network.value, None)
            if found is None:
                found = ConnectionRow(profile_id=profile.id, network=network.value)
                self._session.add(found)
            found.status = connection.status.value
            found.display_name = connection.display_name
            found.updated_at = connection.updated_at
        for stale in existing.values():
            await self._session.delete(stale)

    async def lock(self, profile_id: int) -> Profile | None:
        if self._session.get_bind().dialect.name != "postgresql":
            # SQLite serialises writers on the whole database file; there is no row lock.
            return await self.get(profile_id)
        stmt = (
            select(ProfileRow)
            .where(ProfileRow.id == profile_id)
            .with_for_update()
            .execution_options(**_FRESH)
        )
        row = (await self._session.scalars(stmt)).first()
        return None if row is None else await self._load(row)

    async def add_subscription(self, profile_id: int, subscription: Subscription) -> None:
        self._session.add(
            SubscriptionRow(
                profile_id=profile_id,
                provider=subscription.provider,
                tier=subscription.tier.value,
                reference=subscription.reference,
                current_period_end=subscription.current_period_end,
                created_at=subscription.created_at,
            )
        )
        await self._session.flush()

    async def identities(self, profile_id: int) -> Sequence[Identity]:
        stmt = (
            select(IdentityRow)
            .where(IdentityRow.profile_id == profile_id)
            .order_by(IdentityRow.id)
            .execution_options(**_FRESH)
        )
        return [
            Identity(ChatPlatform(r.platform), r.user_id, r.workspace)
            for r in await self._session.scalars(stmt)
        ]

    async def _load(self, row: ProfileRow) -> Profile:
        profile = Profile(
            id=row.id,
            tier=Tier(row.tier),
            timezone=row.timezone,
            created_at=row.created_at,
            display_name=row.display_name,
        )
        accounts = await self._session.scalars(
            select(ProviderAccountRow)
            .where(ProviderAccountRow.profile_id == row.id)
            .order_by(ProviderAccountRow.id)
            .execution_options(**_FRESH)
        )
        for a in accounts:
            try:
                key = self._keyring.decrypt(a.key_ciphertext, aad=account_aad(row.id, a.route))
            except SecretError as e:
                raise SecretError(f"provider account {a.route!r} of profile {row.id}: {e}") from e
            profile.accounts[Route(a.route)] = AccountKey(a.ref, Secret(key))
        connections = await self._session.scalars(
            select(ConnectionRow)
            .where(ConnectionRow.profile_id == row.id)
            .order_by(ConnectionRow.id)
            .execution_options(**_FRESH)
        )
        for c in connections:
            network = Network(c.network)
            profile.connections[network] = Connection(
                network, ConnectionStatus(c.status), c.display_name, c.updated_at
            )
        latest = (
            await self._session.scalars(
                select(SubscriptionRow)
                .where(SubscriptionRow.profile_id == row.id)
                .order_by(SubscriptionRow.id.desc())
                .limit(1)
                .execution_options(**_FRESH)
            )
        ).first()
        if latest is not None:
            profile.subscription = Subscription(
                provider=latest.provider,
                tier=Tier(latest.tier),
                reference=latest.reference,
                current_period_end=latest.current_period_end,
                created_at=latest.created_at,
            )
        return profile


def _target(row: TargetRow) -> Target:
    return Target(
        network=Network(row.network),
        route=Route(row.route),
        state=TargetState(row.state),
        due_at=row.due_at,
        attempts=row.attempts,
        round=row.round,
        idempotency_key=row.idempotency_key,
        provider_post_id=row.provider_post_id,
        external_id=row.external_id,
        url=row.url,
        error=row.error,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        sent_at=row.sent_at,
        published_at=row.published_at,
    )


def _target_columns(target: Target) -> dict[str, object]:
    return {
        "network": target.network.value,
        "route": target.route.value,
        "state": target.state.value,
        "due_at": target.due_at,
        "attempts": target.attempts,
        "round": target.round,
        "idempotency_key": target.idempotency_key,
        "provider_post_id": target.provider_post_id,
        "external_id": target.external_id,
        "url": target.url,
        "error": target.error,
        "locked_by": target.locked_by,
        "locked_until": target.locked_until,
        "sent_at": target.sent_at,
        "published_at": target.published_at,
    }


def _write(row: object, values: dict[str, object], base: dict[str, object] | None) -> None:
    """Set the columns whose value differs from `base` (what the writer read): a change made
    by another transaction since to a column this writer left alone survives."""
    for column, value in values.items():
        if base is None or base.get(column) != value:
            setattr(row, column, value)


def _post(row: PostRow, targets: Iterable[TargetRow]) -> Post:
    origin = ChatRef(ChatPlatform(row.origin_platform), row.origin_chat, row.origin_workspace)
    progress = None
    if row.progress_chat is not None and row.progress_message_id is not None:
        chat = ChatRef(origin.platform, row.progress_chat, origin.workspace)
        progress = MessageRef(chat, row.progress_message_id)
    post = Post(
        id=row.id,
        profile_id=row.profile_id,
        text=row.text,
        media=tuple(row.media),
        created_at=row.created_at,
        origin=origin,
        scheduled_at=row.scheduled_at,
        progress=progress,
    )
    for t in targets:
        target = _target(t)
        post.targets[target.network] = target
    return post


def _going_out() -> ColumnElement[datetime | None]:
    """When a target went out, is going out or is due; NULL for drafts and failures."""
    return case(
        (TargetRow.state == TargetState.PUBLISHED.value, TargetRow.published_at),
        (TargetRow.state.in_(_SENT), TargetRow.sent_at),
        (TargetRow.state.in_(_WAITING), TargetRow.due_at),
        else_=None,
    )


def _post_columns(post: Post) -> dict[str, object]:
    _check_progress(post)
    return {
        "profile_id": post.profile_id,
        "text": post.text,
        "media": list(post.media),
        "created_at": post.created_at,
        "scheduled_at": post.scheduled_at,
        "origin_platform": post.origin.platform.value,
        "origin_chat": post.origin.chat,
        "origin_workspace": post.origin.workspace,
        "progress_chat": None if post.progress is None else post.progress.chat.chat,
        "progress_message_id": None if post.progress is None else post.progress.message_id,
    }


@dataclass(frozen=True, slots=True)
class _Read:
    """A post's columns as this unit of work last read or wrote them."""

    post: dict[str, object]
    targets: dict[Network, dict[str, object]]

    @classmethod
    def of(cls, post: Post) -> _Read:
        targets = {n: _target_columns(t) for n, t in post.targets.items()}
        return cls(_post_columns(post), targets)


def _made_in(profile_id: int, origin: ChatRef | None) -> list[ColumnElement[bool]]:
    """A profile's posts, only those made in `origin` when given."""
    where = [PostRow.profile_id == profile_id]
    if origin is not None:
        where += [
            PostRow.origin_platform == origin.platform.value,
            PostRow.origin_chat == origin.chat,
            PostRow.origin_workspace == origin.workspace,
        ]
    return where


class SqlPostRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # What each post looked like when this unit of work read it: `save` writes only what
        # the caller changed since, so concurrent writers of different targets (the pipeline
        # recording one network while the author retries another) don't undo each other.
        self._read: dict[int, _Read] = {}

    async def add(self, post: Post) -> Post:
        row = PostRow()
        _write(row, _post_columns(post), None)
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise LookupError(f"profile {post.profile_id} does not exist") from e
        for target in post.targets.values():
            t = TargetRow(post_id=row.id)
            _write(t, _target_columns(target), None)
            self._session.add(t)
        await self._session.flush()
        added = await self.get(row.id)
        assert added is not None
        return added

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
        _write(row, _post_columns(post), None if read is None else read.post)
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
            _write(found, _target_columns(target), was)
        # Targets exist only for ticked networks: unticking one in a draft removes it. One
        # another writer added since this unit read the post is not this writer's to remove.
        for network_value, stale in existing.items():
            if read is None or Network(network_value) in read.targets:
                await self._session.delete(stale)
        await self._session.flush()
        self._read[post.id] = _Read.of(post)

    async def delete(self, post_id: int) -> None:
        self._read.pop(post_id, None)
        await self._session.execute(delete(TargetRow).where(TargetRow.post_id == post_id))
        await self._session.execute(delete(PostRow).where(PostRow.id == post_id))

    async def list_for_profile(
        self, profile_id: int, *, offset: int, limit: int, origin: ChatRef | None = None
    ) -> tuple[Sequence[Post], int]:
        mine = _made_in(profile_id, origin)
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
            .where(*_made_in(profile_id, origin), ~undrafted)
            .order_by(PostRow.id.desc())
            .limit(1)
        )
        post_id = await self._session.scalar(stmt)
        return None if post_id is None else await self.get(post_id)

    async def count_scheduled(self, profile_id: int) -> int:
        has_scheduled = (
            select(TargetRow.id)
            .where(TargetRow.post_id == PostRow.id, TargetRow.state == _SCHEDULED)
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
            .where(*_made_in(profile_id, origin))
            .order_by(PostRow.id.desc())
            .limit(max(limit, 0))
        )
        return await self._load_ids(stmt)

    async def count_outgoing(self, profile_id: int, *, since: datetime, until: datetime) -> int:
        at = _going_out()
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
        at = _going_out()
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
        posts = [_post(by_id[i], targets.get(i, ())) for i in post_ids if i in by_id]
        for post in posts:
            self._read[post.id] = _Read.of(post)
        return posts
