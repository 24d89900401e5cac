"""Posts and targets mapped by hand between rows and core dataclasses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case

from adapters.db.tables import PostRow, TargetRow
from core.model import ChatPlatform, ChatRef, MessageRef, Network, Post, Route, Target
from core.states import TargetState

SENT = (TargetState.PUBLISHING.value, TargetState.UNCONFIRMED.value)
WAITING = (TargetState.SCHEDULED.value, TargetState.QUEUED.value)


def check_progress(post: Post) -> None:
    if post.progress is not None:
        chat = post.progress.chat
        if (chat.platform, chat.workspace) != (post.origin.platform, post.origin.workspace):
            raise ValueError("a post's progress message must be on its origin's platform")


def target_from_row(row: TargetRow) -> Target:
    return Target(
        network=Network(row.network),
        route=Route(row.route),
        state=TargetState(row.state),
        due_at=row.due_at,
        attempts=row.attempts,
        round=row.round,
        idempotency_key=row.idempotency_key,
        provider_post_id=row.provider_post_id,
        external_id=row.external_id,
        url=row.url,
        error=row.error,
        locked_by=row.locked_by,
        locked_until=row.locked_until,
        sent_at=row.sent_at,
        published_at=row.published_at,
        held_due=row.held_due_at,
        text=row.text,
    )


def target_columns(target: Target) -> dict[str, object]:
    return {
        "network": target.network.value,
        "route": target.route.value,
        "state": target.state.value,
        "due_at": target.due_at,
        "attempts": target.attempts,
        "round": target.round,
        "idempotency_key": target.idempotency_key,
        "provider_post_id": target.provider_post_id,
        "external_id": target.external_id,
        "url": target.url,
        "error": target.error,
        "locked_by": target.locked_by,
        "locked_until": target.locked_until,
        "sent_at": target.sent_at,
        "published_at": target.published_at,
        "held_due_at": target.held_due,
        "text": target.text,
    }


def write_changed(row: object, values: dict[str, object], base: dict[str, object] | None) -> None:
    """Set the columns whose value differs from `base` (what the writer read): a change made
    by another transaction since to a column this writer left alone survives."""
    for column, value in values.items():
        if base is None or base.get(column) != value:
            setattr(row, column, value)


def post_from_rows(row: PostRow, targets: Iterable[TargetRow]) -> Post:
    origin = ChatRef(ChatPlatform(row.origin_platform), row.origin_chat, row.origin_workspace)
    progress = None
    if row.progress_chat is not None and row.progress_message_id is not None:
        chat = ChatRef(origin.platform, row.progress_chat, origin.workspace)
        progress = MessageRef(chat, row.progress_message_id)
    post = Post(
        id=row.id,
        profile_id=row.profile_id,
        text=row.text,
        media=tuple(row.media),
        created_at=row.created_at,
        origin=origin,
        scheduled_at=row.scheduled_at,
        progress=progress,
        edited_at=row.edited_at,
    )
    for t in targets:
        target = target_from_row(t)
        post.targets[target.network] = target
    return post


def going_out() -> ColumnElement[datetime | None]:
    """When a target went out, is going out or is due; NULL for drafts and failures."""
    return case(
        (TargetRow.state == TargetState.PUBLISHED.value, TargetRow.published_at),
        (TargetRow.state.in_(SENT), TargetRow.sent_at),
        (TargetRow.state.in_(WAITING), TargetRow.due_at),
        else_=None,
    )


def post_columns(post: Post) -> dict[str, object]:
    check_progress(post)
    return {
        "profile_id": post.profile_id,
        "text": post.text,
        "media": list(post.media),
        "created_at": post.created_at,
        "scheduled_at": post.scheduled_at,
        "edited_at": post.edited_at,
        "origin_platform": post.origin.platform.value,
        "origin_chat": post.origin.chat,
        "origin_workspace": post.origin.workspace,
        "progress_chat": None if post.progress is None else post.progress.chat.chat,
        "progress_message_id": None if post.progress is None else post.progress.message_id,
    }


@dataclass(frozen=True, slots=True)
class LastRead:
    """A post's columns as this unit of work last read or wrote them."""

    post: dict[str, object]
    targets: dict[Network, dict[str, object]]

    @classmethod
    def of(cls, post: Post) -> LastRead:
        targets = {n: target_columns(t) for n, t in post.targets.items()}
        return cls(post_columns(post), targets)


def made_in(profile_id: int, origin: ChatRef | None) -> list[ColumnElement[bool]]:
    """A profile's posts, only those made in `origin` when given."""
    where = [PostRow.profile_id == profile_id]
    if origin is not None:
        where += [
            PostRow.origin_platform == origin.platform.value,
            PostRow.origin_chat == origin.chat,
            PostRow.origin_workspace == origin.workspace,
        ]
    return where
