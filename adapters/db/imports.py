"""SQL repository of imports waiting for their confirmation (core.import_ports)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.import_tables import ImportRow
from core.import_ports import ImportState, PendingImport, PlannedPost
from core.model import ChatKind, ChatPlatform, ChatRef, Network

# A finished or expired import is kept a day, so a late tap on its buttons is still answered
# "already imported" or "expired" rather than "no longer available".
KEEP = timedelta(days=1)


def _planned(data: dict[str, Any]) -> PlannedPost:
    return PlannedPost(
        row=int(data["row"]),
        text=str(data["text"]),
        networks=tuple(Network(n) for n in data["networks"]),
        due=datetime.fromisoformat(str(data["due"])),
        media=tuple(str(m) for m in data["media"]),
        campaign=data.get("campaign"),
    )


def _stored(post: PlannedPost) -> dict[str, Any]:
    return {
        "row": post.row,
        "text": post.text,
        "networks": [n.value for n in post.networks],
        "due": post.due.isoformat(),
        "media": list(post.media),
        "campaign": post.campaign,
    }


def _pending(row: ImportRow) -> PendingImport:
    origin = ChatRef(
        ChatPlatform(row.platform), row.chat, row.workspace, kind=ChatKind(row.chat_kind)
    )
    return PendingImport(
        id=row.id,
        profile_id=row.profile_id,
        origin=origin,
        created_at=row.created_at,
        expires_at=row.expires_at,
        posts=tuple(_planned(p) for p in row.posts),
        state=ImportState(row.state),
        imported=row.imported,
    )


class SqlImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, pending: PendingImport) -> PendingImport:
        await self._session.execute(
            delete(ImportRow).where(ImportRow.expires_at < pending.created_at - KEEP)
        )
        row = ImportRow(
            profile_id=pending.profile_id,
            platform=pending.origin.platform.value,
            chat=pending.origin.chat,
            workspace=pending.origin.workspace,
            chat_kind=pending.origin.kind.value,
            created_at=pending.created_at,
            expires_at=pending.expires_at,
            state=pending.state.value,
            posts=[_stored(p) for p in pending.posts],
            imported=pending.imported,
            finished_at=None,
        )
        self._session.add(row)
        await self._session.flush()
        return _pending(row)

    async def get(self, import_id: int) -> PendingImport | None:
        row = await self._session.get(ImportRow, import_id)
        return None if row is None else _pending(row)

    async def finish(
        self, import_id: int, state: ImportState, *, imported: int, now: datetime
    ) -> bool:
        # One conditional UPDATE: on PostgreSQL a second transaction waits for the row lock,
        # then re-reads the row and matches nothing; SQLite has one writer at a time.
        result = await self._session.execute(
            update(ImportRow)
            .where(ImportRow.id == import_id, ImportRow.state == ImportState.PENDING.value)
            .values(state=state.value, imported=imported, finished_at=now, posts=[])
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
