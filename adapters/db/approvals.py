"""Approval settings, submissions and reviews in SQL (core.approval_ports)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.db.approval_tables import ApprovalRequestRow, ApprovalSettingRow, ReviewRow
from core.approval_ports import ApprovalRequest, ApprovalSetting, Kind, Review, Status
from core.model import ChatPlatform, ChatRef, Identity, MessageRef


class SqlApprovalRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def setting(self, profile_id: int) -> ApprovalSetting | None:
        row = await self._session.get(ApprovalSettingRow, profile_id)
        if row is None:
            return None
        return ApprovalSetting(
            row.profile_id, row.required, row.no_self_approval, row.changed_at, row.changed_by
        )

    async def save_setting(self, setting: ApprovalSetting) -> None:
        row = await self._session.get(ApprovalSettingRow, setting.profile_id)
        if row is None:
            row = ApprovalSettingRow(profile_id=setting.profile_id)
            self._session.add(row)
        row.required = setting.required
        row.no_self_approval = setting.no_self_approval
        row.changed_at = setting.changed_at
        row.changed_by = setting.changed_by[:128]
        await self._session.flush()

    async def request(self, post_id: int) -> ApprovalRequest | None:
        row = await self._session.get(ApprovalRequestRow, post_id)
        return None if row is None else _request(row)

    async def save_request(self, request: ApprovalRequest) -> None:
        row = await self._session.get(ApprovalRequestRow, request.post_id)
        if row is None:
            row = ApprovalRequestRow(post_id=request.post_id)
            self._session.add(row)
        row.round = request.round
        row.status = request.status.value
        row.author_platform = request.author.platform.value
        row.author_workspace = request.author.workspace
        row.author_user = request.author.user
        row.author_name = request.author_name[:128]
        row.submitted_at = request.submitted_at
        row.fingerprint = request.fingerprint
        row.publish_at = request.publish_at
        row.no_self_approval = request.no_self_approval
        card = request.card
        row.card_chat = None if card is None else card.chat.chat
        row.card_workspace = None if card is None else card.chat.workspace
        row.card_message_id = None if card is None else card.message_id
        row.decided_at = request.decided_at
        who, chat = request.note_from, request.note_chat
        row.note_platform = None if who is None else who.platform.value
        row.note_workspace = None if who is None else who.workspace
        row.note_user = None if who is None else who.user
        row.note_chat = None if chat is None else chat.chat
        row.note_until = request.note_until
        await self._session.flush()

    async def add_review(self, review: Review) -> Review:
        who = review.by
        row = ReviewRow(
            post_id=review.post_id,
            round=review.round,
            kind=review.kind.value,
            at=review.at,
            by_name=review.by_name[:128],
            by_platform=None if who is None else who.platform.value,
            by_workspace=None if who is None else who.workspace,
            by_user=None if who is None else who.user,
            note=review.note,
        )
        self._session.add(row)
        await self._session.flush()
        return _review(row)

    async def set_note(self, review_id: int, note: str) -> None:
        await self._session.execute(
            update(ReviewRow)
            .where(ReviewRow.id == review_id)
            .values(note=note)
            .execution_options(synchronize_session=False)
        )

    async def reviews(self, post_id: int) -> Sequence[Review]:
        rows = await self._session.scalars(
            select(ReviewRow).where(ReviewRow.post_id == post_id).order_by(ReviewRow.id)
        )
        return [_review(row) for row in rows]

    async def note_awaited(
        self, identity: Identity, chat: ChatRef, now: datetime
    ) -> ApprovalRequest | None:
        row = await self._session.scalar(
            select(ApprovalRequestRow)
            .where(
                ApprovalRequestRow.note_platform == identity.platform.value,
                ApprovalRequestRow.note_workspace == identity.workspace,
                ApprovalRequestRow.note_user == identity.user,
                ApprovalRequestRow.note_chat == chat.chat,
                ApprovalRequestRow.note_until > now,
            )
            .order_by(ApprovalRequestRow.note_until.desc())
            .limit(1)
        )
        return None if row is None else _request(row)

    async def expired(self, now: datetime, *, limit: int) -> Sequence[int]:
        ids = await self._session.scalars(
            select(ApprovalRequestRow.post_id)
            .where(
                ApprovalRequestRow.status == Status.PENDING.value,
                ApprovalRequestRow.publish_at <= now,
            )
            .order_by(ApprovalRequestRow.publish_at, ApprovalRequestRow.post_id)
            .limit(max(limit, 0))
        )
        return list(ids)


def _request(row: ApprovalRequestRow) -> ApprovalRequest:
    platform = ChatPlatform(row.author_platform)
    card = None
    if row.card_chat is not None and row.card_message_id is not None:
        where = ChatRef(platform, row.card_chat, row.card_workspace or "")
        card = MessageRef(where, row.card_message_id)
    note_from = note_chat = None
    if row.note_platform is not None and row.note_user is not None:
        note_platform = ChatPlatform(row.note_platform)
        note_from = Identity(note_platform, row.note_user, row.note_workspace or "")
        if row.note_chat is not None:
            note_chat = ChatRef(note_platform, row.note_chat, row.note_workspace or "")
    return ApprovalRequest(
        post_id=row.post_id,
        round=row.round,
        status=Status(row.status),
        author=Identity(platform, row.author_user, row.author_workspace),
        author_name=row.author_name,
        submitted_at=row.submitted_at,
        fingerprint=row.fingerprint,
        publish_at=row.publish_at,
        no_self_approval=row.no_self_approval,
        card=card,
        decided_at=row.decided_at,
        note_from=note_from,
        note_chat=note_chat,
        note_until=row.note_until,
    )


def _review(row: ReviewRow) -> Review:
    by = None
    if row.by_platform is not None and row.by_user is not None:
        by = Identity(ChatPlatform(row.by_platform), row.by_user, row.by_workspace or "")
    return Review(
        post_id=row.post_id,
        kind=Kind(row.kind),
        at=row.at,
        by_name=row.by_name,
        by=by,
        round=row.round,
        note=row.note,
        id=row.id,
    )
