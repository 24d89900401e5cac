"""Holding a lapsed plan's scheduled targets back to draft, and releasing them on renewal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core import limits
from core.approval_ports import Status
from core.model import Post, Profile, Target, Tier
from core.policy import Policy
from core.ports import UnitOfWork
from core.publishing.decisions import hold_target, unschedule_if_idle
from core.states import PostState, TargetState
from core.when import format_local

_PAGE = 100


@dataclass(slots=True)
class Released:
    """What a renewal did with the held targets."""

    scheduled: list[Post] = field(default_factory=list)  # due later: scheduled again
    late: list[Post] = field(default_factory=list)  # all draft, fell due while held: ask
    failed: list[tuple[Post, list[Target]]] = field(default_factory=list)  # partly out: Retry
    # No longer fit to go as held (a network's limits, an approval): drafts again, and why.
    unfit: list[tuple[Post, list[str]]] = field(default_factory=list)


def reachable(policy: Policy, tier: Tier, target: Target) -> bool:
    """Whether `tier` still reaches the target the way it was scheduled."""
    return policy.reaches(tier, target.network, target.route)


async def hold(uow: UnitOfWork, profile: Profile, policy: Policy, tier: Tier) -> list[Post]:
    """Move the profile's scheduled targets that `tier` cannot reach back to draft, keeping
    their due time in `held_due`: as /disconnect does, nothing is deleted or failed. A target
    claimed but never sent (queued, by a worker that stopped before sending it) is held too;
    one that may already be on its way is left to finish."""
    held: list[Post] = []
    for found in await _posts(uow, profile.id):
        if not any(_holdable(policy, tier, t) for t in found.targets.values()):
            continue
        post = await uow.posts.lock(found.id)
        if post is None:
            continue
        changed = False
        for t in post.targets.values():
            if _holdable(policy, tier, t):
                hold_target(t)
                changed = True
        if not changed:
            continue
        unschedule_if_idle(post)
        await uow.posts.save(post)
        held.append(post)
    return held


async def release(
    uow: UnitOfWork, profile: Profile, policy: Policy, tier: Tier, now: datetime
) -> Released:
    """Schedule the held targets `tier` reaches again at their own time. Those whose time
    passed meanwhile are not sent this late without asking, as after downtime
    (core.publishing.dispatch): a post that is all draft waits for its author to publish it
    now or delete it; a target of a post partly out fails with a Retry."""
    result = Released()
    # A paused queue's posts are held the same way; its resume releases them (core.planning).
    paused = await uow.planning.paused(profile.id)
    queued = frozenset(await uow.planning.queued(profile.id)) if paused else frozenset()
    for found in await _posts(uow, profile.id):
        if found.id in queued:
            continue
        if not any(_releasable(policy, tier, t) for t in found.targets.values()):
            continue
        post = await uow.posts.lock(found.id)
        if post is None:
            continue
        if post.state is PostState.DRAFT and (problems := await unfit(uow, post)):
            unhold(post)
            result.unfit.append((post, problems))
            await uow.posts.save(post)
            continue
        late: list[Target] = []
        for t in post.targets.values():
            if not _releasable(policy, tier, t):
                continue
            due = t.held_due
            assert due is not None
            if due > now:
                t.move_to(TargetState.SCHEDULED, due)
                post.scheduled_at = min(post.scheduled_at or due, due)
            else:
                late.append(t)
        if late and post.state is not PostState.DRAFT:
            for t in late:
                when = format_local(t.held_due or now, profile.timezone)
                t.move_to(TargetState.SCHEDULED, t.held_due)
                t.move_to(TargetState.FAILED)
                t.error = f"Not sent: it was due at {when}, while your plan had ended. " + (
                    "Tap Retry to send it now."
                )
            result.failed.append((post, late))
        elif late:
            for t in late:
                t.held_due = None
            result.late.append(post)
        else:
            result.scheduled.append(post)
        await uow.posts.save(post)
    return result


async def unfit(uow: UnitOfWork, post: Post) -> list[str]:
    """Why a held post may not go out as it was scheduled: what Publish and Schedule would
    refuse of it now (each network's limits, for its own version), and a change since its
    approval. Empty when it may be released."""
    problems: list[str] = []
    for t in post.ordered_targets():
        if t.held_due is not None:
            problems += limits.problems(t.network, post.text_for(t.network), post.media)
    setting = await uow.approvals.setting(post.profile_id)
    if setting is not None and setting.required:
        request = await uow.approvals.request(post.id)
        if (
            request is not None
            and request.status is Status.APPROVED
            and request.decided_at is not None
            and post.edited_at is not None
            and post.edited_at > request.decided_at
        ):
            problems.append("It was edited after it was approved: Schedule sends it for approval.")
    return problems


def unhold(post: Post) -> None:
    """A held post back to an ordinary draft, out of the queue's and the plan's hold."""
    for t in post.targets.values():
        t.held_due = None


def _holdable(policy: Policy, tier: Tier, t: Target) -> bool:
    if reachable(policy, tier, t):
        return False
    if t.state is TargetState.QUEUED:
        return t.attempts == 0  # claimed, never sent: nothing of it can be out
    return t.state is TargetState.SCHEDULED and not t.may_be_out


def _releasable(policy: Policy, tier: Tier, t: Target) -> bool:
    return t.state is TargetState.DRAFT and t.held_due is not None and reachable(policy, tier, t)


async def held_posts(uow: UnitOfWork, profile_id: int) -> list[Post]:
    """The profile's posts with a target held by a lapsed plan."""
    return [
        p
        for p in await _posts(uow, profile_id)
        if any(t.held_due is not None for t in p.targets.values())
    ]


async def _posts(uow: UnitOfWork, profile_id: int) -> list[Post]:
    found: list[Post] = []
    offset = 0
    while True:
        page, total = await uow.posts.list_for_profile(profile_id, offset=offset, limit=_PAGE)
        found += page
        offset += _PAGE
        if offset >= total or not page:
            return found
