"""Fixtures: the whole bot on the test database with Stripe configured against the fake
Stripe API, its web app over ASGI, and a console user whose messages are recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.db.engine import ping
from bot.bootstrap import Services, bootstrap
from bot.settings import Settings
from bot.stripe_web import stripe_routes
from bot.web import create_app
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef, Profile
from core.replies import Reply
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger
from tests.fakes.stripe_api import PRICE, SECRET_KEY, WEBHOOK_SECRET, FakeStripe, dumps, sign

PUBLIC = "https://bot.example"


def stripe_values(fake: FakeStripe) -> dict[str, Any]:
    return {
        "public_url": PUBLIC,
        "stripe_secret_key": SECRET_KEY,
        "stripe_webhook_secret": WEBHOOK_SECRET,
        "stripe_price_id": PRICE,
        "stripe_api_url": fake.url,
    }


def actor(user: str, kind: ChatKind = ChatKind.PRIVATE) -> Actor:
    chat = user if kind is ChatKind.PRIVATE else "group"
    return Actor(
        Identity(ChatPlatform.CONSOLE, user), ChatRef(ChatPlatform.CONSOLE, chat, kind=kind)
    )


@dataclass
class Shop:
    fake: FakeStripe
    services: Services
    web: httpx.AsyncClient
    out: RecordingMessenger
    clock: FixedClock

    async def say(self, text: str, user: str = "ana", kind: ChatKind = ChatKind.PRIVATE) -> Reply:
        reply = await self.services.postroom.handle_text(actor(user, kind), text)
        assert reply is not None
        return reply

    async def tap(self, reply: Reply, label: str, user: str = "ana") -> Reply:
        """Tap the button of `reply` whose label holds `label`, as `user`."""
        data = next(
            (b.callback_data for row in reply.buttons for b in row if label in b.label), None
        )
        assert data is not None, reply
        who = actor(user)
        answer = await self.services.postroom.handle_tap(who, data, MessageRef(who.chat, "1"))
        assert answer is not None
        return answer

    async def profile(self, user: str = "ana") -> Profile:
        async with self.services.uow() as uow:
            found = await uow.profiles.by_identity(Identity(ChatPlatform.CONSOLE, user))
        assert found is not None
        return found

    async def checkout(self, user: str = "ana") -> str:
        """/upgrade, and the id of the Checkout Session its card button opens."""
        reply = await self.say("/upgrade", user)
        urls = [b.url for row in reply.buttons for b in row if b.url]
        assert len(urls) == 1, reply
        return urls[0].rsplit("/", 1)[1]

    async def deliver(
        self, event: dict[str, Any], *, header: str | None = None, at: int | None = None
    ) -> httpx.Response:
        body = dumps(event)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        signature = sign(body, at=at) if header is None else header
        if signature:
            headers["Stripe-Signature"] = signature
        return await self.web.post("/stripe/webhook", content=body, headers=headers)

    def told(self, user: str = "ana") -> list[str]:
        return [reply.text for chat, reply, _ in self.out.sent if chat.chat == user]


@pytest.fixture
async def shop(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_stripe: FakeStripe
) -> AsyncIterator[Shop]:
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": generate_key_spec("t1"),
            "default_tier": "free",
            "http_port": 0,
        }
        | stripe_values(fake_stripe)
    )
    out = RecordingMessenger()
    services = bootstrap(settings, clock=clock, messengers={ChatPlatform.CONSOLE: out})
    assert services.stripe is not None
    app = create_app(lambda: ping(services.engine), stripe_routes(services.stripe))
    web = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC)
    try:
        yield Shop(fake_stripe, services, web, out, clock)
    finally:
        await web.aclose()
        await services.aclose()
