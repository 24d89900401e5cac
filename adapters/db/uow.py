"""The SQL unit of work: one session and transaction per use, rolled back unless committed."""

from __future__ import annotations

from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.db.analytics import SqlAnalyticsRepository
from adapters.db.approvals import SqlApprovalRepository
from adapters.db.billing import SqlBillingRepository
from adapters.db.chat_state import SqlProgressOutboxRepository, SqlSeenUpdateRepository
from adapters.db.cipher import Keyring
from adapters.db.digests import SqlDigestRepository
from adapters.db.drafts import SqlDraftFocusRepository
from adapters.db.engage import SqlEngageRepository
from adapters.db.imports import SqlImportRepository
from adapters.db.lifecycle import SqlLifecycleRepository
from adapters.db.links import SqlLinkRepository
from adapters.db.logins import SqlLoginRepository
from adapters.db.planning import SqlPlanningRepository
from adapters.db.posts import SqlPostRepository
from adapters.db.profiles import SqlProfileRepository
from adapters.db.star_charges import SqlStarChargeRepository
from adapters.db.teams import SqlTeamRepository
from core.analytics_ports import AnalyticsRepository
from core.approval_ports import ApprovalRepository
from core.billing_ports import BillingRepository
from core.channel_links import LinkRepository
from core.chat_ports import (
    DraftFocusRepository,
    ProgressOutboxRepository,
    SeenUpdateRepository,
)
from core.engage_ports import EngageRepository
from core.import_ports import ImportRepository
from core.lifecycle_ports import LifecycleRepository
from core.logins import LoginRepository
from core.planning_ports import PlanningRepository
from core.ports import DigestRepository, PostRepository, ProfileRepository
from core.stars_ports import StarChargeRepository
from core.teams import TeamRepository


class SqlUnitOfWork:
    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], keyring: Keyring
    ) -> None:
        # The session connects lazily, on its first statement inside the `async with`.
        self._session = session_factory()
        self.profiles: ProfileRepository = SqlProfileRepository(self._session, keyring)
        self.posts: PostRepository = SqlPostRepository(self._session)
        self.analytics: AnalyticsRepository = SqlAnalyticsRepository(self._session)
        self.digests: DigestRepository = SqlDigestRepository(self._session)
        self.links: LinkRepository = SqlLinkRepository(self._session)
        self.progress: ProgressOutboxRepository = SqlProgressOutboxRepository(self._session)
        self.seen_updates: SeenUpdateRepository = SqlSeenUpdateRepository(self._session)
        self.logins: LoginRepository = SqlLoginRepository(self._session)
        self.lifecycle: LifecycleRepository = SqlLifecycleRepository(self._session)
        self.billing: BillingRepository = SqlBillingRepository(self._session)
        self.star_charges: StarChargeRepository = SqlStarChargeRepository(self._session)
        self.teams: TeamRepository = SqlTeamRepository(self._session)
        self.imports: ImportRepository = SqlImportRepository(self._session)
        self.approvals: ApprovalRepository = SqlApprovalRepository(self._session)
        self.planning: PlanningRepository = SqlPlanningRepository(self._session)
        self.drafts: DraftFocusRepository = SqlDraftFocusRepository(self._session)
        self.engage: EngageRepository = SqlEngageRepository(self._session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Closing rolls back whatever was not committed and returns the connection to the pool.
        await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()

    async def rollback(self) -> None:
        await self._session.rollback()


class SqlUnitOfWorkFactory:
    """Satisfies core.ports.UnitOfWorkFactory: each call is a fresh unit of work."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], keyring: Keyring
    ) -> None:
        self.session_factory = session_factory
        self.keyring = keyring

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory, self.keyring)
