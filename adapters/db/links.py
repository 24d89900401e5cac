"""SQL storage of channel link codes (hashed) and of the channels linked to a profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.tables import ChatLinkRow, LinkCodeRow
from core.channel_links import ChatLink, LinkCode
from core.errors import Conflict
from core.model import ChatPlatform, Identity

_FRESH = {"populate_existing": True}


def _link(row: ChatLinkRow) -> ChatLink:
    identity = Identity(ChatPlatform(row.platform), row.subject, row.workspace)
    return ChatLink(row.id, identity, row.profile_id, row.title, row.linked_at)


class SqlLinkRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_code(self, code: LinkCode) -> None:
        await self._session.execute(
            delete(LinkCodeRow).where(LinkCodeRow.expires_at <= code.created_at)
        )
        self._session.add(
            LinkCodeRow(
                digest=code.digest,
                profile_id=code.profile_id,
                created_at=code.created_at,
                expires_at=code.expires_at,
                used_at=code.used_at,
            )
        )
        await self._session.flush()

    async def code(self, code_digest: str) -> LinkCode | None:
        row = await self._session.get(LinkCodeRow, code_digest, populate_existing=True)
        if row is None:
            return None
        return LinkCode(row.digest, row.profile_id, row.created_at, row.expires_at, row.used_at)

    async def use_code(self, code_digest: str, now: datetime) -> bool:
        # One conditional UPDATE: of two transactions using the code at once, the second
        # waits for the first's row lock (PostgreSQL) or database lock (SQLite), then finds it
        # used and changes nothing.
        used = await self._session.scalars(
            update(LinkCodeRow)
            .where(
                LinkCodeRow.digest == code_digest,
                LinkCodeRow.used_at.is_(None),
                LinkCodeRow.expires_at > now,
            )
            .values(used_at=now)
            .returning(LinkCodeRow.digest)
            .execution_options(synchronize_session=False)
        )
        return used.first() is not None

    async def link_of(self, identity: Identity) -> ChatLink | None:
        row = (
            await self._session.scalars(
                select(ChatLinkRow)
                .where(
                    ChatLinkRow.platform == identity.platform.value,
                    ChatLinkRow.workspace == identity.workspace,
                    ChatLinkRow.subject == identity.user,
                )
                .execution_options(**_FRESH)
            )
        ).first()
        return None if row is None else _link(row)

    async def get(self, link_id: int) -> ChatLink | None:
        row = await self._session.get(ChatLinkRow, link_id, populate_existing=True)
        return None if row is None else _link(row)

    async def for_profile(self, profile_id: int) -> Sequence[ChatLink]:
        rows = await self._session.scalars(
            select(ChatLinkRow)
            .where(ChatLinkRow.profile_id == profile_id)
            .order_by(ChatLinkRow.id)
            .execution_options(**_FRESH)
        )
        return [_link(r) for r in rows]

    async def add(self, link: ChatLink) -> ChatLink:
        row = ChatLinkRow(
            profile_id=link.profile_id,
            platform=link.identity.platform.value,
            workspace=link.identity.workspace,
            subject=link.identity.user,
            title=link.title,
            linked_at=link.linked_at,
        )
        self._session.add(row)
        try:
            await self._session.flush()
        except IntegrityError as e:
            raise Conflict(f"{link.identity} is linked already") from e
        return _link(row)

    async def remove(self, link_id: int) -> None:
        await self._session.execute(delete(ChatLinkRow).where(ChatLinkRow.id == link_id))
