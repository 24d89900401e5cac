"""A Free bot with Instagram Login against the fakes, its web app and a browser to drive it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from adapters.db.engine import ping
from bot.bootstrap import Services
from bot.login_web import login_routes
from bot.web import create_app
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network, Profile
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import FakeInstagramLogin
from tests.fakes.instagram_publish import FakeInstagramPublish
from tests.fakes.messenger import RecordingMessenger

PUBLIC = "https://bot.example.com"
REDIRECT = f"{PUBLIC}/oauth/instagram/callback"
INSTAGRAM = "https://instagram.test"
APP_ID, APP_SECRET = "990602627938098", "ig-app-secret-for-tests"
LOGIN_PATHS = frozenset(
    {"/oauth/authorize", "/oauth/access_token", "/access_token", "/refresh_access_token", "/me"}
)


def actor(user: str = "ana", chat: str | None = None, kind: ChatKind = ChatKind.PRIVATE) -> Actor:
    return Actor(
        Identity(ChatPlatform.CONSOLE, user),
        ChatRef(ChatPlatform.CONSOLE, chat or user, kind=kind),
        user,
    )


def link(reply: Reply, label: str = "Instagram ↗") -> str:
    for row in reply.buttons:
        for b in row:
            if b.label == label and b.url is not None:
                return b.url
    raise AssertionError(f"no {label!r} link in {[b.label for r in reply.buttons for b in r]}")


@dataclass
class FreeBot:
    services: Services
    instagram: FakeInstagramLogin
    browser: httpx.AsyncClient  # the bot's web app, as the user's browser reaches it
    meta: httpx.AsyncClient  # Instagram's authorization window, as the browser reaches it
    publish: FakeInstagramPublish  # Instagram's content publishing, with the token issued

    @property
    def chat(self) -> RecordingMessenger:
        messenger = self.services.messengers[ChatPlatform.CONSOLE]
        assert isinstance(messenger, RecordingMessenger)
        return messenger

    def told(self, user: str = "ana") -> list[str]:
        return [r.text for chat, r, _ in self.chat.sent if chat.chat == user]

    async def say(self, line: str, who: Actor | None = None) -> Reply:
        reply = await self.services.postroom.handle_text(who or actor(), line)
        assert reply is not None
        return reply

    async def authorize(self, url: str) -> str:
        """Open the login link: where Instagram's window sends the browser back."""
        answer = await self.meta.get(url)
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        assert location.startswith(REDIRECT + "?")
        return location.partition("#")[0]  # the fragment stays in the browser

    async def back(self, location: str) -> httpx.Response:
        return await self.browser.get(location)

    async def connect(self, who: Actor | None = None) -> httpx.Response:
        """/connect, open the Instagram link, come back: the callback's page."""
        return await self.back(await self.authorize(link(await self.say("/connect", who))))

    async def profile(self, user: str = "ana") -> Profile:
        async with self.services.uow() as uow:
            found = await uow.profiles.by_identity(actor(user).identity)
        assert found is not None
        return found

    async def status(self, user: str = "ana") -> str:
        reply = await self.say("/status", actor(user))
        return next(f.value for f in reply.fields if f.label == Network.INSTAGRAM.label)


@asynccontextmanager
async def free_bot(
    make_services: BuildServices,
    clock: FixedClock,
    shape: str = "data",
    telegram: httpx.AsyncBaseTransport | None = None,
    with_ayrshare: bool = True,  # False: a Free-tier-only server (a Meta app, no Ayrshare key)
    **settings: Any,
) -> AsyncIterator[FreeBot]:
    instagram = FakeInstagramLogin(
        app_id=APP_ID, app_secret=APP_SECRET, redirect_uri=REDIRECT, shape=shape, clock=clock
    )
    publish = FakeInstagramPublish(clock)

    async def graph(scope: Scope, receive: Receive, send: Send) -> None:
        """One Instagram host: Login's paths and /me to the login fake, the rest to the
        publishing fake, which accepts the token Login issued last."""
        if scope["type"] == "http" and scope["path"] not in LOGIN_PATHS:
            publish.token = instagram.graph.token
            await publish(scope, receive, send)
            return
        await instagram(scope, receive, send)

    ayrshare = FakeAyrshare()
    http = httpx.AsyncClient(
        mounts={
            "https://api.ayrshare.test": ayrshare.transport(),
            INSTAGRAM: httpx.ASGITransport(app=graph),
        }
    )
    values: dict[str, Any] = {
        "default_tier": "free",
        "public_url": PUBLIC,
        "http_port": 8080,  # on, but never listened on: the browser reaches the app in process
        "instagram_app_id": APP_ID,
        "instagram_app_secret": APP_SECRET,
        "instagram_oauth_url": INSTAGRAM,
        "instagram_api_url": INSTAGRAM,
    }
    services = await make_services(
        ayrshare if with_ayrshare else None,
        http=http,
        telegram_transport=telegram,
        **(values | settings),
    )
    app = create_app(lambda: ping(services.engine), login_routes(services.login_callback))
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as browser,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=instagram)) as meta,
    ):
        yield FreeBot(services, instagram, browser, meta, publish)
