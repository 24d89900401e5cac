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
    ],
)
def test_post_state_is_derived_from_targets(
    states: list[TargetState], expected: PostState
) -> None:
    assert derive_post_state(states) is expected
