"""A plan that ends holds what it cannot reach, tells the owner once; renewal releases it.

Through the real graph (bot.bootstrap) on SQL, both databases: chat in, billing calls and the
scheduled pass, what the owner is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.billing.lifecycle import UnknownProfile
from core.errors import DomainError
from core.model import Network, Provider, Tier
from core.ports import UnitOfWorkFactory
from core.states import TargetState
from core.tiers import Plan
from tests.core.harness import VIDEO, Harness, find_button

DAY = timedelta(days=1)
PRO = Plan("pro", Tier.PRO, stars=250)


@pytest.fixture
async def h(uow_factory: UnitOfWorkFactory) -> Harness:
    return Harness(tier=Tier.FREE, uow=uow_factory)


async def ana_id(h: Harness) -> int:
    return (await h.accounts.profile_for(h.actor().identity)).id


async def on_pro(h: Harness, days: int = 30) -> int:
    """Ana on Pro through a 30-day operator grant, told so."""
    await h.say("/start")
    me = await ana_id(h)
    billing = h.services.billing
    assert billing is not None
    change = await billing.grant(me, Tier.PRO, days=days, reason="test")
    assert change.tier is Tier.PRO
    return me


def told(h: Harness) -> list[str]:
    """What the bot sent Ana unprompted (not answers to what she typed or tapped)."""
    return [reply.text for _, reply, _ in h.messenger.sent]


async def schedule(h: Harness, text: str, *networks: Network, when: str) -> int:
    await h.compose(text, *networks)
    reply = await h.say(f"/schedule {when}")
    assert "Scheduled" in reply.text, reply.text
    async with h.uow() as uow:
        post = await uow.posts.latest_draft(await ana_id(h))
        posts, _ = await uow.posts.list_for_profile(await ana_id(h), offset=0, limit=1)
    assert post is None
    return posts[0].id


async def targets(h: Harness, post_id: int) -> dict[Network, tuple[TargetState, bool]]:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return {n: (t.state, t.held_due is not None) for n, t in post.targets.items()}


async def test_lapse_holds_pro_only_posts_and_tells_once_renewal_releases(h: Harness) -> None:
    me = await on_pro(h)
    post_id = await schedule(h, "Launch", Network.LINKEDIN, Network.X, when="in 40d")
    assert await targets(h, post_id) == {
        Network.LINKEDIN: (TargetState.SCHEDULED, False),
        Network.X: (TargetState.SCHEDULED, False),
    }
    assert h.services.billing_pass is not None
    assert (await h.services.billing_pass.run()).lapsed == 0  # still Pro

    h.clock.advance(31 * DAY)  # the 30-day grant ran out
    before = len(h.messenger.sent)
    assert (await h.services.billing_pass.run()).lapsed == 1
    assert await targets(h, post_id) == {
        Network.LINKEDIN: (TargetState.DRAFT, True),
        Network.X: (TargetState.DRAFT, True),
    }
    notices = told(h)[before:]
    ended = [t for t in notices if "plan has ended" in t]
    assert len(ended) == 1 and f"#{post_id}" in ended[0] and "LinkedIn, X" in ended[0]
    renew = next(r for _, r, _ in h.messenger.sent if "plan has ended" in r.text)
    find_button(renew, "Renew")
    # Connections stay; the tier is Free; a second pass (another worker) does nothing.
    profile = await h.accounts.profile_for(h.actor().identity)
    assert profile.tier is Tier.FREE
    assert {Network.LINKEDIN, Network.X} <= profile.connected()
    count = len(h.messenger.sent)
    assert (await h.services.billing_pass.run()).lapsed == 0
    assert len(h.messenger.sent) == count

    # The pipeline does not send held targets when their time comes... (not due yet here)
    billing = h.services.billing
    assert billing is not None
    change = await billing.activate(
        me,
        provider=Provider.TELEGRAM_STARS,
        event_id="charge-1",
        plan=PRO,
        period_end=h.clock.now() + 30 * DAY,
        customer_id="ana",
        price_id=PRO.stars_price_id,
    )
    assert change.tier is Tier.PRO and [p.id for p in change.released.scheduled] == [post_id]
    assert await targets(h, post_id) == {
        Network.LINKEDIN: (TargetState.SCHEDULED, False),
        Network.X: (TargetState.SCHEDULED, False),
    }
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    assert post.targets[Network.LINKEDIN].due_at == post.created_at + 40 * DAY
    assert any(f"Scheduled again: #{post_id}" in t for t in told(h))
    # The same payment again (a replayed update) changes nothing and tells nothing.
    count = len(h.messenger.sent)
    again = await billing.activate(
        me,
        provider=Provider.TELEGRAM_STARS,
        event_id="charge-1",
        plan=PRO,
        period_end=h.clock.now() + 60 * DAY,
    )
    assert again.duplicate and again.standing.renews_at == h.clock.now() + 30 * DAY
    assert len(h.messenger.sent) == count


async def test_posts_that_fell_due_while_held_ask_first(h: Harness) -> None:
    me = await on_pro(h)
    held = await schedule(h, "Held news", Network.LINKEDIN, when="in 35d")
    h.clock.advance(31 * DAY)
    await h.services.billing_pass.run()  # type: ignore[union-attr]
    h.clock.advance(10 * DAY)  # past its time, still held
    await h.pipeline.run_until_idle()
    assert await targets(h, held) == {Network.LINKEDIN: (TargetState.DRAFT, True)}
    billing = h.services.billing
    assert billing is not None
    change = await billing.grant(me, Tier.PRO, days=30, reason="test")
    assert [p.id for p in change.released.late] == [held]
    assert await targets(h, held) == {Network.LINKEDIN: (TargetState.DRAFT, False)}
    late = [r for _, r, _ in h.messenger.sent if f"Post #{held} was due" in r.text]
    assert len(late) == 1
    # Publish now, from that message: it goes out.
    await h.tap(late[0], "Publish now")
    await h.pipeline.run_until_idle()
    assert await targets(h, held) == {Network.LINKEDIN: (TargetState.PUBLISHED, False)}


async def test_free_limits_apply_after_a_lapse_keeping_what_is_scheduled(h: Harness) -> None:
    await on_pro(h)
    await h.connect(Network.INSTAGRAM)
    # Pro reaches Instagram through Ayrshare: held too, since Free reaches it another way.
    ig = await schedule(h, f"Photo\nmedia: {VIDEO}", Network.INSTAGRAM, when="in 35d")
    h.clock.advance(31 * DAY)
    await h.services.billing_pass.run()  # type: ignore[union-attr]
    assert await targets(h, ig) == {Network.INSTAGRAM: (TargetState.DRAFT, True)}
    tier = await h.say("/tier")
    assert tier.text.startswith("You're on Free")


async def test_reminder_three_days_before_a_plan_that_does_not_renew_once(h: Harness) -> None:
    await on_pro(h, days=10)
    assert h.services.billing_pass is not None
    assert (await h.services.billing_pass.run()).reminded == 0  # 10 days out
    h.clock.advance(7 * DAY + timedelta(minutes=1))
    assert (await h.services.billing_pass.run()).reminded == 1
    assert (await h.services.billing_pass.run()).reminded == 0  # never twice
    h.clock.advance(timedelta(hours=1))
    assert (await h.services.billing_pass.run()).reminded == 0
    reminders = [r for _, r, _ in h.messenger.sent if "plan ends" in r.text]
    assert len(reminders) == 1
    assert "TikTok" in reminders[0].text
    find_button(reminders[0], "Renew")


async def test_a_renewing_subscription_gets_no_reminder(h: Harness) -> None:
    await h.say("/start")
    me = await ana_id(h)
    billing = h.services.billing
    assert billing is not None and h.services.billing_pass is not None
    await billing.activate(
        me,
        provider=Provider.STRIPE,
        event_id="evt_1",
        plan=PRO,
        period_end=h.clock.now() + 2 * DAY,
        subscription_id="sub_1",
    )
    assert (await h.services.billing_pass.run()).reminded == 0
    await billing.cancel(me, provider=Provider.STRIPE, event_id="evt_2")
    assert (await h.services.billing_pass.run()).reminded == 1


async def test_events_for_unknown_profiles_or_subscriptions_change_nothing(h: Harness) -> None:
    billing = h.services.billing
    assert billing is not None
    with pytest.raises(UnknownProfile):
        await billing.grant(4242, Tier.PRO, days=3, reason="x")
    await h.say("/start")
    me = await ana_id(h)
    with pytest.raises(DomainError):  # nothing to extend
        await billing.extend(
            me, provider=Provider.TELEGRAM_STARS, event_id="c2", period_end=h.clock.now()
        )
    with pytest.raises(DomainError):
        await billing.grant(me, Tier.PRO, days=0, reason="x")
    # The refused event was not remembered: it counts when it can apply.
    await billing.activate(
        me,
        provider=Provider.TELEGRAM_STARS,
        event_id="c1",
        plan=PRO,
        period_end=h.clock.now() + 30 * DAY,
    )
    change = await billing.extend(
        me, provider=Provider.TELEGRAM_STARS, event_id="c2", period_end=h.clock.now() + 60 * DAY
    )
    assert not change.duplicate and change.standing.renews_at == h.clock.now() + 60 * DAY


async def test_the_dispatcher_holds_an_ended_plans_targets_before_the_pass_runs(
    h: Harness,
) -> None:
    """The grant ends; the post falls due before any billing pass has applied that: it is
    held (not sent, not failed), the owner is told once, and renewal schedules it again."""
    me = await on_pro(h)
    post_id = await schedule(h, "Launch", Network.LINKEDIN, Network.X, when="in 31d")
    h.clock.advance(31 * DAY)  # due now; the 30-day grant ended a day ago
    before = len(h.messenger.sent)
    await h.pipeline.run_until_idle()
    assert await targets(h, post_id) == {
        Network.LINKEDIN: (TargetState.DRAFT, True),
        Network.X: (TargetState.DRAFT, True),
    }
    ended = [t for t in told(h)[before:] if "plan has ended" in t]
    assert len(ended) == 1 and f"#{post_id}" in ended[0], told(h)[before:]
    assert (await h.accounts.profile_for(h.actor().identity)).tier is Tier.FREE
    assert h.services.billing_pass is not None
    assert (await h.services.billing_pass.run()).lapsed == 0  # applied already
    await h.pipeline.run_until_idle()
    assert len([t for t in told(h) if "plan has ended" in t]) == 1
    billing = h.services.billing
    assert billing is not None
    change = await billing.grant(me, Tier.PRO, days=30, reason="test")
    assert [p.id for p in change.released.late] == [post_id]  # its time passed: ask first


async def test_a_target_a_stopped_worker_had_claimed_is_held_too(
    h: Harness, engine: AsyncEngine
) -> None:
    await on_pro(h)
    post_id = await schedule(h, "Queued", Network.LINKEDIN, when="in 40d")
    # A worker claimed it and stopped before sending (its lease runs for another minute).
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE targets SET state = 'queued', locked_by = 'gone-worker', "
                "locked_until = :until WHERE post_id = :post"
            ),
            {"until": (h.clock.now() + 31 * DAY).replace(tzinfo=None), "post": post_id},
        )
    h.clock.advance(31 * DAY)
    assert h.services.billing_pass is not None
    assert (await h.services.billing_pass.run()).lapsed == 1
    assert await targets(h, post_id) == {Network.LINKEDIN: (TargetState.DRAFT, True)}
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None and post.targets[Network.LINKEDIN].locked_by is None


async def test_the_billing_pass_reads_every_page(h: Harness) -> None:
    """More profiles than one page (100) end their plan and get their reminder in one pass."""
    billing, billing_pass = h.services.billing, h.services.billing_pass
    assert billing is not None and billing_pass is not None
    users = [f"user{n:03d}" for n in range(105)]
    for user in users:
        await h.say("/start", user)
        profile = await h.accounts.profile_for(h.actor(user).identity)
        await billing.grant(profile.id, Tier.PRO, days=2, reason="test")
    assert (await billing_pass.run()).reminded == len(users)
    h.clock.advance(3 * DAY)
    assert (await billing_pass.run()).lapsed == len(users)
    for user in (users[0], users[-1]):
        assert (await h.accounts.profile_for(h.actor(user).identity)).tier is Tier.FREE


async def test_analytics_cadence_drops_to_frees_after_a_lapse(h: Harness) -> None:
    me = await on_pro(h)
    await h.compose("Measured", Network.LINKEDIN)
    published = await h.tap(h.messenger.sent[-1][1], "Publish now")
    assert published is not None
    await h.pipeline.run_until_idle()
    analytics = h.services.analytics
    assert analytics is not None
    await analytics.sync.sweep()

    async def next_sync() -> timedelta:
        async with h.uow() as uow:
            (item,) = await uow.analytics.items(me, include_hidden=True)
        assert item.next_sync_at is not None
        return item.next_sync_at - h.clock.now()

    assert await next_sync() == timedelta(hours=1)  # Pro: hourly
    h.clock.advance(31 * DAY)  # the grant ran out
    assert h.services.billing_pass is not None
    assert (await h.services.billing_pass.run()).lapsed == 1
    await analytics.sync.sweep()
    assert await next_sync() == timedelta(hours=24)  # Free: daily


async def test_an_upgrade_holds_nothing_free_scheduled(h: Harness) -> None:
    """Instagram scheduled on Free (its own Instagram login) stays scheduled through an
    upgrade, and goes out on the route it was scheduled with."""
    await h.say("/start")
    await h.connect(Network.INSTAGRAM)
    post_id = await schedule(h, f"Photo\nmedia: {VIDEO}", Network.INSTAGRAM, when="in 5d")
    billing = h.services.billing
    assert billing is not None
    change = await billing.grant(await ana_id(h), Tier.PRO, days=30, reason="test")
    assert change.tier is Tier.PRO and change.held == []
    assert await targets(h, post_id) == {Network.INSTAGRAM: (TargetState.SCHEDULED, False)}
    h.clock.advance(5 * DAY)
    await h.pipeline.run_until_idle()
    assert await targets(h, post_id) == {Network.INSTAGRAM: (TargetState.PUBLISHED, False)}
