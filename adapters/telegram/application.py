"""Builds the PTB Application: HTTP transport, rate limiter and per-chat update ordering."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable
from typing import Any

import httpx
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, BaseUpdateProcessor
from telegram.request import HTTPXRequest

from adapters.telegram.limiter import TelegramRateLimiter
from core.log_context import tag_logs

DEFAULT_API_URL = "https://api.telegram.org/bot"

# httpx logs every request's URL at INFO, and Bot API URLs carry the bot token.
logging.getLogger("httpx").setLevel(logging.WARNING)

TelegramApplication = Application[Any, Any, Any, Any, Any, Any]


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates from different chats run concurrently; one chat's run in arrival order, so a
    tap never overtakes the message it answers and one slow upload holds up no one else."""

    def __init__(self, max_concurrent_updates: int = 64) -> None:
        super().__init__(max_concurrent_updates)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock and how many use it

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if isinstance(update, Update):
            tag_logs(update_id=update.update_id)  # each update runs in a task of its own
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._chats.get(chat.id, (asyncio.Lock(), 0))
        self._chats[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._chats[chat.id]
            if users <= 1:
                del self._chats[chat.id]  # idle chats hold no memory
            else:
                self._chats[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def file_url(api_url: str) -> str | None:
    """The file download base for a Bot API base ending in /bot (e.g. a local Bot API
    server), or None for PTB's default."""
    if api_url.rstrip("/").endswith("/bot"):
        return api_url.rstrip("/")[: -len("/bot")] + "/file/bot"
    return None


def build_application(
    token: str,
    *,
    api_url: str = DEFAULT_API_URL,
    polling: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    rate_limiter: BaseRateLimiter[Any] | None = None,
    concurrent_updates: int = 64,
    ssl_context: ssl.SSLContext | None = None,
) -> TelegramApplication:
    """A PTB Application that we start and stop ourselves (never `run_polling`).

    Without `polling` it has no Updater: updates arrive through our own webhook route.
    `transport` replaces the network (tests pass an ASGI transport to a fake Bot API).
    """
    httpx_kwargs: dict[str, Any] = {} if transport is None else {"transport": transport}
    if ssl_context is not None:
        # One context for all clients: each loads the CA bundle anew, ~1 MB apiece.
        httpx_kwargs["verify"] = ssl_context

    def request(pool: int) -> HTTPXRequest:
        return HTTPXRequest(
            connection_pool_size=pool,
            read_timeout=15.0,
            media_write_timeout=60.0,
            httpx_kwargs=httpx_kwargs,
        )

    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(api_url)
        .request(request(concurrent_updates + 8))
        .get_updates_request(request(1))
        .rate_limiter(rate_limiter or TelegramRateLimiter())
        .concurrent_updates(ChatOrderedProcessor(concurrent_updates))
    )
    files = file_url(api_url)
    if files is not None:
        builder = builder.base_file_url(files)
    if not polling:
        builder = builder.updater(None)
    return builder.build()
