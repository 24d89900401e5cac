"""Following a group's migration in storage: posts and progress messages move to the new chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.digest_schedule import DigestSubscription
from core.model import ChatPlatform, ChatRef, Identity, MessageRef, Post, Tier
from core.ports import UnitOfWorkFactory
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
OLD = ChatRef(ChatPlatform.TELEGRAM, "-4098765432")
NEW = ChatRef(ChatPlatform.TELEGRAM, "-1009876543210")
OTHER = ChatRef(ChatPlatform.TELEGRAM, "1111111")


async def _post(uow_factory: UnitOfWorkFactory, origin: ChatRef, progress: bool) -> int:
    async with uow_factory() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, "1111111"))
        if profile is None:
            profile = await uow.profiles.create(
                Identity(ChatPlatform.TELEGRAM, "1111111"),
                tier=Tier.PRO,
                timezone="UTC",
                display_name="Ana",
                now=NOW,
            )
        post = Post(
            id=0,
            profile_id=profile.id,
            text="hello",
            media=(),
            created_at=NOW,
            origin=origin,
            progress=MessageRef(origin, "105") if progress else None,
        )
        added = await uow.posts.add(post)
        await uow.commit()
        return added.id


async def _check_move(uow_factory: UnitOfWorkFactory) -> None:
    moved_a = await _post(uow_factory, OLD, progress=True)
    moved_b = await _post(uow_factory, OLD, progress=False)
    stays = await _post(uow_factory, OTHER, progress=True)
    async with uow_factory() as uow:
        assert await uow.posts.move_chat(OLD, NEW) == 2
        await uow.commit()
    async with uow_factory() as uow:
        a, b, c = [await uow.posts.get(i) for i in (moved_a, moved_b, stays)]
        assert await uow.posts.move_chat(OLD, NEW) == 0  # done once is done
    assert a is not None and b is not None and c is not None
    assert a.origin == b.origin == NEW
    assert a.progress == MessageRef(NEW, "105") and b.progress is None
    assert c.origin == OTHER and c.progress == MessageRef(OTHER, "105")


async def test_sql_repository_moves_a_chats_posts(uow_factory: SqlUnitOfWorkFactory) -> None:
    await _check_move(uow_factory)


async def test_memory_repository_moves_a_chats_posts() -> None:
    await _check_move(InMemoryUnitOfWorkFactory())


async def test_a_chat_cannot_move_to_another_platform(uow_factory: SqlUnitOfWorkFactory) -> None:
    for factory in (uow_factory, InMemoryUnitOfWorkFactory()):
        async with factory() as uow:
            with pytest.raises(ValueError):
                await uow.posts.move_chat(OLD, ChatRef(ChatPlatform.SLACK, "C1", "T1"))


async def _check_digest_follows(uow_factory: UnitOfWorkFactory) -> None:
    await _post(uow_factory, OTHER, progress=False)  # creates the profile
    async with uow_factory() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, "1111111"))
        assert profile is not None
        group = await uow.digests.save(DigestSubscription(0, profile.id, OLD, NOW))
        private = await uow.digests.save(DigestSubscription(0, profile.id, OTHER, NOW))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.digests.move_chat(OLD, NEW) == 1
        await uow.commit()
    async with uow_factory() as uow:
        moved, stayed = await uow.digests.get(group.id), await uow.digests.get(private.id)
    assert moved is not None and moved.chat == NEW
    assert stayed is not None and stayed.chat == OTHER


async def test_sql_digest_subscriptions_follow_the_chat(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await _check_digest_follows(uow_factory)
