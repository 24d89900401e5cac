"""One aiohttp session for every Slack Web API call, closed at shutdown (every test here is
also checked for sessions left open: tests/slack/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.slack.conftest import System, base_values, running
from tests.slack.driver import CHANNEL


async def test_calls_reuse_one_kept_alive_connection(system: System) -> None:
    fake, slack = system.fake, system.slack
    messenger = system.services.messengers[ChatPlatform.SLACK]
    del fake.calls[:]
    for n in range(3):
        await messenger.send(ChatRef(ChatPlatform.SLACK, f"C0{n}"), Reply(f"Notice {n}"))
    await slack.command("post Hello")  # bolt's own client for this request, then ours
    ports = {c.port for c in fake.calls}
    # A session per call (slack_sdk's default) opens a new connection, a new port, each time.
    assert len(fake.calls) >= 5 and len(ports) == 1, ports


async def test_shutdown_closes_the_shared_session(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_slack: FakeSlackAPI
) -> None:
    values = base_values(db_url, tmp_path, fake_slack) | {"slack_bot_token": BOT_TOKEN}
    async with running(values, clock, fake_slack) as system:
        await system.slack.command("post Hello")
        session = system.service.messenger.client.session
        assert session is not None and not session.closed
        assert fake_slack.last(CHANNEL).shown.startswith("✍️ New post")
    assert session.closed
