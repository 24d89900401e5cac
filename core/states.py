"""The post lifecycle as an explicit state machine; a post's state is derived from its targets."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from core.errors import InvalidTransition


class TargetState(StrEnum):
    DRAFT = "draft"
    # Submitted by a team's editor while the team requires approval (core.approvals): waits
    # for an approver, is never claimed by the pipeline (only `scheduled` targets are due).
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    # The network may or may not have the post (a timeout or a lost worker): settled by
    # looking it up, never by sending again blindly.
    UNCONFIRMED = "unconfirmed"


class PostState(StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    UNCONFIRMED = "unconfirmed"
    PUBLISHED = "published"
    PARTIAL = "partial"  # some targets published, some failed
    FAILED = "failed"


T = TargetState
# The product lifecycle, per target (docs/product-rules.md#post-states), plus the reliability
# states: a claimed target can be released (queued → scheduled) when a worker stops before
# sending, a transient error re-schedules it (publishing → scheduled with backoff), and a lookup
# settles an unconfirmed one. A post awaiting approval goes on when approved (scheduled: at its
# time, or due now for Publish now, so the dispatcher claims it into queued as any other), and
# back to draft when changes are asked for, it is rejected or withdrawn, or its time passes
# undecided (held, as after downtime: never sent late without asking).
TRANSITIONS: dict[TargetState, frozenset[TargetState]] = {
    T.DRAFT: frozenset({T.SCHEDULED, T.AWAITING_APPROVAL}),
    T.AWAITING_APPROVAL: frozenset({T.SCHEDULED, T.DRAFT}),
    T.SCHEDULED: frozenset({T.QUEUED, T.DRAFT, T.FAILED}),
    T.QUEUED: frozenset({T.PUBLISHING, T.SCHEDULED, T.FAILED}),
    T.PUBLISHING: frozenset({T.PUBLISHED, T.FAILED, T.UNCONFIRMED, T.SCHEDULED}),
    T.UNCONFIRMED: frozenset({T.PUBLISHED, T.FAILED, T.SCHEDULED}),
    T.FAILED: frozenset({T.SCHEDULED}),
    T.PUBLISHED: frozenset(),
}

ACTIVE = frozenset({T.QUEUED, T.PUBLISHING})
FINAL = frozenset({T.PUBLISHED, T.FAILED})


def check_transition(current: TargetState, new: TargetState) -> None:
    """Raise InvalidTransition unless the lifecycle allows going from `current` to `new`."""
    if new not in TRANSITIONS[current]:
        raise InvalidTransition(current.value, new.value)


def derive_post_state(states: Iterable[TargetState]) -> PostState:
    """The post's state from its targets' states, most urgent first."""
    s = set(states)
    if not s or s == {T.DRAFT}:
        return PostState.DRAFT
    if T.AWAITING_APPROVAL in s:
        # Submitted whole: nothing of it is out until an approver says so.
        return PostState.AWAITING_APPROVAL
    if s & ACTIVE:
        return PostState.PUBLISHING
    if T.UNCONFIRMED in s:
        return PostState.UNCONFIRMED
    if T.SCHEDULED in s:
        return PostState.SCHEDULED
    if s <= {T.PUBLISHED}:
        return PostState.PUBLISHED
    if T.PUBLISHED in s:
        return PostState.PARTIAL
    if T.FAILED in s:
        return PostState.FAILED
    return PostState.DRAFT  # a mix of drafts only remains (cancelled targets)
