"""Posts waiting for approval hold their slot and count against the plan (review 19 M3, M4)."""

from __future__ import annotations

from adapters.db.uow import SqlUnitOfWorkFactory
from core.actions import Action
from core.model import Connection, ConnectionStatus, Network, Post, Tier
from core.policy import Policy
from core.states import PostState
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness, member

FB = Network.FACEBOOK


async def _ready(uow_factory: SqlUnitOfWorkFactory, policy: Policy | None = None) -> TeamHarness:
    t = TeamHarness(Harness(uow=uow_factory, policy=policy))
    team = await t.three()
    async with t.h.uow() as uow:
        profile = await uow.profiles.get(team.profile_id)
        assert profile is not None
        profile.connections[FB] = Connection(FB, ConnectionStatus.CONNECTED, FB.label)
        await uow.profiles.save(profile)
        await uow.commit()
    await t.say("/approvals on")
    return t


async def _posts(t: TeamHarness) -> list[Post]:
    team = await t.team()
    async with t.h.uow() as uow:
        found = await uow.posts.recent(team.profile_id, origin=None, limit=100)
    return sorted(found, key=lambda p: p.id)


async def _approve(t: TeamHarness, post: Post) -> str:
    async with t.h.uow() as uow:
        request = await uow.approvals.request(post.id)
    assert request is not None
    for _, reply, _ref in reversed(t.h.messenger.sent):
        for row in reply.buttons:
            for b in row:
                if b.action is Action.APPROVE and b.arg == f"{post.id}:{request.round}":
                    answer = await t.h.app.handle_tap(member("ana"), b.callback_data, None)
                    return answer.toast + answer.text
    raise AssertionError("no card")


async def test_add_to_queue_under_approvals_takes_the_next_free_slot(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    t = await _ready(uow_factory)
    await t.say("/slots add mon 09:00")
    one = await t.say("/post First", "ben")
    await t.tap(one, "Add to queue", "ben")
    two = await t.say("/post Second", "ben")
    await t.tap(two, "Add to queue", "ben")
    first, second = await _posts(t)
    assert first.state is second.state is PostState.AWAITING_APPROVAL
    assert first.scheduled_at is not None and second.scheduled_at is not None
    assert (second.scheduled_at - first.scheduled_at).days == 7


async def test_waiting_posts_count_against_max_scheduled(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    t = await _ready(uow_factory, Policy.default().with_limits(Tier.PRO, max_scheduled=1))
    await t.say("/post Number one", "ben")
    await t.say("/schedule 2026-12-20 09:00", "ben")
    await t.say("/post Number two", "ben")
    refused = await t.say("/schedule 2026-12-21 09:00", "ben")
    assert "limit is 1" in refused.text, refused.text
    first, second = await _posts(t)
    assert first.state is PostState.AWAITING_APPROVAL and second.state is PostState.DRAFT
    assert "Approved" in await _approve(t, first)
    assert [p.state for p in await _posts(t)] == [PostState.SCHEDULED, PostState.DRAFT]


async def test_approve_checks_the_scheduled_limit_again(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    t = await _ready(uow_factory, Policy.default().with_limits(Tier.PRO, max_scheduled=2))
    for n in (1, 2):
        await t.say(f"/post Number {n}", "ben")
        await t.say(f"/schedule 2026-12-2{n} 09:00", "ben")
    first, second = await _posts(t)
    assert first.state is second.state is PostState.AWAITING_APPROVAL
    # The plan's limit shrinks while both wait (a new release's limits, same database).
    later = TeamHarness(
        Harness(uow=uow_factory, policy=Policy.default().with_limits(Tier.PRO, max_scheduled=1))
    )
    later.h.messenger.sent.extend(t.h.messenger.sent)
    said = await _approve(later, first)
    assert "limit is 1" in said, said
    assert [p.state for p in await _posts(t)] == [PostState.AWAITING_APPROVAL] * 2
