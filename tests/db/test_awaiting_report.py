"""The operator's queue read counts posts awaiting approval as such, never as due work."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.ops import queue_report
from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, ChatRef, Identity, Network, Post, Route, Target, Tier
from core.states import TargetState
from tests.fakes.clock import FixedClock


async def test_awaiting_posts_are_counted_apart_and_not_due(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory, clock: FixedClock
) -> None:
    now = clock.now()
    async with uow_factory() as uow:
        profile = await uow.profiles.create(
            Identity(ChatPlatform.TELEGRAM, "ana"),
            tier=Tier.PRO,
            timezone="UTC",
            display_name="Ana",
            now=now,
        )
        for state in (TargetState.AWAITING_APPROVAL, TargetState.SCHEDULED):
            due = now - timedelta(minutes=5)
            targets = {
                n: Target(n, Route.AYRSHARE, state, due_at=due)
                for n in (Network.FACEBOOK, Network.LINKEDIN)
            }
            post = Post(0, profile.id, "Hi", (), now, ChatRef(ChatPlatform.TELEGRAM, "1"))
            post.targets = targets
            await uow.posts.add(post)
        await uow.commit()

    report = await queue_report(engine, now)

    assert report.posts == {"awaiting_approval": 1, "scheduled": 1}
    assert report.due == 2  # the scheduled post's two targets only
