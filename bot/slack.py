"""The Slack front end on the bot's loop: /slack/events or Socket Mode, one or many workspaces."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.db.cipher import Keyring
from adapters.slack.admins import SlackChatAdmins
from adapters.slack.app import SlackChat
from adapters.slack.limiter import ChannelPace, retry_handlers
from adapters.slack.messenger import SlackMessenger
from adapters.slack.workspaces import INSTALL_PATH, REDIRECT_PATH, WorkspaceTokens
from bot.bootstrap import Services
from bot.settings import Settings
from bot.slack_oauth import (
    check_slack,
    installation_store,
    many_workspaces,
    oauth_settings,
    rotator,
)
from core.chat.seen_updates import SeenUpdates
from core.model import ChatPlatform

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's event and interaction payloads are a few kB (a message's text is at most 40,000
# characters); a bigger body is not one of them.
MAX_REQUEST_BYTES = 256_000


def slack_messenger(
    settings: Settings,
    pace: ChannelPace | None = None,
    *,
    engine: AsyncEngine | None = None,
    keyring: Keyring | None = None,
) -> SlackMessenger:
    """The Web API client (base URL from settings, 429s waited out) and its messenger: with
    the one bot token, or (many workspaces) each workspace's from the installations."""
    pace = pace or ChannelPace()
    token = settings.slack_bot_token
    client = AsyncWebClient(
        token=None if token is None else token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(pace.sleep),
        session=shared_session(),
    )
    tokens = None
    if token is None:
        tokens = WorkspaceTokens(
            installation_store(settings, engine, keyring), rotator(settings, client)
        )
    return SlackMessenger(client, pace, tokens)


def shared_session() -> aiohttp.ClientSession | None:
    """One aiohttp session (one connection pool) for every Slack Web API call: bolt's
    per-request clients, the messenger, uploads, token rotation and the OAuth exchange
    reuse it (slack_sdk makes and closes a session per call without one). The messenger
    closes it (`Services.aclose`). aiohttp binds a session to the running loop; built
    outside one (no Slack I/O can happen there), slack_sdk's per-call sessions remain."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return aiohttp.ClientSession()


class SlackService:
    """The bolt app over the messenger bot.bootstrap built; `routes` go into the web app."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        wake: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        check_slack(settings)
        assert settings.slack_signing_secret is not None
        messenger = services.messengers.get(ChatPlatform.SLACK)
        if not isinstance(messenger, SlackMessenger):
            raise ValueError("the Slack messenger was not built (bot.bootstrap)")
        self.messenger = messenger
        services.postroom.add_chat_admins(ChatPlatform.SLACK, SlackChatAdmins(messenger))
        self.many = many_workspaces(settings)
        oauth = None
        if self.many:
            assert messenger.tokens is not None
            oauth = oauth_settings(
                settings, messenger.tokens, services.engine, services.clock, messenger.client
            )
        self.chat = SlackChat(
            services.postroom,
            messenger,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            seen=SeenUpdates(services.uow, services.clock),
            media=services.media_host,
            after_update=wake,
            oauth_settings=oauth,
        )
        self._handler = AsyncSlackRequestHandler(self.chat.app)
        # Socket Mode (https://api.slack.com/apis/socket-mode): the bot dials out to Slack over
        # a WebSocket (aiohttp, on this loop) instead of Slack calling /slack/events.
        self.socket: AsyncSocketModeHandler | None = None
        if settings.slack_app_token is not None:
            self.socket = AsyncSocketModeHandler(
                self.chat.app, settings.slack_app_token.get_secret_value()
            )

    @property
    def routes(self) -> list[BaseRoute]:
        # Events, slash commands and interactivity all arrive here (docs/slack-manifest.yaml),
        # unless they come over Socket Mode; the install pages are plain browser GETs.
        routes: list[BaseRoute] = []
        if self.socket is None:
            routes.append(Route(EVENTS_PATH, self.receive, methods=["POST"]))
        if self.many:
            routes += [
                Route(p, self.install, methods=["GET"]) for p in (INSTALL_PATH, REDIRECT_PATH)
            ]
        return routes

    async def start(self) -> None:
        where = "Socket Mode" if self.socket is not None else EVENTS_PATH
        if self.many:
            log.info("slack: workspaces install at %s; requests at %s", INSTALL_PATH, where)
        else:
            try:
                me = await self.chat.setup()
            except SlackApiError as e:
                raise ValueError(
                    f"Slack refused POSTROOM_SLACK_BOT_TOKEN: {e.response.get('error')}"
                ) from None
            who, team = me.get("user"), me.get("team")
            log.info("slack: %s in %s receives requests at %s", who, team, where)
        if self.socket is not None:
            try:
                await self.socket.connect_async()  # type: ignore[no-untyped-call]
            except SlackApiError as e:
                raise ValueError(
                    f"Slack refused POSTROOM_SLACK_APP_TOKEN: {e.response.get('error')}"
                ) from None

    async def stop(self) -> None:
        if self.socket is not None:
            # No new requests; those already acked finish below.
            await self.socket.close_async()  # type: ignore[no-untyped-call]
        await self.chat.drain()

    async def install(self, request: Request) -> Response:
        """GET /slack/install and /slack/oauth_redirect: bolt's OAuth flow (the state is
        single-use and expires in 10 minutes; a bad one installs nothing)."""
        return await self._handler.handle(request)

    async def receive(self, request: Request) -> Response:
        """POST /slack/events: refused unsigned, stale or forged by bolt (401) before anything
        is read into core; oversize or unreadable bodies get a 4xx."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_REQUEST_BYTES:
            return Response(status_code=413)
        body = await request.body()
        if len(body) > MAX_REQUEST_BYTES:
            return Response(status_code=413)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return Response(status_code=400)
        try:
            return await self._handler.handle(request)
        except Exception as e:
            # A signed body bolt cannot parse: Slack sends no such thing.
            log.warning("slack: a request bolt could not read was refused (%s)", type(e).__name__)
            return Response(status_code=400)
