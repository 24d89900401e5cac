"""SQL digest subscriptions and their (subscription, day) delivery rows: the claim."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.common import FRESH, insert_for
from adapters.db.tables import DigestDeliveryRow, DigestSubscriptionRow
from core.digest_schedule import DeliveryStatus, DigestSubscription
from core.errors import Conflict
from core.model import ChatKind, ChatPlatform, ChatRef


def _subscription(row: DigestSubscriptionRow) -> DigestSubscription:
    return DigestSubscription(
        id=row.id,
        profile_id=row.profile_id,
        chat=ChatRef(
            ChatPlatform(row.platform), row.chat, row.workspace, kind=ChatKind(row.chat_kind)
        ),
        created_at=row.created_at,
        enabled=row.enabled,
        minute_of_day=row.minute_of_day,
        weekly=row.weekly,
        next_due_at=row.next_due_at,
    )


def _takeable(now: datetime) -> ColumnElement[bool]:
    """A delivery another worker may take: its lease ran out, or its retry is due."""
    return or_(
        and_(
            DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            DigestDeliveryRow.locked_until < now,
        ),
        and_(
            DigestDeliveryRow.status == DeliveryStatus.RETRY.value,
            or_(DigestDeliveryRow.locked_until.is_(None), DigestDeliveryRow.locked_until <= now),
        ),
    )


class SqlDigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, subscription_id: int) -> DigestSubscription | None:
        row = await self._session.get(
            DigestSubscriptionRow, subscription_id, populate_existing=True
        )
        return None if row is None else _subscription(row)

    async def find(self, profile_id: int, chat: ChatRef) -> DigestSubscription | None:
        stmt = (
            select(DigestSubscriptionRow)
            .where(
                DigestSubscriptionRow.profile_id == profile_id,
                DigestSubscriptionRow.platform == chat.platform.value,
                DigestSubscriptionRow.workspace == chat.workspace,
                DigestSubscriptionRow.chat == chat.chat,
            )
            .execution_options(**FRESH)
        )
        row = (await self._session.scalars(stmt)).first()
        return None if row is None else _subscription(row)

    async def for_profile(self, profile_id: int) -> Sequence[DigestSubscription]:
        stmt = (
            select(DigestSubscriptionRow)
            .where(DigestSubscriptionRow.profile_id == profile_id)
            .order_by(DigestSubscriptionRow.id)
            .execution_options(**FRESH)
        )
        return [_subscription(r) for r in await self._session.scalars(stmt)]

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        stmt = (
            update(DigestSubscriptionRow)
            .where(
                DigestSubscriptionRow.platform == old.platform.value,
                DigestSubscriptionRow.workspace == old.workspace,
                DigestSubscriptionRow.chat == old.chat,
            )
            .values(chat=new.chat)
        )
        result = await self._session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    async def save(self, subscription: DigestSubscription) -> DigestSubscription:
        try:
            # A savepoint: a clash with the UNIQUE (profile, chat) leaves the rest of this
            # transaction intact (begin_nested flushes what was pending before it).
            async with self._session.begin_nested():
                if subscription.id:
                    row = await self._session.get(
                        DigestSubscriptionRow, subscription.id, populate_existing=True
                    )
                    if row is None:
                        raise LookupError(f"digest subscription {subscription.id} does not exist")
                else:
                    row = DigestSubscriptionRow(
                        profile_id=subscription.profile_id, created_at=subscription.created_at
                    )
                    self._session.add(row)
                row.platform = subscription.chat.platform.value
                row.workspace = subscription.chat.workspace
                row.chat = subscription.chat.chat
                row.chat_kind = subscription.chat.kind.value
                row.enabled = subscription.enabled
                row.minute_of_day = subscription.minute_of_day
                row.weekly = subscription.weekly
                row.next_due_at = subscription.next_due_at
                await self._session.flush()
        except IntegrityError as e:
            raise Conflict(f"{subscription.chat} already has this profile's digest") from e
        return _subscription(row)

    async def due(
        self, now: datetime, *, limit: int, platforms: Collection[ChatPlatform] | None = None
    ) -> Sequence[DigestSubscription]:
        stmt = select(DigestSubscriptionRow).where(
            DigestSubscriptionRow.enabled.is_(True), DigestSubscriptionRow.next_due_at <= now
        )
        if platforms is not None:
            stmt = stmt.where(DigestSubscriptionRow.platform.in_([p.value for p in platforms]))
        stmt = (
            stmt.order_by(DigestSubscriptionRow.next_due_at, DigestSubscriptionRow.id)
            .limit(max(limit, 0))
            .execution_options(**FRESH)
        )
        return [_subscription(r) for r in await self._session.scalars(stmt)]

    async def advance(
        self, subscription_id: int, *, expected: datetime | None, next_due_at: datetime
    ) -> None:
        was = (
            DigestSubscriptionRow.next_due_at.is_(None)
            if expected is None
            else DigestSubscriptionRow.next_due_at == expected
        )
        await self._session.execute(
            update(DigestSubscriptionRow)
            .where(DigestSubscriptionRow.id == subscription_id, was)
            .values(next_due_at=next_due_at)
            .execution_options(synchronize_session=False)
        )

    async def claim(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, lease_until: datetime
    ) -> int | None:
        exists = await self._session.scalar(
            select(DigestDeliveryRow.id).where(
                DigestDeliveryRow.subscription_id == subscription_id,
                DigestDeliveryRow.day == day,
            )
        )
        if exists is None:
            insert = insert_for(self._session, DigestDeliveryRow).values(
                subscription_id=subscription_id,
                day=day,
                status=DeliveryStatus.SENDING.value,
                worker=worker,
                claimed_at=now,
                locked_until=lease_until,
                attempts=1,
            )
            try:
                # A savepoint: losing the race to another worker's INSERT (the UNIQUE
                # constraint; on PostgreSQL after waiting for its commit) leaves the rest
                # of this transaction intact.
                async with self._session.begin_nested():
                    await self._session.execute(insert)
            except IntegrityError:
                return None
            return 1
        taken = await self._session.execute(
            update(DigestDeliveryRow)
            .where(DigestDeliveryRow.id == exists, _takeable(now))
            .values(
                status=DeliveryStatus.SENDING.value,
                worker=worker,
                claimed_at=now,
                locked_until=lease_until,
                attempts=DigestDeliveryRow.attempts + 1,
            )
            .returning(DigestDeliveryRow.attempts)
            .execution_options(synchronize_session=False)
        )
        attempts = taken.scalar()
        return None if attempts is None else int(attempts)

    async def stalled(self, now: datetime, *, limit: int) -> Sequence[tuple[int, date]]:
        rows = await self._session.execute(
            select(DigestDeliveryRow.subscription_id, DigestDeliveryRow.day)
            .where(_takeable(now))
            .order_by(DigestDeliveryRow.locked_until, DigestDeliveryRow.id)
            .limit(max(limit, 0))
        )
        return [(sub_id, day) for sub_id, day in rows]

    def _mine(self, subscription_id: int, day: date, worker: str) -> ColumnElement[bool]:
        return and_(
            DigestDeliveryRow.subscription_id == subscription_id,
            DigestDeliveryRow.day == day,
            DigestDeliveryRow.worker == worker,
        )

    async def mark_sent(
        self, subscription_id: int, day: date, *, worker: str, now: datetime, message_id: str
    ) -> bool:
        result = await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                self._mine(subscription_id, day, worker),
                DigestDeliveryRow.status != DeliveryStatus.SENT.value,
            )
            .values(
                status=DeliveryStatus.SENT.value,
                sent_at=now,
                message_id=message_id,
                locked_until=None,
                error=None,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def _settle(
        self,
        subscription_id: int,
        day: date,
        worker: str,
        status: DeliveryStatus,
        error: str,
        until: datetime | None,
    ) -> None:
        await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                self._mine(subscription_id, day, worker),
                DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            )
            .values(status=status.value, error=error, locked_until=until)
            .execution_options(synchronize_session=False)
        )

    async def mark_retry(
        self, subscription_id: int, day: date, *, worker: str, error: str, retry_at: datetime
    ) -> None:
        await self._settle(subscription_id, day, worker, DeliveryStatus.RETRY, error, retry_at)

    async def mark_failed(
        self, subscription_id: int, day: date, *, worker: str, error: str
    ) -> None:
        await self._settle(subscription_id, day, worker, DeliveryStatus.FAILED, error, None)

    async def release(self, worker: str, now: datetime) -> int:
        result = await self._session.execute(
            update(DigestDeliveryRow)
            .where(
                DigestDeliveryRow.worker == worker,
                DigestDeliveryRow.status == DeliveryStatus.SENDING.value,
            )
            .values(status=DeliveryStatus.RETRY.value, locked_until=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def status(self, subscription_id: int, day: date) -> str | None:
        return await self._session.scalar(
            select(DigestDeliveryRow.status).where(
                DigestDeliveryRow.subscription_id == subscription_id,
                DigestDeliveryRow.day == day,
            )
        )
