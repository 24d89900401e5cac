"""SQL profiles: identities, provider accounts (keys encrypted), connections; plans read-only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.billing import load_billing
from adapters.db.cipher import Keyring, SecretError
from adapters.db.forget import forget_profile
from adapters.db.tables import (
    ConnectionRow,
    IdentityRow,
    ProfileRow,
    ProviderAccountRow,
)
from core.errors import Conflict
from core.model import (
    AccountKey,
    ChatPlatform,
    Connection,
    ConnectionStatus,
    Identity,
    Network,
    Profile,
    Route,
    Secret,
    Tier,
)

# Every read refreshes rows already in the session: claim_due updates targets with a bulk
# statement that bypasses the identity map, and stale attributes must never reach core.
_FRESH = {"populate_existing": True}


def account_aad(profile_id: int, route: Route | str) -> str:
    """Where a provider account key is stored; binds its ciphertext to that row and column."""
    value = route.value if isinstance(route, Route) else route
    return f"provider_accounts:{profile_id}:{value}:key"


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
                found = ProviderAccountRow(
                    profile_id=profile.id,
                    route=route.value,
                    key_ciphertext=self._keyring.encrypt(account.key.value, aad=aad),
                )
                self._session.add(found)
            elif not self._holds(found.key_ciphertext, account.key.value, aad):
                found.key_ciphertext = self._keyring.encrypt(account.key.value, aad=aad)
                found.refresh_after = None  # a new token: due for refresh on its own dates
            found.ref = account.ref
            found.expires_at = account.expires_at
            found.issued_at = account.issued_at
            found.scopes = ",".join(account.scopes)
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
            found.expires_at = connection.expires_at
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

    async def delete(self, profile_id: int) -> None:
        await forget_profile(self._session, profile_id, await self.identities(profile_id))
        # Rows of it this session loaded are gone from the database: never hand them out.
        self._session.expunge_all()

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
            scopes = tuple(s for s in (a.scopes or "").split(",") if s)
            profile.accounts[Route(a.route)] = AccountKey(
                a.ref, Secret(key), a.expires_at, a.issued_at, scopes
            )
        connections = await self._session.scalars(
            select(ConnectionRow)
            .where(ConnectionRow.profile_id == row.id)
            .order_by(ConnectionRow.id)
            .execution_options(**_FRESH)
        )
        for c in connections:
            network = Network(c.network)
            profile.connections[network] = Connection(
                network, ConnectionStatus(c.status), c.display_name, c.updated_at, c.expires_at
            )
        profile.subscription, profile.grants = await load_billing(self._session, row.id)
        return profile
