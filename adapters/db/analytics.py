"""The SQL analytics repository: one class over its parts, one part per port seam."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.account_metrics import SqlAccountMetrics, SqlDailyTotals
from adapters.db.analytics_batch import SqlBatchReads
from adapters.db.items import SqlItemStore
from adapters.db.post_tags import SqlPostTagQueries
from adapters.db.tags import SqlTagStore

__all__ = ["SqlAnalyticsRepository"]


class SqlAnalyticsRepository(
    SqlItemStore, SqlTagStore, SqlAccountMetrics, SqlDailyTotals, SqlPostTagQueries, SqlBatchReads
):
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
