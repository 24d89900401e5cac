"""Digest subscriptions keep their chat's kind; migration 0005 gives the rows made before it
the kind their ids show (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.migrate import downgrade, upgrade
from adapters.db.uow import SqlUnitOfWorkFactory
from core.digest_schedule import DigestSubscription
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Tier

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ANA = Identity(ChatPlatform.TELEGRAM, "1111111")


async def test_subscriptions_keep_their_kind_and_old_rows_get_theirs(
    engine: AsyncEngine, uow_factory: SqlUnitOfWorkFactory
) -> None:
    chats = {
        "1111111": ChatKind.PRIVATE,  # Ana's own chat with the bot
        "-1001234567890": ChatKind.SHARED,  # a group
        "-1009876543210": ChatKind.CHANNEL,
        "2222222": ChatKind.PRIVATE,  # kept as stored, though not one of her identities
    }
    async with uow_factory() as uow:
        ana = await uow.profiles.create(
            ANA, tier=Tier.FREE, timezone="UTC", display_name="Ana", now=NOW
        )
        for chat, kind in chats.items():
            ref = ChatRef(ChatPlatform.TELEGRAM, chat, kind=kind)
            await uow.digests.save(DigestSubscription(0, ana.id, ref, NOW))
        await uow.commit()
    async with uow_factory() as uow:
        stored = {s.chat.chat: s.chat.kind for s in await uow.digests.for_profile(ana.id)}
    assert stored == chats

    # Rows from before the column: private only where the chat is one of the profile's own
    # identities (a Telegram group or channel id is negative); anything else shows nothing
    # private.
    await downgrade(engine, "0004_links")
    await upgrade(engine)
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT chat, chat_kind FROM digest_subscriptions"))
        backfilled = {chat: kind for chat, kind in rows}
    assert backfilled == {
        "1111111": "private",
        "-1001234567890": "shared",
        "-1009876543210": "shared",
        "2222222": "shared",
    }
