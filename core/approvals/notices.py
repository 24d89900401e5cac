"""Telling the author (their post's progress message) and the approvers (the card) what
became of a submission; the chat is only a view, so a failed edit changes nothing stored."""

from __future__ import annotations

import logging

from core.approval_ports import ApprovalRequest
from core.approvals import cards
from core.model import Post
from core.publishing.progress import ProgressNotifier
from core.replies import Reply, seal

log = logging.getLogger(__name__)


async def tell_author(
    notifier: ProgressNotifier | None, post: Post, request: ApprovalRequest, line: str, tz: str
) -> None:
    """The outcome in the post's progress message, edited in place (sent, and remembered as
    its progress message, when it has none yet: a /schedule typed rather than tapped)."""
    if notifier is None:
        return
    await notifier.show(post, reply=cards.awaiting(post, request, tz, line))
    await notifier.changed(post)


async def settle_card(
    notifier: ProgressNotifier | None, post: Post, request: ApprovalRequest, line: str
) -> None:
    """The approvers' card shows what happened and loses its buttons (withdrawn, expired, a
    note given later); a tap on it meanwhile is refused as stale anyway."""
    card = request.card
    if notifier is None or card is None:
        return
    messenger = notifier.messengers.get(card.chat.platform)
    if messenger is None:
        return
    try:
        reply: Reply = cards.decided(post, request, line)
        await messenger.edit(card, seal(reply, post.profile_id, post.created_at))
    except Exception:
        log.exception("could not update the approval card of post %s", post.id)
