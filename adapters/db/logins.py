"""SQL storage of login states (hashed, single use) and the token refresh claims."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.login_tables import LoginStateRow
from adapters.db.tables import ConnectionRow, ProviderAccountRow
from core.logins import LoginState
from core.model import ChatKind, ChatPlatform, ChatRef, ConnectionStatus, Identity, Network, Route

# An expired state is kept this long so its late redirect is still told "expired" (page and
# chat) rather than "not valid"; after that it is purged.
EXPIRED_KEPT = timedelta(days=1)


class SqlLoginRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_state(self, state: LoginState) -> None:
        # Unused states would otherwise pile up: each new one clears those a day past expiry.
        await self._session.execute(
            delete(LoginStateRow).where(
                LoginStateRow.expires_at <= state.created_at - EXPIRED_KEPT
            )
        )
        self._session.add(
            LoginStateRow(
                digest=state.digest,
                network=state.network.value,
                platform=state.identity.platform.value,
                workspace=state.identity.workspace,
                user_id=state.identity.user,
                chat=state.chat.chat,
                chat_kind=state.chat.kind.value,
                created_at=state.created_at,
                expires_at=state.expires_at,
            )
        )
        await self._session.flush()

    async def take_state(self, digest: str) -> LoginState | None:
        # One DELETE … RETURNING: a second transaction with the same state waits for the
        # first's row lock (PostgreSQL) or the database lock (SQLite), then deletes nothing.
        row = (
            await self._session.execute(
                delete(LoginStateRow)
                .where(LoginStateRow.digest == digest)
                .returning(
                    LoginStateRow.network,
                    LoginStateRow.platform,
                    LoginStateRow.workspace,
                    LoginStateRow.user_id,
                    LoginStateRow.chat,
                    LoginStateRow.chat_kind,
                    LoginStateRow.created_at,
                    LoginStateRow.expires_at,
                )
            )
        ).first()
        if row is None:
            return None
        platform = ChatPlatform(row.platform)
        return LoginState(
            digest,
            Network(row.network),
            Identity(platform, row.user_id, row.workspace),
            ChatRef(platform, row.chat, row.workspace, ChatKind(row.chat_kind)),
            row.created_at,
            row.expires_at,
        )

    async def claim_refresh(
        self,
        route: Route,
        network: Network,
        *,
        now: datetime,
        expiring_before: datetime,
        issued_before: datetime,
        retry_at: datetime,
        limit: int,
    ) -> Sequence[int]:
        a = ProviderAccountRow
        broken = exists().where(
            ConnectionRow.profile_id == a.profile_id,
            ConnectionRow.network == network.value,
            ConnectionRow.status == ConnectionStatus.BROKEN.value,
        )
        due = and_(
            a.route == route.value,
            a.expires_at < expiring_before,
            a.issued_at <= issued_before,
            or_(a.refresh_after.is_(None), a.refresh_after <= now),
            ~broken,
        )
        candidates = select(a.id).where(due).order_by(a.expires_at).limit(limit)
        # One conditional UPDATE: a worker claiming at the same moment waits for these row
        # locks (PostgreSQL re-checks the condition then) or the database lock (SQLite), and
        # finds them no longer due.
        claimed = await self._session.scalars(
            update(a)
            .where(a.id.in_(candidates), due)
            .values(refresh_after=retry_at)
            .returning(a.profile_id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.all())
