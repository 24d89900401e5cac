"""SQL rows and repository of the connection lifecycle: Pro link checks, warnings sent
(migration 0011_connection_warnings)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from adapters.db.tables import Base, ConnectionRow, ProfileRow, ProviderAccountRow
from core.lifecycle_ports import WarningKind
from core.model import ConnectionStatus, Network, Route, Tier

# A claim left unsent this long belonged to a worker that died: it may be taken over.
STALE_CLAIM = timedelta(minutes=10)


class LinkCheckRow(Base):
    """When a Pro profile's links are next read from Ayrshare."""

    __tablename__ = "link_checks"

    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    next_at: Mapped[datetime]


class ConnectionWarningRow(Base):
    """One warning of one day: inserting it is the claim that makes it once only."""

    __tablename__ = "connection_warnings"
    __table_args__ = (UniqueConstraint("profile_id", "network", "kind", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    network: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)  # in the profile's time zone
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class SqlLifecycleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_account(self, route: Route, ref: str) -> int | None:
        stmt = select(ProviderAccountRow.profile_id).where(
            ProviderAccountRow.route == route.value, ProviderAccountRow.ref == ref
        )
        return (await self._session.scalars(stmt)).first()

    async def checks_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        stmt = (
            select(ProviderAccountRow.profile_id)
            .join(ProfileRow, ProfileRow.id == ProviderAccountRow.profile_id)
            .outerjoin(LinkCheckRow, LinkCheckRow.profile_id == ProviderAccountRow.profile_id)
            .where(
                ProviderAccountRow.route == Route.AYRSHARE.value,
                ProfileRow.tier == Tier.PRO.value,
                or_(LinkCheckRow.next_at.is_(None), LinkCheckRow.next_at <= now),
            )
            .order_by(ProviderAccountRow.profile_id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    async def claim_check(self, profile_id: int, *, now: datetime, next_at: datetime) -> bool:
        moved = await self._session.execute(
            update(LinkCheckRow)
            .where(LinkCheckRow.profile_id == profile_id, LinkCheckRow.next_at <= now)
            .values(next_at=next_at)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(moved, "rowcount", 0) or 0) == 1:
            return True
        if await self._session.get(LinkCheckRow, profile_id) is not None:
            return False  # not due, or another worker moved it first
        try:
            async with self._session.begin_nested():
                self._session.add(LinkCheckRow(profile_id=profile_id, next_at=next_at))
        except IntegrityError:
            return False  # another worker inserted it first
        return True

    async def to_warn(self, horizon: datetime, *, limit: int, after: int = 0) -> Sequence[int]:
        stmt = (
            select(ConnectionRow.profile_id)
            .where(
                ConnectionRow.profile_id > after,
                or_(
                    ConnectionRow.status == ConnectionStatus.BROKEN.value,
                    ConnectionRow.expires_at <= horizon,
                ),
            )
            .group_by(ConnectionRow.profile_id)
            .order_by(ConnectionRow.profile_id)
            .limit(limit)
        )
        return list(await self._session.scalars(stmt))

    def _key(
        self, profile_id: int, network: Network, kind: WarningKind, day: date
    ) -> list[ColumnElement[bool]]:
        row = ConnectionWarningRow
        return [
            row.profile_id == profile_id,
            row.network == network.value,
            row.kind == kind.value,
            row.day == day,
        ]

    async def claim_warning(
        self, profile_id: int, network: Network, kind: WarningKind, day: date, *, now: datetime
    ) -> bool:
        try:
            async with self._session.begin_nested():
                self._session.add(
                    ConnectionWarningRow(
                        profile_id=profile_id,
                        network=network.value,
                        kind=kind.value,
                        day=day,
                        claimed_at=now,
                    )
                )
            return True
        except IntegrityError:
            pass
        row = ConnectionWarningRow
        taken = await self._session.execute(
            update(row)
            .where(
                *self._key(profile_id, network, kind, day),
                row.sent_at.is_(None),
                row.claimed_at < now - STALE_CLAIM,
            )
            .values(claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(taken, "rowcount", 0) or 0) == 1

    async def warned(
        self, profile_id: int, network: Network, kind: WarningKind, day: date, *, now: datetime
    ) -> None:
        await self._session.execute(
            update(ConnectionWarningRow)
            .where(*self._key(profile_id, network, kind, day))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )

    async def unclaim(
        self, profile_id: int, network: Network, kind: WarningKind, day: date
    ) -> None:
        await self._session.execute(
            delete(ConnectionWarningRow).where(
                *self._key(profile_id, network, kind, day),
                ConnectionWarningRow.sent_at.is_(None),
            )
        )

    async def last_warned(
        self, profile_id: int, network: Network, kind: WarningKind
    ) -> datetime | None:
        row = ConnectionWarningRow
        stmt = select(func.max(row.sent_at)).where(
            row.profile_id == profile_id, row.network == network.value, row.kind == kind.value
        )
        found = (await self._session.execute(stmt)).scalar_one_or_none()
        return found if isinstance(found, datetime) else None
