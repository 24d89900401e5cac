"""The post state machine: allowed moves, refused moves, and the derived post state."""

from __future__ import annotations

import pytest

from core.errors import InvalidTransition
from core.states import TRANSITIONS, PostState, TargetState, check_transition, derive_post_state

T = TargetState


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (T.DRAFT, T.SCHEDULED),
        (T.SCHEDULED, T.QUEUED),
        (T.QUEUED, T.PUBLISHING),
        (T.PUBLISHING, T.PUBLISHED),
        (T.PUBLISHING, T.FAILED),
        (T.PUBLISHING, T.UNCONFIRMED),
        (T.FAILED, T.SCHEDULED),
        (T.SCHEDULED, T.DRAFT),
        (T.UNCONFIRMED, T.PUBLISHED),
        (T.DRAFT, T.AWAITING_APPROVAL),  # an editor's Publish / Schedule in a reviewed team
        (T.AWAITING_APPROVAL, T.SCHEDULED),  # approved: at its time, or due now
        (T.AWAITING_APPROVAL, T.DRAFT),  # changes asked for, rejected, withdrawn or expired
    ],
)
def test_seed_transitions_are_allowed(current: TargetState, new: TargetState) -> None:
    check_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (T.PUBLISHED, T.SCHEDULED),
        (T.PUBLISHED, T.FAILED),
        (T.DRAFT, T.PUBLISHED),
        (T.FAILED, T.PUBLISHED),
        (T.UNCONFIRMED, T.PUBLISHING),  # never re-sent blindly: it is looked up first
        (T.DRAFT, T.QUEUED),
        # Awaiting approval, nothing is sent: only an approval makes it due, and the
        # dispatcher then claims it from scheduled like any other.
        (T.AWAITING_APPROVAL, T.QUEUED),
        (T.AWAITING_APPROVAL, T.PUBLISHING),
        (T.AWAITING_APPROVAL, T.PUBLISHED),
        (T.AWAITING_APPROVAL, T.FAILED),
        (T.AWAITING_APPROVAL, T.UNCONFIRMED),
        (T.SCHEDULED, T.AWAITING_APPROVAL),  # approved once is not asked again
        (T.FAILED, T.AWAITING_APPROVAL),  # a retry is the editor's, not a new submission
        (T.PUBLISHED, T.AWAITING_APPROVAL),
        (T.QUEUED, T.AWAITING_APPROVAL),
        (T.PUBLISHING, T.AWAITING_APPROVAL),
        (T.UNCONFIRMED, T.AWAITING_APPROVAL),
    ],
)
def test_invalid_transitions_raise_a_domain_error(current: TargetState, new: TargetState) -> None:
    with pytest.raises(InvalidTransition) as raised:
        check_transition(current, new)
    assert current.value in str(raised.value) and new.value in str(raised.value)


def test_published_is_final() -> None:
    assert TRANSITIONS[T.PUBLISHED] == frozenset()


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([], PostState.DRAFT),
        ([T.DRAFT, T.DRAFT], PostState.DRAFT),
        ([T.SCHEDULED, T.SCHEDULED], PostState.SCHEDULED),
        ([T.SCHEDULED, T.PUBLISHING], PostState.PUBLISHING),
        ([T.PUBLISHED, T.QUEUED], PostState.PUBLISHING),
        ([T.PUBLISHED, T.UNCONFIRMED], PostState.UNCONFIRMED),
        ([T.PUBLISHED, T.PUBLISHED], PostState.PUBLISHED),
        ([T.PUBLISHED, T.FAILED], PostState.PARTIAL),
        ([T.FAILED, T.FAILED], PostState.FAILED),
        ([T.FAILED, T.SCHEDULED], PostState.SCHEDULED),
        ([T.AWAITING_APPROVAL], PostState.AWAITING_APPROVAL),
        ([T.AWAITING_APPROVAL, T.AWAITING_APPROVAL], PostState.AWAITING_APPROVAL),
        # Submitted whole; were a target left a draft (unticked networks have no target,
        # so only by a bug), the post still waits rather than looking like a draft.
        ([T.AWAITING_APPROVAL, T.DRAFT], PostState.AWAITING_APPROVAL),
    ],
)
def test_post_state_is_derived_from_targets(
    states: list[TargetState], expected: PostState
) -> None:
    assert derive_post_state(states) is expected


def test_every_state_has_its_moves_listed() -> None:
    assert set(TRANSITIONS) == set(TargetState)


def test_awaiting_approval_leaves_only_to_scheduled_or_draft() -> None:
    assert TRANSITIONS[T.AWAITING_APPROVAL] == frozenset({T.SCHEDULED, T.DRAFT})
    reaching = {s for s, moves in TRANSITIONS.items() if T.AWAITING_APPROVAL in moves}
    assert reaching == {T.DRAFT}
