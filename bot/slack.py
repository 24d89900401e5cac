"""Runs the Slack front end (one workspace, HTTP mode) in the bot's event loop at /slack/events."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from adapters.slack.app import SlackChat
from adapters.slack.limiter import ChannelPace, retry_handlers
from adapters.slack.messenger import SlackMessenger
from bot.bootstrap import Services
from bot.settings import Settings
from core.model import ChatPlatform

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's event and interaction payloads are a few kB (a message's text is at most 40,000
# characters); a bigger body is not one of them.
MAX_REQUEST_BYTES = 256_000


def slack_messenger(settings: Settings, pace: ChannelPace | None = None) -> SlackMessenger:
    """The Web API client (base URL from settings, 429s waited out) and its messenger."""
    assert settings.slack_bot_token is not None
    pace = pace or ChannelPace()
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        retry_handlers=retry_handlers(pace.sleep),
    )
    return SlackMessenger(client, pace)


class SlackService:
    """The bolt app over the messenger bot.bootstrap built; `routes` go into the web app."""

    def __init__(
        self,
        settings: Settings,
        services: Services,
        *,
        wake: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if settings.slack_bot_token is None or settings.slack_signing_secret is None:
            raise ValueError(
                "Slack needs both POSTROOM_SLACK_BOT_TOKEN and POSTROOM_SLACK_SIGNING_SECRET"
            )
        if not settings.http_port:
            raise ValueError("Slack's HTTP mode needs the web app: set POSTROOM_HTTP_PORT")
        messenger = services.messengers.get(ChatPlatform.SLACK)
        if not isinstance(messenger, SlackMessenger):
            raise ValueError("the Slack messenger was not built (bot.bootstrap)")
        self.messenger = messenger
        self.chat = SlackChat(
            services.postroom,
            messenger,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            after_update=wake,
        )
        self._handler = AsyncSlackRequestHandler(self.chat.app)

    @property
    def routes(self) -> list[BaseRoute]:
        # Events, slash commands and interactivity all arrive here (docs/slack-manifest.yaml).
        return [Route(EVENTS_PATH, self.receive, methods=["POST"])]

    async def start(self) -> None:
        try:
            me = await self.chat.setup()
        except SlackApiError as e:
            raise ValueError(
                f"Slack refused POSTROOM_SLACK_BOT_TOKEN: {e.response.get('error')}"
            ) from None
        who, team = me.get("user"), me.get("team")
        log.info("slack: %s in %s receives requests at %s", who, team, EVENTS_PATH)

    async def stop(self) -> None:
        await self.chat.drain()

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
