"""Pure decisions on one target: settle an outcome, end its lease, hand a claim back."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.model import Network, Post, Target
from core.ports import Outcome, OutcomeKind
from core.publishing.config import PipelineConfig
from core.states import TargetState

SENT = frozenset({TargetState.PUBLISHED, TargetState.PUBLISHING, TargetState.UNCONFIRMED})


def all_fresh(post: Post, late: set[Network]) -> bool:
    """Nothing of the post has gone out: every target that is not a draft is late here."""
    return all(
        t.network in late for t in post.targets.values() if t.state is not TargetState.DRAFT
    )


def end_lease(t: Target, state: TargetState, error: str | None) -> None:
    """Move a claimed or sent target on, out of this worker's lease."""
    if state is not t.state:
        t.move_to(state)
    t.locked_by = t.locked_until = None
    if error is not None:
        t.error = error


def hold_target(t: Target) -> None:
    """A target its plan no longer reaches back to draft, keeping its due time in
    `held_due` for the renewal (core.billing.holds); a claim's lease is given up."""
    due = t.due_at
    if t.state is TargetState.QUEUED:
        end_lease(t, TargetState.SCHEDULED, None)
    t.move_to(TargetState.DRAFT)
    t.held_due = due


def unschedule_if_idle(post: Post) -> None:
    """No target of `post` scheduled any more: the post is not scheduled either."""
    if not any(t.state is TargetState.SCHEDULED for t in post.targets.values()):
        post.scheduled_at = None


def settle_target(
    t: Target, outcome: Outcome, now: datetime, delay: timedelta, config: PipelineConfig
) -> None:
    match outcome.kind:
        case OutcomeKind.PUBLISHED:
            end_lease(t, TargetState.PUBLISHED, None)
            t.url, t.published_at, t.error = outcome.url, now, None
            t.external_id = outcome.external_id or t.external_id
            t.provider_post_id = outcome.provider_post_id or t.provider_post_id
        case OutcomeKind.FAILED:
            reason = outcome.reason or "The network refused the post."
            if outcome.reconnect:
                reason += f" Reconnect {t.network.label}: /connect"
            end_lease(t, TargetState.FAILED, reason)
        case OutcomeKind.RETRY:
            reason = outcome.reason or "a temporary error"
            if outcome.key_spent:
                # The provider processed the request, so it refuses its key from now on.
                t.round += 1
                t.idempotency_key = None
            if t.attempts < config.max_attempts:
                end_lease(t, TargetState.SCHEDULED, reason)
                t.due_at = now + delay
            elif outcome.key_spent:
                end_lease(t, TargetState.FAILED, gave_up(t.attempts, reason))
            else:
                # A 5xx may hide a post that went out: look before calling it failed, so
                # a manual retry (with a fresh key) cannot post it twice.
                end_lease(t, TargetState.UNCONFIRMED, reason)
                t.due_at = now + config.settle_after
        case OutcomeKind.ABSENT:
            if t.attempts >= config.max_attempts:
                end_lease(t, TargetState.FAILED, gave_up(t.attempts, t.error))
            else:
                # It never landed: send again with the same key.
                end_lease(t, TargetState.SCHEDULED, None)
                t.due_at = now
        case OutcomeKind.UNKNOWN:
            end_lease(t, TargetState.UNCONFIRMED, outcome.reason)
            # What the provider had made of it so far (an Instagram container), for the lookup.
            t.provider_post_id = outcome.provider_post_id or t.provider_post_id
            t.due_at = now + config.settle_after


def hand_back(t: Target, now: datetime) -> None:
    if t.state is TargetState.QUEUED:
        end_lease(t, TargetState.SCHEDULED, None)  # never sent: due as it was
    elif t.state is TargetState.PUBLISHING:
        end_lease(t, TargetState.UNCONFIRMED, None)
        t.due_at = now
    else:
        t.locked_by = t.locked_until = None


OPEN = frozenset({TargetState.PUBLISHING, TargetState.UNCONFIRMED})


def due_time(t: Target, default: datetime | None) -> datetime:
    if t.due_at is not None:
        return t.due_at
    assert default is not None
    return default


def gave_up(attempts: int, reason: str | None) -> str:
    return f"Gave up after {attempts} attempts: {reason or 'no answer'}"
