"""SQL billing: the current subscription, operator grants, events handled once, applied tier."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.tables import BillingEventRow, GrantRow, ProfileRow, SubscriptionRow
from core.model import PAYING, Grant, Provider, Subscription, SubscriptionStatus, Tier

_FRESH = {"populate_existing": True}
_PAYING = [s.value for s in PAYING]


class SqlBillingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def set_tier(self, profile_id: int, tier: Tier) -> None:
        await self._session.execute(
            update(ProfileRow).where(ProfileRow.id == profile_id).values(tier=tier.value)
        )

    async def save_subscription(self, profile_id: int, subscription: Subscription) -> None:
        row = await self._session.get(SubscriptionRow, profile_id, populate_existing=True)
        if row is None:
            row = SubscriptionRow(profile_id=profile_id)
            self._session.add(row)
        row.provider = subscription.provider.value
        row.status = subscription.status.value
        row.tier = subscription.tier.value
        row.plan = subscription.plan
        row.customer_id = subscription.customer_id
        row.subscription_id = subscription.subscription_id
        row.price_id = subscription.price_id
        row.current_period_end = subscription.current_period_end
        row.cancel_at_period_end = subscription.cancel_at_period_end
        row.created_at = subscription.created_at
        row.updated_at = subscription.updated_at
        row.state_at = subscription.state_at
        await self._session.flush()

    async def add_grant(self, profile_id: int, grant: Grant) -> Grant:
        row = GrantRow(
            profile_id=profile_id,
            tier=grant.tier.value,
            starts_at=grant.starts_at,
            ends_at=grant.ends_at,
            reason=grant.reason,
            revoked_at=grant.revoked_at,
        )
        self._session.add(row)
        await self._session.flush()
        return grant_from_row(row)

    async def revoke_grants(self, profile_id: int, now: datetime) -> int:
        result = await self._session.execute(
            update(GrantRow)
            .where(GrantRow.profile_id == profile_id, _grant_running(now))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def record_event(
        self, source: str, event_id: str, *, profile_id: int | None, kind: str, now: datetime
    ) -> bool:
        found = await self._session.get(BillingEventRow, (source, event_id))
        if found is not None:
            return False
        try:
            # A savepoint: a concurrent insert of the same id fails this insert only, not the
            # caller's work in the same transaction.
            async with self._session.begin_nested():
                self._session.add(
                    BillingEventRow(
                        source=source,
                        event_id=event_id,
                        profile_id=profile_id,
                        kind=kind,
                        received_at=now,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def seen(self, source: str, event_id: str) -> bool:
        return await self._session.get(BillingEventRow, (source, event_id)) is not None

    async def forget_event(self, source: str, event_id: str) -> None:
        await self._session.execute(
            delete(BillingEventRow).where(
                BillingEventRow.source == source, BillingEventRow.event_id == event_id
            )
        )

    async def profile_of(
        self, provider: Provider, *, customer_id: str = "", subscription_id: str = ""
    ) -> int | None:
        if not customer_id and not subscription_id:
            return None
        stmt = select(SubscriptionRow.profile_id).where(SubscriptionRow.provider == provider.value)
        if subscription_id:
            stmt = stmt.where(SubscriptionRow.subscription_id == subscription_id)
        if customer_id:
            stmt = stmt.where(SubscriptionRow.customer_id == customer_id)
        return (await self._session.scalars(stmt.limit(1))).first()

    async def lapsing(
        self, now: datetime, *, base: Tier, limit: int, after: int = 0
    ) -> Sequence[int]:
        paying = exists().where(
            SubscriptionRow.profile_id == ProfileRow.id,
            SubscriptionRow.status.in_(_PAYING),
            SubscriptionRow.current_period_end > now,
        )
        granted = exists().where(GrantRow.profile_id == ProfileRow.id, _grant_running(now))
        stmt = (
            select(ProfileRow.id)
            .where(ProfileRow.id > after, ProfileRow.tier != base.value, ~paying, ~granted)
            .order_by(ProfileRow.id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def ending(
        self, now: datetime, until: datetime, *, limit: int, after: int = 0
    ) -> Sequence[int]:
        subs = select(SubscriptionRow.profile_id).where(
            SubscriptionRow.profile_id > after,
            SubscriptionRow.status.in_(_PAYING),
            SubscriptionRow.cancel_at_period_end.is_(True),
            SubscriptionRow.current_period_end > now,
            SubscriptionRow.current_period_end <= until,
        )
        grants = (
            select(GrantRow.profile_id)
            .distinct()
            .where(
                GrantRow.profile_id > after,
                GrantRow.revoked_at.is_(None),
                GrantRow.starts_at <= now,
                GrantRow.ends_at > now,
                GrantRow.ends_at <= until,
            )
        )
        ids = set(
            await self._session.scalars(subs.order_by(SubscriptionRow.profile_id).limit(limit))
        )
        ids |= set(await self._session.scalars(grants.order_by(GrantRow.profile_id).limit(limit)))
        return sorted(ids)[:limit]


def _grant_running(now: datetime) -> ColumnElement[bool]:
    return and_(
        GrantRow.revoked_at.is_(None),
        GrantRow.starts_at <= now,
        or_(GrantRow.ends_at.is_(None), GrantRow.ends_at > now),
    )


def subscription_from_row(row: SubscriptionRow) -> Subscription:
    return Subscription(
        provider=Provider(row.provider),
        status=SubscriptionStatus(row.status),
        tier=Tier(row.tier),
        plan=row.plan,
        customer_id=row.customer_id,
        subscription_id=row.subscription_id,
        price_id=row.price_id,
        current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end,
        created_at=row.created_at,
        updated_at=row.updated_at,
        state_at=row.state_at,
    )


def grant_from_row(row: GrantRow) -> Grant:
    return Grant(
        id=row.id,
        tier=Tier(row.tier),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        reason=row.reason,
        revoked_at=row.revoked_at,
    )


async def load_billing(
    session: AsyncSession, profile_id: int
) -> tuple[Subscription | None, list[Grant]]:
    """The profile's current subscription and its grants, oldest grant first."""
    sub = await session.get(SubscriptionRow, profile_id, populate_existing=True)
    grants = await session.scalars(
        select(GrantRow)
        .where(GrantRow.profile_id == profile_id)
        .order_by(GrantRow.id)
        .execution_options(**_FRESH)
    )
    return (None if sub is None else subscription_from_row(sub)), [
        grant_from_row(g) for g in grants
    ]
