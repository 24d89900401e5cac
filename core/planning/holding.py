"""A paused queue's posts held back to draft with their slot kept in `Target.held_due` (the
mechanism a lapsed plan uses, core.billing.holds), and released on resume."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from core.billing.holds import reachable
from core.model import Post, Tier
from core.policy import Policy
from core.states import TargetState


def hold(post: Post) -> bool:
    """Move a waiting post's targets back to draft, keeping each one's due time; one that may
    already be on its way is left to finish. Whether anything was held."""
    changed = False
    for t in post.targets.values():
        if t.state is TargetState.SCHEDULED and not t.may_be_out:
            due = t.due_at
            t.move_to(TargetState.DRAFT)
            t.held_due = due
            changed = True
    if changed and not any(t.state is TargetState.SCHEDULED for t in post.targets.values()):
        post.scheduled_at = None
    return changed


def release(
    post: Post, policy: Policy, tier: Tier, now: datetime
) -> Literal["back", "late"] | None:
    """Schedule the held targets again at their slot. A slot that passed while paused is not
    sent this late without asking, as after downtime: the post stays a draft for its author
    to publish now or delete ("late"). A target the plan no longer reaches stays held for a
    renewal to release (core.billing.holds)."""
    mine = [t for t in post.targets.values() if t.held_due is not None]
    mine = [t for t in mine if reachable(policy, tier, t)]
    if not mine:
        return None
    if any(t.held_due is not None and t.held_due <= now for t in mine):
        for t in mine:
            t.held_due = None
        return "late"
    for t in mine:
        due = t.held_due
        assert due is not None
        t.move_to(TargetState.SCHEDULED, due)
        post.scheduled_at = min(post.scheduled_at or due, due)
    return "back"
