"""The engage inbox in SQL: comments once each by network id, the checks due, the settings."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.chat_state import _insert
from adapters.db.engage_tables import CommentCheckRow, CommentRow, EngageSettingsRow
from adapters.db.tables import PostRow, PostTagRow, TargetRow
from core.engage_ports import Comment, CommentState, EngageSettings, FoundComment, Watched
from core.model import ChatKind, ChatPlatform, ChatRef, MessageRef, Network, Route
from core.states import TargetState

_C = CommentRow


class SqlEngageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def due(self, now: datetime, *, since: datetime, limit: int) -> Sequence[Watched]:
        check = CommentCheckRow
        stmt = (
            select(
                PostRow.profile_id,
                TargetRow.post_id,
                TargetRow.network,
                TargetRow.route,
                TargetRow.provider_post_id,
                TargetRow.external_id,
                TargetRow.url,
            )
            .join(PostRow, PostRow.id == TargetRow.post_id)
            .outerjoin(PostTagRow, PostTagRow.post_id == TargetRow.post_id)
            .outerjoin(
                check,
                and_(check.post_id == TargetRow.post_id, check.network == TargetRow.network),
            )
            .where(
                TargetRow.state == TargetState.PUBLISHED.value,
                TargetRow.published_at >= since,
                func.coalesce(PostTagRow.hidden, false()) == false(),
                or_(check.next_at.is_(None), check.next_at <= now),
            )
            .order_by(func.coalesce(check.next_at, TargetRow.published_at), TargetRow.id)
            .limit(limit)
        )
        rows = (await self._session.execute(stmt)).all()
        return [
            Watched(
                profile_id=r.profile_id,
                post_id=r.post_id,
                network=Network(r.network),
                route=Route(r.route),
                provider_post_id=r.provider_post_id,
                external_id=r.external_id,
                url=r.url,
            )
            for r in rows
        ]

    async def checked(
        self, post_id: int, network: Network, *, now: datetime, next_at: datetime
    ) -> None:
        stmt = _insert(self._session, CommentCheckRow).values(
            post_id=post_id, network=network.value, checked_at=now, next_at=next_at
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[CommentCheckRow.post_id, CommentCheckRow.network],
            set_={"checked_at": now, "next_at": next_at},
        )
        await self._session.execute(stmt)

    async def add_found(
        self, profile_id: int, post_id: int, found: Sequence[FoundComment], *, now: datetime
    ) -> int:
        added = 0
        for c in found:
            stmt = (
                _insert(self._session, CommentRow)
                .values(
                    profile_id=profile_id,
                    post_id=post_id,
                    network=c.network.value,
                    external_id=c.external_id[:255],
                    author=c.author[:128],
                    text=c.text,
                    created_at=c.created_at,
                    found_at=now,
                    url=c.url,
                    state=CommentState.OPEN.value,
                )
                .on_conflict_do_nothing(index_elements=[_C.network, _C.external_id])
                .returning(_C.id)
            )
            if (await self._session.execute(stmt)).first() is not None:
                added += 1
        return added

    async def add_ours(
        self, comment: Comment, external_id: str, text: str, *, now: datetime
    ) -> None:
        stmt = (
            _insert(self._session, CommentRow)
            .values(
                profile_id=comment.profile_id,
                post_id=comment.post_id,
                network=comment.network.value,
                external_id=external_id[:255],
                author="",
                text=text,
                created_at=now,
                found_at=now,
                state=CommentState.OURS.value,
                pushed_at=now,
            )
            .on_conflict_do_nothing(index_elements=[_C.network, _C.external_id])
        )
        await self._session.execute(stmt)

    async def unpushed(self, *, limit: int, after: int = 0) -> Sequence[Comment]:
        stmt = (
            select(_C)
            .where(_C.state == CommentState.OPEN.value, _C.pushed_at.is_(None), _C.id > after)
            .order_by(_C.id)
            .limit(limit)
        )
        return [_comment(r) for r in (await self._session.scalars(stmt)).all()]

    async def claim(self, comment_ids: Collection[int], *, now: datetime) -> Collection[int]:
        if not comment_ids:
            return []
        stmt = (
            update(_C)
            .where(_C.id.in_(list(comment_ids)), _C.pushed_at.is_(None))
            .values(pushed_at=now)
            .returning(_C.id)
        )
        return [row[0] for row in (await self._session.execute(stmt)).all()]

    async def unclaim(self, comment_ids: Collection[int]) -> None:
        if comment_ids:
            stmt = update(_C).where(_C.id.in_(list(comment_ids))).values(pushed_at=None)
            await self._session.execute(stmt)

    async def shown(self, comment_ids: Collection[int], message: MessageRef) -> None:
        if not comment_ids:
            return
        await self._session.execute(
            update(_C).where(_C.id.in_(list(comment_ids))).values(**_message_values(message))
        )

    async def get(self, comment_id: int) -> Comment | None:
        row = await self._session.get(_C, comment_id)
        return None if row is None else _comment(row)

    async def save(self, comment: Comment) -> None:
        values = {
            "state": comment.state.value,
            "reply_draft": comment.reply_draft,
            "handled_at": comment.handled_at,
            "pushed_at": comment.pushed_at,
        }
        if comment.message is not None:
            values |= _message_values(comment.message)
        await self._session.execute(update(_C).where(_C.id == comment.id).values(**values))

    async def in_message(self, message: MessageRef) -> Sequence[Comment]:
        stmt = (
            select(_C)
            .where(
                _C.message_platform == message.chat.platform.value,
                _C.message_workspace == message.chat.workspace,
                _C.message_chat == message.chat.chat,
                _C.message_id == message.message_id,
            )
            .order_by(_C.id)
        )
        return [_comment(r) for r in (await self._session.scalars(stmt)).all()]

    async def open_for(
        self, profile_id: int, *, post_id: int | None, limit: int
    ) -> tuple[Sequence[Comment], int]:
        where = [_C.profile_id == profile_id, _C.state == CommentState.OPEN.value]
        if post_id is not None:
            where.append(_C.post_id == post_id)
        rows = await self._session.scalars(
            select(_C).where(*where).order_by(_C.id.desc()).limit(limit)
        )
        total = await self._session.scalar(select(func.count()).select_from(_C).where(*where))
        return [_comment(r) for r in rows.all()], int(total or 0)

    async def counts(self, profile_id: int, *, since: datetime) -> Mapping[Network, int]:
        stmt = (
            select(_C.network, func.count())
            .where(
                _C.profile_id == profile_id,
                _C.found_at >= since,
                _C.state != CommentState.OURS.value,
            )
            .group_by(_C.network)
        )
        return {Network(n): int(k) for n, k in (await self._session.execute(stmt)).all()}

    async def post_count(self, post_id: int) -> int:
        stmt = (
            select(func.count())
            .select_from(_C)
            .where(_C.post_id == post_id, _C.state != CommentState.OURS.value)
        )
        return int(await self._session.scalar(stmt) or 0)

    async def settings(self, profile_id: int) -> EngageSettings:
        row = await self._session.get(EngageSettingsRow, profile_id)
        if row is None:
            return EngageSettings(profile_id)
        chat = None
        if row.pending_platform and row.pending_chat is not None:
            chat = ChatRef(
                ChatPlatform(row.pending_platform),
                row.pending_chat,
                row.pending_workspace or "",
                ChatKind(row.pending_kind or ChatKind.SHARED.value),
            )
        return EngageSettings(
            profile_id,
            enabled=row.enabled,
            quiet=row.quiet,
            quiet_start=row.quiet_start,
            quiet_end=row.quiet_end,
            pending_comment=row.pending_comment,
            pending_chat=chat,
            pending_since=row.pending_since,
        )

    async def save_settings(self, settings: EngageSettings) -> None:
        chat = settings.pending_chat
        values = {
            "enabled": settings.enabled,
            "quiet": settings.quiet,
            "quiet_start": settings.quiet_start,
            "quiet_end": settings.quiet_end,
            "pending_comment": settings.pending_comment,
            "pending_platform": None if chat is None else chat.platform.value,
            "pending_workspace": None if chat is None else chat.workspace,
            "pending_chat": None if chat is None else chat.chat,
            "pending_kind": None if chat is None else chat.kind.value,
            "pending_since": settings.pending_since,
        }
        stmt = _insert(self._session, EngageSettingsRow).values(
            profile_id=settings.profile_id, **values
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[EngageSettingsRow.profile_id], set_=values
        )
        await self._session.execute(stmt)


def _message_values(message: MessageRef) -> dict[str, str]:
    return {
        "message_platform": message.chat.platform.value,
        "message_workspace": message.chat.workspace,
        "message_chat": message.chat.chat,
        "message_id": message.message_id,
    }


def _comment(row: CommentRow) -> Comment:
    message = None
    if row.message_platform and row.message_chat is not None and row.message_id is not None:
        chat = ChatRef(
            ChatPlatform(row.message_platform), row.message_chat, row.message_workspace or ""
        )
        message = MessageRef(chat, row.message_id)
    return Comment(
        id=row.id,
        profile_id=row.profile_id,
        post_id=row.post_id,
        network=Network(row.network),
        external_id=row.external_id,
        author=row.author,
        text=row.text,
        created_at=row.created_at,
        found_at=row.found_at,
        url=row.url,
        state=CommentState(row.state),
        pushed_at=row.pushed_at,
        message=message,
        reply_draft=row.reply_draft,
        handled_at=row.handled_at,
    )
