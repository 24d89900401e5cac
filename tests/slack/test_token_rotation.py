"""Many workspaces with token rotation: expiring bot tokens are exchanged before they expire,
the new pair is kept encrypted, and a revoked or uninstalled workspace's token is never
used again by this process."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.messenger import SlackMessenger
from adapters.slack.workspaces import NotInstalled, WorkspaceTokens
from bot.logs import HIDDEN, REDACT
from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.conftest import System
from tests.slack.driver import CHANNEL
from tests.slack.installs import ONE, TWO, deliver, install, tokens_of

# slack_sdk's own call (aiohttp.BasicAuth for oauth.v2.access's client credentials).
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

FIRST, REFRESH = "xoxe.xoxb-T0ONE-1", "xoxe-1-refresh-2"  # what the install hands out
SECOND = "xoxe.xoxb-T0ONE-3"  # what the refresh token is exchanged for


def messenger_of(system: System) -> SlackMessenger:
    messenger = system.services.messengers[ChatPlatform.SLACK]
    assert isinstance(messenger, SlackMessenger)
    return messenger


def tokens(system: System) -> WorkspaceTokens:
    found = messenger_of(system).tokens
    assert found is not None
    return found


def refreshes(fake: FakeSlackAPI) -> list[str]:
    """The refresh tokens oauth.v2.access was asked to exchange, in order."""
    calls = fake.called("oauth.v2.access")
    return [c.args["refresh_token"] for c in calls if c.args.get("grant_type") == "refresh_token"]


async def rotating(system: System, lasts: int = 600) -> None:
    """Install ONE with token rotation on, its first bot token lasting `lasts` seconds
    (10 minutes: within the 2 hours before expiry when it is exchanged)."""
    system.fake.expires_in = lasts
    await install(system, ONE)
    del system.fake.calls[:]


async def test_a_request_rotates_an_expiring_token_first_and_the_new_pair_is_kept_encrypted(
    many: System, engine: AsyncEngine
) -> None:
    fake, slack = many.fake, many.slack
    await rotating(many)
    await slack.command("post Hello", team=ONE)
    assert refreshes(fake) == [REFRESH]
    # bolt's authorize checked the new token, and the composer went out with it.
    assert tokens_of(fake, "auth.test") == [SECOND]
    assert tokens_of(fake, "chat.postMessage") == [SECOND]

    bot = await tokens(many).store.async_find_bot(enterprise_id=None, team_id=ONE)
    assert bot is not None and bot.bot_token == SECOND
    assert bot.bot_refresh_token == "xoxe-1-refresh-4"
    assert bot.bot_token_expires_at is not None
    assert bot.bot_token_expires_at > time.time() + 11 * 3600
    async with engine.connect() as c:
        rows = (await c.execute(text("SELECT * FROM slack_bots"))).all()
        users = (await c.execute(text("SELECT * FROM slack_installations"))).all()
    assert len(rows) == 1  # the same installation, updated
    for row in [*rows, *users]:
        assert "xoxe" not in repr(tuple(row))

    # Good for 12 hours now: the next request exchanges nothing.
    await slack.command("post Again", team=ONE)
    assert refreshes(fake) == [REFRESH]
    assert set(tokens_of(fake, "chat.postMessage")) == {SECOND}


async def test_a_message_sent_with_no_request_rotates_too_and_bolt_then_finds_the_new_token(
    many: System,
) -> None:
    fake = many.fake
    await rotating(many)
    # A digest or a scheduled post's progress: no request from Slack to authorize first.
    await messenger_of(many).send(ChatRef(ChatPlatform.SLACK, CHANNEL, ONE), Reply("Digest"))
    assert refreshes(fake) == [REFRESH]
    assert tokens_of(fake, "chat.postMessage") == [SECOND]
    # The bot token was rotated alone; the installation bolt reads carries it too.
    await many.slack.command("post Hello", team=ONE)
    assert refreshes(fake) == [REFRESH]
    assert tokens_of(fake, "auth.test") == [SECOND]


async def test_concurrent_messages_exchange_the_refresh_token_once(many: System) -> None:
    fake = many.fake
    await rotating(many)
    messenger = messenger_of(many)
    chats = [ChatRef(ChatPlatform.SLACK, f"C0{n}", ONE) for n in range(5)]
    await asyncio.gather(*(messenger.send(chat, Reply("Digest")) for chat in chats))
    # Slack revokes a refresh token once used: a second exchange would have been refused.
    assert refreshes(fake) == [REFRESH]
    assert tokens_of(fake, "chat.postMessage") == [SECOND] * 5


async def test_a_refused_exchange_keeps_the_token_while_it_works_and_logs_no_secret(
    many: System, caplog: pytest.LogCaptureFixture
) -> None:
    fake = many.fake
    await rotating(many)
    fake.refresh_tokens.clear()  # e.g. the refresh token was revoked at Slack
    with caplog.at_level(logging.INFO):
        await messenger_of(many).send(ChatRef(ChatPlatform.SLACK, CHANNEL, ONE), Reply("Hi"))
    assert tokens_of(fake, "chat.postMessage") == [FIRST]  # still good for 10 minutes
    assert "rotating the tokens of workspace T0ONE failed: invalid_refresh_token" in caplog.text
    assert "xoxe" not in caplog.text


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        # https://api.slack.com/events/tokens_revoked: the bot's token.
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0BOT"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_a_revoked_workspace_token_is_dropped_from_the_cache_at_once(
    two: System, event: dict[str, object]
) -> None:
    fake, messenger = two.fake, messenger_of(two)
    chat = ChatRef(ChatPlatform.SLACK, CHANNEL, TWO)
    await messenger.send(chat, Reply("Before"))  # its token is cached now
    await deliver(two, event, TWO)
    del fake.calls[:]
    with pytest.raises(NotInstalled):
        await messenger.send(chat, Reply("After"))
    assert fake.called("chat.postMessage") == []
    await messenger.send(ChatRef(ChatPlatform.SLACK, CHANNEL, ONE), Reply("Other"))
    assert tokens_of(fake, "chat.postMessage") == [f"xoxb-{ONE}-installed"]


async def test_an_installations_decrypted_tokens_are_blanked_from_every_log_record(
    many: System,
) -> None:
    await rotating(many, lasts=86_400)  # far from expiry: the token is used as stored
    # The fake's tokens are too short for the token-shape pattern: only a token registered
    # when it is decrypted is blanked.
    await messenger_of(many).send(ChatRef(ChatPlatform.SLACK, CHANNEL, ONE), Reply("Hi"))
    assert tokens_of(many.fake, "chat.postMessage") == [FIRST]
    assert "T0ONE-1" not in REDACT(f"token {FIRST}.")
    assert HIDDEN in REDACT(f"token {FIRST}.")
