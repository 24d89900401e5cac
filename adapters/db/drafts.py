"""SQL draft focus: the draft each user has open in each chat, and what it waits for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.chat_state import _insert
from adapters.db.chat_tables import DraftFocusRow
from core.chat_ports import Awaiting, DraftFocus
from core.model import ChatRef, Identity, Network

_Row = DraftFocusRow


def _of(identity: Identity, chat: ChatRef) -> list[ColumnElement[bool]]:
    return [
        _Row.platform == identity.platform.value,
        _Row.workspace == identity.workspace,
        _Row.user_id == identity.user,
        _Row.chat_id == chat.chat,
    ]


def _focus(row: DraftFocusRow) -> DraftFocus:
    return DraftFocus(
        post_id=row.post_id,
        newest=row.newest,
        awaiting=None if row.awaiting is None else Awaiting(row.awaiting),
        network=None if row.network is None else Network(row.network),
        until=row.until,
    )


class SqlDraftFocusRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, profile_id: int, identity: Identity, chat: ChatRef) -> DraftFocus | None:
        stmt = select(_Row).where(_Row.profile_id == profile_id, *_of(identity, chat))
        row = await self._session.scalar(stmt.execution_options(populate_existing=True))
        return None if row is None else _focus(row)

    async def waiting(
        self, identity: Identity, chat: ChatRef, now: datetime
    ) -> tuple[int, DraftFocus] | None:
        stmt = (
            select(_Row)
            .where(*_of(identity, chat), _Row.awaiting.is_not(None), _Row.until > now)
            .order_by(_Row.until.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = await self._session.scalar(stmt)
        return None if row is None else (row.profile_id, _focus(row))

    async def put(
        self, profile_id: int, identity: Identity, chat: ChatRef, focus: DraftFocus
    ) -> None:
        values = {
            "post_id": focus.post_id,
            "newest": focus.newest,
            "awaiting": None if focus.awaiting is None else focus.awaiting.value,
            "network": None if focus.network is None else focus.network.value,
            "until": focus.until,
        }
        key = {
            "profile_id": profile_id,
            "platform": identity.platform.value,
            "workspace": identity.workspace,
            "user_id": identity.user,
            "chat_id": chat.chat,
        }
        stmt = _insert(self._session, _Row).values(key | values)
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=values)
        await self._session.execute(stmt)

    async def clear(self, profile_id: int, identity: Identity, chat: ChatRef) -> None:
        stmt = delete(_Row).where(_Row.profile_id == profile_id, *_of(identity, chat))
        await self._session.execute(stmt)
