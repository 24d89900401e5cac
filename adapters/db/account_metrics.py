"""SQL account-level numbers per network and each profile's daily totals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select

from adapters.db.analytics_batch import SqlBatchReads
from adapters.db.common import insert_for
from adapters.db.tables import AccountMetricRow, AnalyticsProfileRow, ConnectionRow, DailyTotalRow
from core.metrics import AccountMetric, AccountSnapshot, DailyTotal, Metric
from core.model import ConnectionStatus, Network


class SqlAccountMetrics(SqlBatchReads):
    """Part of SqlAnalyticsRepository (core.analytics_ports.AccountMetricStore)."""

    async def record_account(
        self,
        profile_id: int,
        network: Network,
        day: date,
        values: Mapping[AccountMetric, int],
        *,
        taken_at: datetime,
    ) -> None:
        given = {AccountMetric(k).value: int(v) for k, v in values.items()}
        stmt = insert_for(self._session, AccountMetricRow).values(
            profile_id=profile_id,
            network=network.value,
            day=day,
            metrics=given,
            taken_at=taken_at,
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["profile_id", "network", "day"],
            set_={"metrics": stmt.excluded.metrics, "taken_at": stmt.excluded.taken_at},
        )
        await self._session.execute(stmt)

    async def account_history(
        self, profile_id: int, *, since: date, until: date
    ) -> Sequence[AccountSnapshot]:
        return await self.accounts_of([profile_id], since=since, until=until)

    async def accounts_due(self, now: datetime, *, limit: int) -> Sequence[int]:
        stmt = (
            select(ConnectionRow.profile_id)
            .outerjoin(
                AnalyticsProfileRow, AnalyticsProfileRow.profile_id == ConnectionRow.profile_id
            )
            .where(
                ConnectionRow.status == ConnectionStatus.CONNECTED.value,
                or_(
                    AnalyticsProfileRow.accounts_next_at.is_(None),
                    AnalyticsProfileRow.accounts_next_at <= now,
                ),
            )
            .group_by(ConnectionRow.profile_id)
            .order_by(ConnectionRow.profile_id)
            .limit(max(limit, 0))
        )
        return list(await self._session.scalars(stmt))

    async def accounts_synced(
        self, profile_id: int, *, now: datetime, next_at: datetime, error: str | None
    ) -> None:
        stmt = insert_for(self._session, AnalyticsProfileRow).values(
            profile_id=profile_id,
            accounts_synced_at=None if error else now,
            accounts_next_at=next_at,
            failures=1 if error else 0,
            last_error=error,
        )
        if error is None:
            changes: dict[str, Any] = {
                "accounts_synced_at": now,
                "accounts_next_at": next_at,
                "failures": 0,
                "last_error": None,
            }
        else:
            changes = {
                "accounts_next_at": next_at,
                "failures": AnalyticsProfileRow.failures + 1,
                "last_error": error,
            }
        await self._session.execute(
            stmt.on_conflict_do_update(index_elements=["profile_id"], set_=changes)
        )


class SqlDailyTotals(SqlBatchReads):
    """Part of SqlAnalyticsRepository (core.analytics_ports.DailyTotalStore)."""

    async def save_daily(self, totals: Sequence[DailyTotal], *, updated_at: datetime) -> None:
        if not totals:
            return
        rows = [
            {
                "profile_id": t.profile_id,
                "day": t.day,
                "network": t.network.value,
                "campaign": t.campaign,
                "posts": t.posts,
                "metrics": {Metric(k).value: int(v) for k, v in t.values.items()},
                "updated_at": updated_at,
            }
            for t in totals
        ]
        stmt = insert_for(self._session, DailyTotalRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=["profile_id", "day", "network", "campaign"],
            set_={
                "posts": stmt.excluded.posts,
                "metrics": stmt.excluded.metrics,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self._session.execute(stmt, rows)

    async def daily(
        self, profile_id: int, *, since: date, until: date, campaign: str = ""
    ) -> Sequence[DailyTotal]:
        return await self.daily_of([profile_id], since=since, until=until, campaign=campaign)
