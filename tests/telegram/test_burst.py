"""A burst of chats through the real Telegram front end on the real database: nothing lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import BaseRateLimiter

from adapters.db.cipher import generate_key_spec
from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.telegram import TelegramService
from core.handlers import OOPS
from tests.fakes.clock import FixedClock
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.telegram.driver import TelegramDriver, User

CHATS = 300


class Unpaced(BaseRateLimiter[int]):
    """Sends at once: this test is about the database, and Telegram's 30 messages/s would
    make 900 replies take 30 s (pacing has its own tests)."""

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        return await callback(*args, **kwargs)


def _minute(n: int) -> int:
    return (7 * 60 + 3 * n) % (24 * 60)  # a different time for most chats


@pytest.mark.timeout(180)
async def test_300_chats_setting_up_digests_at_once_lose_nothing(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    """Every chat sends /start, /digest on and /digest time HH:MM, all chats at once (the
    burst that made SQLite answer "database is locked" to a third of them): every command gets
    its real answer and every chat's digest time is saved."""
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": generate_key_spec("t1"),
            "telegram_token": TOKEN,
        }
    )
    fake = FakeTelegramAPI(flood_limit=None)  # unpaced on purpose, as above
    services = bootstrap(
        settings,
        clock=clock,
        telegram_transport=fake.transport(),
        telegram_rate_limiter=Unpaced(),
    )
    service = TelegramService(settings, services)
    await service.application.initialize()
    await service.chat.setup()
    tg = TelegramDriver(fake, service.application, service.chat)
    users = [User(5_000_000 + n, f"User{n}", f"user{n}") for n in range(CHATS)]

    async def one_chat(n: int, user: User) -> None:
        minute = _minute(n)
        for command in (
            "/start",
            "/digest on",
            f"/digest time {minute // 60:02d}:{minute % 60:02d}",
        ):
            await tg.say(command, user=user)

    try:
        await asyncio.gather(*(one_chat(n, user) for n, user in enumerate(users)))
    finally:
        await service.application.shutdown()
        await services.aclose()

    failed = [u.id for u in users if any(OOPS in m.text for m in fake.chat_messages(u.id))]
    assert failed == [], f"{len(failed)} of {CHATS} chats got the generic error reply"
    answered = [len(fake.chat_messages(u.id)) for u in users]
    assert answered == [3] * CHATS
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT chat, minute_of_day, enabled FROM digest_subscriptions")
            )
        ).all()
    saved = {chat: (minute, bool(enabled)) for chat, minute, enabled in rows}
    assert saved == {str(u.id): (_minute(n), True) for n, u in enumerate(users)}
