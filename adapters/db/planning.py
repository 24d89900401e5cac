"""Templates, posting slots and the queue in SQL (core.planning_ports)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.chat_state import _insert
from adapters.db.planning_tables import QueueEntryRow, QueueStateRow, SlotRow, TemplateRow
from adapters.db.tables import PostRow, TargetRow
from core.planning_ports import Slot, Template
from core.states import TargetState

# Waiting for its time (or for approval at it) or on its way: a post in one of these sits in
# its slot.
_SITTING = (
    TargetState.AWAITING_APPROVAL.value,
    TargetState.SCHEDULED.value,
    TargetState.QUEUED.value,
    TargetState.PUBLISHING.value,
)


class SqlPlanningRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def templates(self, profile_id: int) -> Sequence[Template]:
        rows = await self._session.scalars(
            select(TemplateRow)
            .where(TemplateRow.profile_id == profile_id)
            .order_by(TemplateRow.name)
        )
        return [_template(r) for r in rows]

    async def template(
        self, profile_id: int, *, name: str | None = None, template_id: int | None = None
    ) -> Template | None:
        stmt = select(TemplateRow).where(TemplateRow.profile_id == profile_id)
        if name is not None:
            stmt = stmt.where(TemplateRow.name == name)
        if template_id is not None:
            stmt = stmt.where(TemplateRow.id == template_id)
        row = (await self._session.scalars(stmt)).first()
        return None if row is None else _template(row)

    async def add_template(self, template: Template) -> Template | None:
        stmt = (
            _insert(self._session, TemplateRow)
            .values(
                profile_id=template.profile_id,
                name=template.name,
                text=template.text,
                media=list(template.media),
                created_at=template.created_at,
            )
            .on_conflict_do_nothing(index_elements=[TemplateRow.profile_id, TemplateRow.name])
            .returning(TemplateRow.id)
        )
        added = (await self._session.execute(stmt)).scalar_one_or_none()
        if added is None:
            return None
        return Template(
            added,
            template.profile_id,
            template.name,
            template.text,
            template.media,
            template.created_at,
        )

    async def delete_template(self, profile_id: int, template_id: int) -> bool:
        result = await self._session.execute(
            delete(TemplateRow)
            .where(TemplateRow.profile_id == profile_id, TemplateRow.id == template_id)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) > 0

    async def slots(self, profile_id: int) -> Sequence[Slot]:
        rows = await self._session.execute(
            select(SlotRow.weekday, SlotRow.minute)
            .where(SlotRow.profile_id == profile_id)
            .order_by(SlotRow.weekday, SlotRow.minute)
        )
        return [Slot(weekday, minute) for weekday, minute in rows]

    async def add_slot(self, profile_id: int, slot: Slot) -> bool:
        stmt = (
            _insert(self._session, SlotRow)
            .values(profile_id=profile_id, weekday=slot.weekday, minute=slot.minute)
            .on_conflict_do_nothing(
                index_elements=[SlotRow.profile_id, SlotRow.weekday, SlotRow.minute]
            )
            .returning(SlotRow.id)
        )
        return (await self._session.execute(stmt)).first() is not None

    async def remove_slot(self, profile_id: int, slot: Slot) -> bool:
        result = await self._session.execute(
            delete(SlotRow)
            .where(
                SlotRow.profile_id == profile_id,
                SlotRow.weekday == slot.weekday,
                SlotRow.minute == slot.minute,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) > 0

    async def queued(self, profile_id: int) -> Sequence[int]:
        rows = await self._session.scalars(
            select(QueueEntryRow.post_id)
            .where(QueueEntryRow.profile_id == profile_id)
            .order_by(QueueEntryRow.post_id)
        )
        return list(rows)

    async def enqueue(self, profile_id: int, post_id: int, now: datetime) -> None:
        stmt = (
            _insert(self._session, QueueEntryRow)
            .values(post_id=post_id, profile_id=profile_id, added_at=now)
            .on_conflict_do_nothing(index_elements=[QueueEntryRow.post_id])
        )
        await self._session.execute(stmt)

    async def dequeue(self, post_ids: Collection[int]) -> None:
        if post_ids:
            await self._session.execute(
                delete(QueueEntryRow)
                .where(QueueEntryRow.post_id.in_(list(post_ids)))
                .execution_options(synchronize_session=False)
            )

    async def paused(self, profile_id: int) -> bool:
        row = await self._session.get(QueueStateRow, profile_id, populate_existing=True)
        return row is not None and row.paused

    async def set_paused(self, profile_id: int, paused: bool) -> None:
        stmt = _insert(self._session, QueueStateRow).values(profile_id=profile_id, paused=paused)
        stmt = stmt.on_conflict_do_update(
            index_elements=[QueueStateRow.profile_id], set_={"paused": paused}
        )
        await self._session.execute(stmt)

    async def scheduled(
        self, profile_id: int, *, since: datetime
    ) -> Sequence[tuple[int, datetime]]:
        rows = await self._session.execute(
            select(PostRow.id, TargetRow.due_at)
            .join(TargetRow, TargetRow.post_id == PostRow.id)
            .where(
                PostRow.profile_id == profile_id,
                TargetRow.state.in_(_SITTING),
                TargetRow.due_at.is_not(None),
                TargetRow.due_at >= since,
            )
            .distinct()
        )
        return [(post_id, due) for post_id, due in rows if due is not None]


def _template(row: TemplateRow) -> Template:
    return Template(row.id, row.profile_id, row.name, row.text, tuple(row.media), row.created_at)
