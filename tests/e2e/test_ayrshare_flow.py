"""Pro users end to end through the real wiring, SQL storage and the fake Ayrshare API."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from bot.bootstrap import Services
from core.handlers import OOPS, Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef, Network
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.messenger import RecordingMessenger

VIDEO = "https://cdn.example.com/launch.mp4"


def actor(user: str = "ana") -> Actor:
    return Actor(
        Identity(ChatPlatform.CONSOLE, user),
        ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE),
        user,
    )


def button(reply: Reply, label: str) -> str:
    for row in reply.buttons:
        for b in row:
            if label.lower() in b.label.lower():
                return b.callback_data if b.url is None else b.url
    raise AssertionError(f"no {label!r} in {[b.label for r in reply.buttons for b in r]}")


async def say(services: Services, line: str, user: str = "ana") -> Reply:
    reply = await services.postroom.handle_text(actor(user), line)
    assert reply is not None
    return reply


async def pro_profile(services: Services, fake: FakeAyrshare, *networks: str) -> str:
    """Create ana's Ayrshare profile through /connect and link `networks` at the fake."""
    await say(services, "/connect")
    (profile,) = fake.profiles.values()
    for network in networks:
        fake.link(profile.profile_key, network)
    return profile.profile_key


def shown(services: Services, message: MessageRef) -> Reply:
    """What the progress message shows now."""
    messenger = services.messengers[ChatPlatform.CONSOLE]
    assert isinstance(messenger, RecordingMessenger)
    reply = messenger.last(message)
    assert reply is not None
    return reply


async def test_ayrshare_profile_is_created_once_under_concurrent_requests(
    make_services: BuildServices,
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    replies = await asyncio.gather(*(say(services, "/connect") for _ in range(5)))
    assert len(fake.requests_to("POST", "/profiles")) == 1
    # Every /connect answered with JWT links, one per network, X unavailable without keys.
    for reply in replies:
        assert button(reply, "TikTok").startswith("https://profile.ayrshare.com?domain=")
        assert "links last 5 minutes" in reply.text
    async with services.uow() as uow:
        profile = await uow.profiles.by_identity(actor().identity)
    assert profile is not None and len(profile.accounts) == 1


async def test_x_is_unavailable_without_the_operators_x_keys(make_services: BuildServices) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    view = await say(services, "/connect")
    locked = await services.postroom.handle_tap(actor(), button(view, "X"), None)
    assert locked.toast is not None and "X app keys" in locked.toast
    status = {f.label: f.value for f in (await say(services, "/status")).fields}
    assert status["X"].startswith("⛔")


async def test_publish_partial_failure_then_retry(make_services: BuildServices) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    key = await pro_profile(services, fake, "tiktok", "facebook", "linkedin")
    fake.fail_platform("tiktok", 136, "Media URL is not reachable.")
    status = {f.label: f.value for f in (await say(services, "/status")).fields}
    assert status["TikTok"].startswith("✅")  # learnt from Ayrshare's /user
    composer = await say(services, f"/post Launch day! media: {VIDEO}")
    message = MessageRef(actor().chat, "1")
    progress = await services.postroom.handle_tap(
        actor(), button(composer, "Publish now"), message
    )
    assert progress.edit
    await services.pipeline.run_until_idle()
    posts = fake.requests_to("POST", "/post")
    assert len(posts) == 1  # one request covers all three networks
    assert sorted(posts[0].json["platforms"]) == ["facebook", "linkedin", "tiktok"]
    assert posts[0].json["idempotencyKey"].startswith("pr-1-")
    assert posts[0].headers["profile-key"] == key
    progress_now = shown(services, message)
    assert "2 of 3 published" in progress_now.text
    fields = {f.label: f for f in progress_now.fields}
    assert fields["TikTok"].value.startswith("❌") and "136" not in fields["TikTok"].value
    assert fields["Facebook"].url
    del fake.platform_errors["tiktok"]
    retry = await services.postroom.handle_tap(
        actor(), button(progress_now, "Retry TikTok"), message
    )
    assert retry.toast == "Retrying TikTok…"
    await services.pipeline.run_until_idle()
    posts = fake.requests_to("POST", "/post")
    assert len(posts) == 2 and posts[1].json["platforms"] == ["tiktok"]
    assert posts[1].json["idempotencyKey"] != posts[0].json["idempotencyKey"]
    assert "3 of 3 published" in shown(services, message).text


async def test_unreadable_answer_becomes_a_clear_failure_not_a_crash(
    make_services: BuildServices,
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    await pro_profile(services, fake, "facebook")
    composer = await say(services, "/post Hello")
    fake.fail_next("/post", status=400, body=b"<html>Bad gateway</html>")
    message = MessageRef(actor().chat, "1")
    await services.postroom.handle_tap(actor(), button(composer, "Publish now"), message)
    await services.pipeline.run_until_idle()
    (facebook,) = shown(services, message).fields
    assert facebook.value.startswith("❌") and "400" in facebook.value


async def test_corrupted_secret_is_an_operator_error_not_a_crash_loop(
    make_services: BuildServices, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    await pro_profile(services, fake, "facebook")
    composer = await say(services, "/post Hello")
    async with services.engine.begin() as conn:
        await conn.execute(text("UPDATE provider_accounts SET key_ciphertext = 'v1.t1.AAAA'"))
    with caplog.at_level(logging.ERROR):
        reply = await say(services, "/connect")
        tapped = await services.postroom.handle_tap(actor(), button(composer, "Publish now"), None)
        for _ in range(3):  # the scheduler keeps ticking: no crash, no loop of errors
            await services.pipeline.tick()
    assert reply.text == OOPS
    assert tapped.toast == OOPS
    # The operator's log names the broken secret (never its value).
    assert "SecretError: provider account 'ayrshare' of profile 1" in caplog.text
    assert fake.requests_to("POST", "/post") == []
    # Another user is unaffected.
    assert "You're on" in (await say(services, "/start", user="ben")).text


async def test_network_not_linked_asks_to_reconnect(make_services: BuildServices) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    await pro_profile(services, fake, "linkedin")
    fake.fail_platform("linkedin", 156, "LinkedIn is not linked.")
    composer = await say(services, "/post Hi")
    message = MessageRef(actor().chat, "1")
    await services.postroom.handle_tap(actor(), button(composer, "Publish now"), message)
    await services.pipeline.run_until_idle()
    (linkedin,) = shown(services, message).fields
    assert "Reconnect LinkedIn: /connect" in linkedin.value
    assert linkedin.label == Network.LINKEDIN.label
