"""A submission's moves: submit, approve, send back (changes, reject, withdraw, expiry), and
whether a card's button still speaks for the post."""

from __future__ import annotations

from datetime import datetime

from core.approval_ports import ApprovalRequest, ApprovalSetting, Status, fingerprint
from core.model import Identity, Post
from core.states import PostState, TargetState

DECIDED = {
    Status.APPROVED: "approved",
    Status.CHANGES: "sent back for changes",
    Status.REJECTED: "rejected",
    Status.EXPIRED: "held: its time passed before anyone decided",
    Status.WITHDRAWN: "withdrawn by its author",
}


def submit(
    post: Post,
    previous: ApprovalRequest | None,
    *,
    author: Identity,
    author_name: str,
    setting: ApprovalSetting,
    publish_at: datetime | None,
    now: datetime,
) -> ApprovalRequest:
    """Every target of the draft waits for approval (due at `publish_at`, None: Publish now);
    the submission is the next round, so the cards of earlier ones go stale."""
    for target in post.targets.values():
        target.move_to(TargetState.AWAITING_APPROVAL, publish_at)
    post.scheduled_at = publish_at
    return ApprovalRequest(
        post_id=post.id,
        round=(previous.round if previous is not None else 0) + 1,
        status=Status.PENDING,
        author=author,
        author_name=author_name,
        submitted_at=now,
        fingerprint=fingerprint(post),
        publish_at=publish_at,
        no_self_approval=setting.no_self_approval,
    )


def stale(post: Post, request: ApprovalRequest | None, round_: int) -> str | None:
    """Why a card of round `round_` no longer speaks for the post, or None when it does."""
    if request is None or round_ > request.round or round_ < 1:
        return f"This card does not match any approval round of post #{post.id}."
    if round_ < request.round:
        return (
            f"This card is out of date: post #{post.id} was changed and sent again. "
            "Decide on the newest card."
        )
    if request.status is not Status.PENDING:
        return f"Already decided: post #{post.id} was {DECIDED[request.status]}."
    if post.state is not PostState.AWAITING_APPROVAL:
        return f"This card is out of date: post #{post.id} is {post.state.value} now."
    if fingerprint(post) != request.fingerprint:
        return f"This card is out of date: post #{post.id} was edited since it was made."
    return None


def overdue(request: ApprovalRequest, now: datetime) -> bool:
    """Its time came before anyone approved it: it is held, never sent late unasked."""
    return request.publish_at is not None and request.publish_at <= now


def approve(post: Post, request: ApprovalRequest, now: datetime) -> None:
    """Scheduled at its time, or due now for Publish now (the dispatcher claims it)."""
    for target in post.targets.values():
        target.move_to(TargetState.SCHEDULED, request.publish_at or now)
    post.scheduled_at = request.publish_at
    _decided(request, Status.APPROVED, now)


def send_back(post: Post, request: ApprovalRequest, status: Status, now: datetime) -> None:
    """A draft again: changes asked for, rejected, withdrawn, or held when its time passed."""
    for target in post.targets.values():
        if target.state is TargetState.AWAITING_APPROVAL:
            target.move_to(TargetState.DRAFT)
    post.scheduled_at = None
    _decided(request, status, now)


def _decided(request: ApprovalRequest, status: Status, now: datetime) -> None:
    request.status = status
    request.decided_at = now
    request.note_from = request.note_chat = request.note_until = None
