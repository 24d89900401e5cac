"""Profile numbers are never handed out twice (/forget deletes profiles), and the SQLite
rebuild that makes it so (migration 0010) keeps every row that refers to a profile."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.migrate import downgrade, upgrade
from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, ChatRef, Identity, Network, Post, Route, Target, Tier
from tests.db.old_rows import old_draft, old_post_texts

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def _profile(uow: SqlUnitOfWorkFactory, user: str) -> int:
    async with uow() as u:
        profile = await u.profiles.create(
            Identity(ChatPlatform.TELEGRAM, user),
            tier=Tier.FREE,
            timezone="UTC",
            display_name=user,
            now=NOW,
        )
        await u.commit()
    return profile.id


def _draft_of(profile_id: int) -> Post:
    targets = {Network.X: Target(Network.X, Route.AYRSHARE)}
    chat = ChatRef(ChatPlatform.TELEGRAM, "1")
    return Post(0, profile_id, "Hello", (), NOW, chat, targets=targets)


async def test_a_deleted_newest_profile_keeps_its_number(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    await _profile(uow_factory, "1")
    newest = await _profile(uow_factory, "2")
    async with uow_factory() as u:
        await u.profiles.delete(newest)
        await u.commit()
    assert await _profile(uow_factory, "2") > newest


async def test_upgrading_an_existing_sqlite_database_keeps_every_row(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}")
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"k": b"k" * 32}))
    try:
        await upgrade(engine, "0009_instagram_login")
        kept = await _profile(uow, "1")
        newest = await _profile(uow, "2")
        # Written as 0009 had it: the models describe the newest schema.
        post_id = await old_draft(engine, kept, "Hello", NOW, "1")
        post = replace(_draft_of(kept), id=post_id)
        await upgrade(engine)
        async with uow() as u:
            assert (await u.profiles.get(kept)) is not None
            assert await u.profiles.identities(kept) == [Identity(ChatPlatform.TELEGRAM, "1")]
            assert await u.posts.get(post.id) == post  # ON DELETE CASCADE did not fire
            await u.profiles.delete(newest)
            await u.commit()
        assert await _profile(uow, "3") > newest
        await downgrade(engine, "0009_instagram_login")
        assert await old_post_texts(engine, post.id) == [("Hello", "x")]
    finally:
        await engine.dispose()
