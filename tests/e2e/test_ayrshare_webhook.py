"""Ayrshare's social webhook through the bot's web app: registered per profile, HMAC-checked,
link/unlink/refresh applied once, a system unlink warned at once; forged, replayed, unknown
and malformed deliveries change nothing (the real bootstrap, both databases)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from adapters.db.engine import ping
from bot.ayrshare_web import ayrshare_routes
from bot.bootstrap import Services
from bot.web import create_app
from core.handlers import Actor
from core.model import (
    ChatKind,
    ChatPlatform,
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    Network,
    Route,
)
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.fakes.ayrshare_api import FakeAyrshare, FakeProfile
from tests.fakes.clock import FixedClock
from tests.fakes.messenger import RecordingMessenger

PUBLIC = "https://postroom.example"
SECRET = "whsec-test-7f3a"
LI = Network.LINKEDIN


@dataclass
class ProBot:
    services: Services
    fake: FakeAyrshare
    web: httpx.AsyncClient  # the bot's web app, as Ayrshare reaches it

    def actor(self, user: str = "ana") -> Actor:
        chat = ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE)
        return Actor(Identity(ChatPlatform.CONSOLE, user), chat, user)

    async def say(self, text: str, user: str = "ana") -> Reply:
        reply = await self.services.postroom.handle_text(self.actor(user), text)
        assert reply is not None
        return reply

    async def user(self, name: str = "ana") -> FakeProfile:
        await self.say("/connect", name)
        profile = await self.services.postroom.profile_for(self.actor(name))
        return self.fake.profiles[profile.accounts[Route.AYRSHARE].key.value]

    async def connection(self, network: Network = LI) -> Connection | None:
        profile = await self.services.postroom.profile_for(self.actor())
        return profile.connections.get(network)

    async def deliver(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        assert url == PUBLIC + "/ayrshare/webhook"
        return await self.web.post("/ayrshare/webhook", content=body, headers=headers)

    def warnings(self) -> list[Reply]:
        chat = self.services.messengers[ChatPlatform.CONSOLE]
        assert isinstance(chat, RecordingMessenger)
        return [r for _, r, _ in chat.sent if "Reconnect" in str(r.buttons)]


@asynccontextmanager
async def pro_bot(make_services: BuildServices, **settings: Any) -> AsyncIterator[ProBot]:
    fake = FakeAyrshare()
    values: dict[str, Any] = {
        "public_url": PUBLIC,
        "http_port": 8080,  # on, but never listened on: requests reach the app in process
        "ayrshare_webhook_secret": SECRET,
    }
    services = await make_services(fake, **(values | settings))
    app = create_app(lambda: ping(services.engine), ayrshare_routes(services.settings, services))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as web:
        yield ProBot(services, fake, web)


@pytest.fixture
async def bot(make_services: BuildServices) -> AsyncIterator[ProBot]:
    async with pro_bot(make_services) as built:
        yield built


def signed(raw: bytes) -> dict[str, str]:
    """Headers signing `raw` with the secret, as Ayrshare would (an HMAC of our own here)."""
    return {
        "x-authorization-content-sha256": hmac.new(
            SECRET.encode(), raw, hashlib.sha256
        ).hexdigest()
    }


async def linked(bot: ProBot) -> FakeProfile:
    user = await bot.user()
    bot.fake.link(user.profile_key, "linkedin", "Ana Li")
    await bot.say("/status")
    return user


async def test_the_webhook_is_registered_for_each_profile(bot: ProBot) -> None:
    ana, bo = await bot.user(), await bot.user("bo")
    for user in (ana, bo):
        assert user.webhooks["social"] == {"url": PUBLIC + "/ayrshare/webhook", "secret": SECRET}
    await bot.say("/connect")  # asked again: not registered twice by this process
    assert len(bot.fake.requests_to("POST", "/hook/webhook")) == 2


async def test_a_system_unlink_breaks_the_connection_and_warns_at_once(
    bot: ProBot, clock: FixedClock
) -> None:
    user = await linked(bot)
    clock.advance(timedelta(minutes=3))
    url, body, headers = bot.fake.social_event(
        user.profile_key, "unlink", "linkedin", source="system", displayName="Ana Li"
    )
    answer = await bot.deliver(url, body, headers)
    assert answer.status_code == 200 and answer.json() == {"status": "applied"}
    broken = await bot.connection()
    assert broken is not None and broken.status is ConnectionStatus.BROKEN
    [warning] = bot.warnings()  # at once, before any post fails
    assert warning.text.startswith("⚠️ LinkedIn is disconnected")

    # Replayed (Ayrshare's retry, or someone who saw it): taken once, nothing more.
    again = await bot.deliver(url, body, headers)
    assert again.status_code == 200 and again.json() == {"status": "already taken"}
    assert len(bot.warnings()) == 1
    # Relinked; the old unlink replayed afterwards does not break it again.
    url2, body2, headers2 = bot.fake.social_event(
        user.profile_key, "link", "linkedin", displayName="Ana Li (new)"
    )
    assert (await bot.deliver(url2, body2, headers2)).json() == {"status": "applied"}
    assert (await bot.deliver(url, body, headers)).json() == {"status": "already taken"}
    fixed = await bot.connection()
    assert fixed is not None and fixed.status is ConnectionStatus.CONNECTED
    assert fixed.display_name == "Ana Li (new)"


async def test_link_refresh_and_a_users_own_unlink(bot: ProBot, clock: FixedClock) -> None:
    user = await bot.user()
    url, body, headers = bot.fake.social_event(
        user.profile_key, "link", "linkedin", displayName="Ana Li"
    )
    assert (await bot.deliver(url, body, headers)).json() == {"status": "applied"}
    assert (await bot.connection()) is not None
    renew_by = clock.now() + timedelta(days=5)
    url, body, headers = bot.fake.social_event(
        user.profile_key, "refresh", "linkedin", refreshBy=renew_by.isoformat()
    )
    assert (await bot.deliver(url, body, headers)).json() == {"status": "applied"}
    refreshed = await bot.connection()
    assert refreshed is not None and refreshed.expires_at == renew_by
    assert bot.warnings()[-1].text.startswith("⏳ Your LinkedIn connection ends in 5 days")
    # Unlinked by the user at Ayrshare's page: their choice, like /disconnect.
    url, body, headers = bot.fake.social_event(user.profile_key, "unlink", "linkedin")
    assert (await bot.deliver(url, body, headers)).json() == {"status": "applied"}
    assert await bot.connection() is None
    assert len(bot.warnings()) == 1


@pytest.mark.parametrize(
    "forge",
    [
        lambda h, b: h | {"x-authorization-content-sha256": "0" * 64},  # wrong
        lambda h, b: {k: v for k, v in h.items() if "sha256" not in k},  # missing
        lambda h, b: h | {"x-authorization-content-sha256": "not hex at all"},
    ],
    ids=["wrong", "missing", "garbled"],
)
async def test_a_forged_delivery_is_refused_and_changes_nothing(bot: ProBot, forge: Any) -> None:
    user = await linked(bot)
    url, body, headers = bot.fake.social_event(
        user.profile_key, "unlink", "linkedin", source="system"
    )
    answer = await bot.deliver(url, body, forge(headers, body))
    assert answer.status_code == 401
    tampered = body.replace(b'"system"', b'"user"')  # signed body, edited
    assert (await bot.deliver(url, tampered, headers)).status_code == 401
    connection = await bot.connection()
    assert connection is not None and connection.status is ConnectionStatus.CONNECTED
    assert bot.warnings() == []
    # The genuine delivery still goes through afterwards (the forgery was not recorded).
    assert (await bot.deliver(url, body, headers)).json() == {"status": "applied"}


async def test_rotation_signatures_and_other_encodings_are_accepted(bot: ProBot) -> None:
    user = await linked(bot)
    url, body, _ = bot.fake.social_event(user.profile_key, "refresh", "linkedin")
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    headers = {
        "x-authorization-content-sha256": "f" * 64,  # the old secret's
        "x-authorization-content-sha256-v2": f"v1={base64.b64encode(digest).decode()}",
    }
    assert (await bot.deliver(url, body, headers)).status_code == 200


async def test_unknown_profiles_other_actions_and_junk(
    bot: ProBot, caplog: pytest.LogCaptureFixture
) -> None:
    user = await linked(bot)
    url, body, _ = bot.fake.social_event(user.profile_key, "unlink", "linkedin")
    # A User Profile we do not know (deleted here, or another bot's on the same account).
    stranger = body.replace(user.ref_id.encode(), b"f" * 40)
    with caplog.at_level(logging.INFO):
        answer = await bot.deliver(url, stranger, signed(stranger))
    assert answer.status_code == 200 and answer.json() == {"status": "unknown account"}
    assert "for unknown account" in caplog.text

    other = b'{"action": "scheduled", "id": "abc", "status": "success"}'
    assert (await bot.deliver(url, other, signed(other))).json() == {"status": "ignored"}
    pinterest = body.replace(b'"linkedin"', b'"pinterest"')
    assert (await bot.deliver(url, pinterest, signed(pinterest))).json() == {"status": "ignored"}
    junk = b"\xff not json"
    assert (await bot.deliver(url, junk, signed(junk))).status_code == 400
    huge = b'{"action": "social", "pad": "' + b"x" * 70_000 + b'"}'
    assert (await bot.deliver(url, huge, signed(huge))).status_code == 413
    connection = await bot.connection()
    assert connection is not None and connection.status is ConnectionStatus.CONNECTED


async def test_without_a_secret_deliveries_are_taken_unverified(
    make_services: BuildServices,
) -> None:
    async with pro_bot(make_services, ayrshare_webhook_secret=None) as bot:
        user = await linked(bot)
        assert user.webhooks["social"]["secret"] is None
        url, body, headers = bot.fake.social_event(
            user.profile_key, "unlink", "linkedin", source="system"
        )
        assert "x-authorization-content-sha256" not in headers
        assert (await bot.deliver(url, body, headers)).json() == {"status": "applied"}
