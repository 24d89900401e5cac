"""Runs the Telegram front end in the bot's event loop: long polling, or our /telegram/webhook."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.error import InvalidToken

from adapters.telegram.application import TelegramApplication
from adapters.telegram.chat import TelegramChat
from adapters.telegram.messenger import TelegramMessenger
from adapters.telegram.stars import StarsUpdates
from bot.bootstrap import Services
from bot.settings import Settings
from core.chat.seen_updates import SeenUpdates

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What we handle; Telegram sends nothing else, so nothing else is fetched or queued. Payments
# arrive as pre_checkout_query and as messages (successful_payment, refunded_payment).
# chat_member: members leaving a team's group (Telegram sends it only when asked for here).
ALLOWED_UPDATES = (
    "message",
    "channel_post",
    "callback_query",
    "pre_checkout_query",
    "chat_member",
)
# Telegram's updates are a few kB; a bigger body is not one.
MAX_UPDATE_BYTES = 1_000_000
POLL_TIMEOUT = 30  # seconds a getUpdates call waits for news (long polling)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook's secret_token alphabet


def webhook_secret(settings: Settings) -> str:
    """POSTROOM_TELEGRAM_WEBHOOK_SECRET, or one derived from the bot token: the same in every
    process of one bot (each calls setWebhook on start), unguessable without the token."""
    if settings.telegram_webhook_secret is not None:
        secret = settings.telegram_webhook_secret.get_secret_value()
        if not _SECRET.fullmatch(secret):
            raise ValueError(
                "POSTROOM_TELEGRAM_WEBHOOK_SECRET must be 1–256 characters of A-Z, a-z, 0-9, "
                "_ and -"
            )
        return secret
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value().encode()
    digest = hmac.new(token, b"postroom telegram webhook secret", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class TelegramService:
    """Our handlers on the PTB Application bot.bootstrap built, started and stopped with the bot.

    Webhook mode when POSTROOM_PUBLIC_URL is set (the web app must be on), else long polling.
    """

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        wake: Callable[[], Awaitable[None]] | None = None,
        album_wait: Callable[[float], Awaitable[None]] | None = None,
        poll_timeout: int = POLL_TIMEOUT,
    ) -> None:
        if settings.telegram_token is None or services.telegram is None:
            raise ValueError("POSTROOM_TELEGRAM_TOKEN is not set")
        self.webhook_url: str | None = None
        if settings.public_url:
            if not settings.public_url.startswith("https://"):
                raise ValueError("POSTROOM_PUBLIC_URL must be an https:// URL (Telegram webhooks)")
            if not settings.http_port:
                raise ValueError(
                    "Telegram webhook mode (POSTROOM_PUBLIC_URL) needs the web app: "
                    "set POSTROOM_HTTP_PORT"
                )
            self.webhook_url = settings.public_url.rstrip("/") + WEBHOOK_PATH
        self._secret = webhook_secret(settings) if self.webhook_url else ""
        self._poll_timeout = poll_timeout
        # Built by bot.bootstrap (core's progress and digests send through the messenger).
        self.application: TelegramApplication = services.telegram.application
        self.messenger: TelegramMessenger = services.telegram.messenger
        self.chat = TelegramChat(
            services.postroom,
            self.messenger,
            media=services.media_host,
            after_update=wake,
            album_wait=album_wait,
            seen=SeenUpdates(services.uow, services.clock),
            stars=None if services.stars is None else StarsUpdates(services.stars),
        )
        self.chat.install(self.application)

    @property
    def routes(self) -> list[BaseRoute]:
        if self.webhook_url is None:
            return []
        return [Route(WEBHOOK_PATH, self.receive, methods=["POST"])]

    async def start(self) -> None:
        app = self.application
        try:
            await app.initialize()  # getMe: our @name
        except InvalidToken as e:
            raise ValueError(f"Telegram refused POSTROOM_TELEGRAM_TOKEN: {e.message}") from None
        await self.chat.setup()
        if self.webhook_url is not None:
            await app.bot.set_webhook(
                self.webhook_url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            await app.start()
            log.info("telegram: @%s receives updates at %s", app.bot.username, self.webhook_url)
            return
        await app.start()
        assert app.updater is not None
        # start_polling first removes any webhook: getUpdates fails while one is set (e.g.
        # after running in webhook mode).
        await app.updater.start_polling(
            timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        log.info("telegram: @%s polls for updates", app.bot.username)

    async def stop(self) -> None:
        """Stop taking updates, finish those in hand, close the connections. The webhook stays
        set, so Telegram keeps new updates (up to 24 h) until the next start."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await self.chat.drain()
        await app.shutdown()

    async def receive(self, request: Request) -> Response:
        """POST /telegram/webhook: Telegram's secret header, checked in constant time, or 403
        and nothing is read."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret.encode()):
            return Response(status_code=403)
        if not self.application.running:
            # Stopping: an update taken now would never be handled. Telegram re-sends it later.
            return Response(status_code=503)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("telegram webhook: a body that is not an update was refused")
            return Response(status_code=400)
        # Answer at once; the update is handled in the background (Telegram waits for no one
        # and re-sends what it got no 2xx for).
        await self.application.update_queue.put(update)
        return Response(status_code=200)
