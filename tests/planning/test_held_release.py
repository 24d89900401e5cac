"""Releasing a held post (/queue resume, a renewal) checks what Publish and Schedule would:
each network's limits and, in a team, an approval the post no longer matches (review
findings 1 and 2). The held post is changed in storage here, as a path that bypassed the
edit refusal (or an older row) would leave it."""

from __future__ import annotations

from datetime import timedelta

from core.model import Network, Post, Tier
from core.ports import UnitOfWorkFactory
from core.states import PostState
from tests.core.harness import Harness
from tests.core.teams_world import TeamHarness
from tests.core.test_approvals import cards, ready

X = Network.X


async def get(h: Harness, post_id: int) -> Post:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


async def rewrite(h: Harness, post_id: int, text: str) -> None:
    async with h.uow() as uow:
        post = await uow.posts.lock(post_id)
        assert post is not None
        post.text = text
        post.edited_at = h.clock.now() + timedelta(seconds=1)
        await uow.posts.save(post)
        await uow.commit()


async def test_resume_does_not_schedule_a_held_post_over_a_networks_limit(h: Harness) -> None:
    await h.connect(X)
    await h.say("/slots add mon 09:00")
    composer = await h.say("/post Short")
    await h.tap(composer, "Add to queue")
    await h.say("/queue pause")
    await rewrite(h, 1, "y" * 400)  # X takes 280
    before = len(h.messenger.sent)
    resumed = await h.say("/queue resume")
    assert "Not scheduled again, as they no longer fit" in resumed.text, resumed.text
    post = await get(h, 1)
    assert post.state is PostState.DRAFT
    assert all(t.held_due is None for t in post.targets.values())
    told = [r.text for _, r, _ in h.messenger.sent[before:] if "Post #1 was held" in r.text]
    assert told and "280" in told[0], told
    listing = await h.say("/queue")
    assert "#1" not in listing.text, listing.text
    again = await h.say("/queue resume")  # repeated: nothing held any more
    assert "not paused" in again.text, again.text


async def test_renewal_does_not_release_a_post_changed_since_its_approval(
    uow_factory: UnitOfWorkFactory,
) -> None:
    t = TeamHarness(Harness(tier=Tier.FREE, uow=uow_factory))
    team = await ready(t)
    billing = t.h.services.billing
    assert billing is not None and t.h.services.billing_pass is not None
    await billing.grant(team.profile_id, Tier.PRO, days=30, reason="test")
    composer = await t.say("/post Approved words", "ben")
    scheduled = await t.say("/schedule in 40d", "ben")
    assert "approval" in scheduled.text.lower(), scheduled.text
    await t.tap(cards(t)[-1], "Approve", "ana")
    post = await get(t.h, 1)
    assert post.state is PostState.SCHEDULED, composer.text
    t.h.clock.advance(timedelta(days=31))
    assert (await t.h.services.billing_pass.run()).lapsed == 1
    post = await get(t.h, 1)
    assert all(x.held_due is not None for x in post.targets.values())
    refused = await t.say("/edit #1 Words nobody approved", "ben")
    assert "is held until your plan is renewed" in refused.text, refused.text
    await rewrite(t.h, 1, "Words nobody approved")
    change = await billing.grant(team.profile_id, Tier.PRO, days=30, reason="test")
    assert [p.id for p, _ in change.released.unfit] == [1]
    assert not change.released.scheduled
    post = await get(t.h, 1)
    assert post.state is PostState.DRAFT
    assert all(x.held_due is None for x in post.targets.values())
    told = [r.text for _, r, _ in t.h.messenger.sent if "Post #1 was held" in r.text]
    assert told and "edited after it was approved" in told[0], told
