"""Re-encrypts stored secrets under the keyring's primary key (operator key rotation)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.db.cipher import Keyring, SecretError
from adapters.db.profiles import account_aad
from adapters.db.slack_secrets import rotate_slack_secrets
from adapters.db.tables import ProviderAccountRow
from adapters.db.uow import SqlUnitOfWorkFactory


async def rotate_secrets(
    factory_or_session_maker: SqlUnitOfWorkFactory | async_sessionmaker[AsyncSession],
    keyring: Keyring,
) -> int:
    """Re-encrypt every provider account key and Slack token not under `keyring`'s primary
    key, in one transaction; returns how many changed. SecretError (unknown key id, tampered data)
    aborts the whole rotation, naming the row, so nothing is half-rotated."""
    if isinstance(factory_or_session_maker, SqlUnitOfWorkFactory):
        session_maker = factory_or_session_maker.session_factory
    else:
        session_maker = factory_or_session_maker
    async with session_maker() as session, session.begin():
        # FOR UPDATE (PostgreSQL): a key saved meanwhile must not be overwritten by its
        # re-encrypted old value.
        rows = await session.scalars(
            select(ProviderAccountRow).order_by(ProviderAccountRow.id).with_for_update()
        )
        changed = 0
        for row in rows:
            try:
                if not keyring.needs_rotation(row.key_ciphertext):
                    continue
                row.key_ciphertext = keyring.reencrypt(
                    row.key_ciphertext, aad=account_aad(row.profile_id, row.route)
                )
            except SecretError as e:
                where = f"provider account {row.route!r} of profile {row.profile_id}"
                raise SecretError(f"{where}: {e}") from e
            changed += 1
        changed += await rotate_slack_secrets(session, keyring)
    return changed
