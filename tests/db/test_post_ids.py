"""Post numbers are never handed out twice, and lists can be limited to the chat they were
made in; on the write-side fake and both SQL databases alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.migrate import downgrade, upgrade
from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import (
    ChatKind,
    ChatPlatform,
    ChatRef,
    Identity,
    Network,
    Post,
    Route,
    Target,
    Tier,
)
from core.ports import UnitOfWorkFactory
from tests.db.old_rows import old_draft, old_post_texts
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANA = Identity(ChatPlatform.TELEGRAM, "1111111")
PRIVATE = ChatRef(ChatPlatform.TELEGRAM, "1111111", kind=ChatKind.PRIVATE)
GROUP = ChatRef(ChatPlatform.TELEGRAM, "-1001234567890")


@pytest.fixture(params=["memory", "sql"])
def uow(request: pytest.FixtureRequest) -> UnitOfWorkFactory:
    if request.param == "memory":
        return InMemoryUnitOfWorkFactory()
    return cast(UnitOfWorkFactory, request.getfixturevalue("uow_factory"))


def draft(profile_id: int, origin: ChatRef = PRIVATE, text: str = "Hello") -> Post:
    targets = {Network.X: Target(Network.X, Route.AYRSHARE)}
    return Post(0, profile_id, text, (), NOW, origin, targets=targets)


async def add(uow: UnitOfWorkFactory, post: Post) -> Post:
    async with uow() as u:
        post = await u.posts.add(post)
        await u.commit()
    return post


async def profile_id(uow: UnitOfWorkFactory) -> int:
    async with uow() as u:
        profile = await u.profiles.create(
            ANA, tier=Tier.FREE, timezone="UTC", display_name="Ana", now=NOW
        )
        await u.commit()
    return profile.id


async def test_deleting_the_newest_post_does_not_free_its_number(uow: UnitOfWorkFactory) -> None:
    me = await profile_id(uow)
    first = await add(uow, draft(me))
    newest = await add(uow, draft(me))
    async with uow() as u:
        await u.posts.delete(newest.id)
        await u.commit()
    again = await add(uow, draft(me))
    assert again.id > newest.id > first.id
    async with uow() as u:
        await u.posts.delete(first.id)
        await u.posts.delete(again.id)
        await u.commit()
    assert (await add(uow, draft(me))).id > again.id


async def test_lists_and_latest_draft_can_keep_to_one_chat(uow: UnitOfWorkFactory) -> None:
    me = await profile_id(uow)
    mine = await add(uow, draft(me, PRIVATE, "private plans"))
    here = await add(uow, draft(me, GROUP, "for the team"))
    private_again = await add(uow, draft(me, PRIVATE, "newest, private"))
    async with uow() as u:
        everything, total = await u.posts.list_for_profile(me, offset=0, limit=10)
        in_group, in_group_total = await u.posts.list_for_profile(
            me, offset=0, limit=10, origin=GROUP
        )
        assert (await u.posts.latest_draft(me)) == private_again
        assert (await u.posts.latest_draft(me, GROUP)) == here
        assert await u.posts.latest_draft(me, ChatRef(ChatPlatform.TELEGRAM, "-1009")) is None
    assert ([p.id for p in everything], total) == ([private_again.id, here.id, mine.id], 3)
    assert ([p.id for p in in_group], in_group_total) == ([here.id], 1)


async def _old_post(engine: AsyncEngine, me: int, body: str) -> Post:
    return replace(draft(me, text=body), id=await old_draft(engine, me, body, NOW, PRIVATE.chat))


async def test_upgrading_an_existing_sqlite_database_keeps_every_row(tmp_path: Path) -> None:
    """0003 rebuilds posts on SQLite: nothing that refers to a post (targets, with ON DELETE
    CASCADE) may be lost, and afterwards a deleted newest post's number stays used."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}")
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"k": b"k" * 32}))
    try:
        await upgrade(engine, "0002_analytics")
        me = await profile_id(uow)
        kept = await _old_post(engine, me, "kept")
        newest = await _old_post(engine, me, "newest")
        await upgrade(engine)
        async with uow() as u:
            assert await u.posts.get(kept.id) == kept
            assert await u.posts.get(newest.id) == newest
            await u.posts.delete(newest.id)
            await u.commit()
        assert (await add(uow, draft(me))).id > newest.id
        async with engine.connect() as connection:
            on = await connection.execute(text("PRAGMA foreign_keys"))
            assert on.scalar() == 1  # the pooled connection got its foreign keys back
        await downgrade(engine, "0002_analytics")
        assert await old_post_texts(engine, kept.id) == [("kept", "x")]
    finally:
        await engine.dispose()
