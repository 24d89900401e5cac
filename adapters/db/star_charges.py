"""Telegram Stars charges in SQL, once each by charge id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.chat_state import _insert
from adapters.db.star_tables import StarChargeRow
from core.stars_ports import StarCharge


class SqlStarChargeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, charge: StarCharge) -> bool:
        stmt = (
            _insert(self._session, StarChargeRow)
            .values(
                charge_id=charge.charge_id,
                profile_id=charge.profile_id,
                telegram_user=charge.user,
                amount=charge.amount,
                recurring=charge.recurring,
                paid_at=charge.paid_at,
                period_end=charge.period_end,
                previous_end=charge.previous_end,
                refunded_at=charge.refunded_at,
            )
            .on_conflict_do_nothing(index_elements=[StarChargeRow.charge_id])
            .returning(StarChargeRow.charge_id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def get(self, charge_id: str) -> StarCharge | None:
        row = await self._session.get(StarChargeRow, charge_id)
        return None if row is None else _charge(row)

    async def latest(self, profile_id: int) -> StarCharge | None:
        row = (
            await self._session.execute(
                select(StarChargeRow)
                .where(StarChargeRow.profile_id == profile_id, StarChargeRow.refunded_at.is_(None))
                .order_by(StarChargeRow.paid_at.desc(), StarChargeRow.period_end.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return None if row is None else _charge(row)

    async def recent(self, profile_id: int, *, limit: int) -> Sequence[StarCharge]:
        rows = (
            await self._session.execute(
                select(StarChargeRow)
                .where(StarChargeRow.profile_id == profile_id)
                .order_by(StarChargeRow.paid_at.desc(), StarChargeRow.period_end.desc())
                .limit(limit)
            )
        ).scalars()
        return [_charge(row) for row in rows]

    async def mark_refunded(self, charge_id: str, at: datetime) -> bool:
        result = await self._session.execute(
            update(StarChargeRow)
            .where(StarChargeRow.charge_id == charge_id, StarChargeRow.refunded_at.is_(None))
            .values(refunded_at=at)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) > 0


def _charge(row: StarChargeRow) -> StarCharge:
    return StarCharge(
        charge_id=row.charge_id,
        profile_id=row.profile_id,
        user=row.telegram_user,
        amount=row.amount,
        recurring=row.recurring,
        paid_at=row.paid_at,
        period_end=row.period_end,
        previous_end=row.previous_end,
        refunded_at=row.refunded_at,
    )
