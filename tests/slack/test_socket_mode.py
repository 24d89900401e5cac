"""Socket Mode: with an app token the bot dials the (fake) Slack WebSocket instead of serving
/slack/events, acks each envelope with its envelope_id and does the work after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.slack import EVENTS_PATH, SlackService
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlackAPI
from tests.fakes.slack_socket import FakeSocketMode
from tests.slack.driver import ANA, CHANNEL, SIGNING_SECRET


@pytest.fixture
async def socket_server(fake_slack: FakeSlackAPI) -> AsyncIterator[FakeSocketMode]:
    server = FakeSocketMode()
    await server.start()
    fake_slack.socket_url = server.url
    yield server
    await server.stop()


@pytest.mark.timeout(30)
async def test_a_slash_command_over_socket_mode_is_acked_and_answered(
    engine: AsyncEngine,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    fake_slack: FakeSlackAPI,
    socket_server: FakeSocketMode,
) -> None:
    values: dict[str, Any] = {
        "database_url": db_url,
        "var_dir": tmp_path / "var",
        "secret_keys": generate_key_spec("t1"),
        "http_port": 0,  # one workspace over Socket Mode needs no web app
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": APP_TOKEN,
        "slack_api_url": fake_slack.api_url,
    }
    settings = Settings.model_validate(values)
    services = bootstrap(settings, clock=clock)
    service = SlackService(settings, services)
    try:
        assert EVENTS_PATH not in [getattr(r, "path", "") for r in service.routes]
        await service.start()
        opened = fake_slack.called("apps.connections.open")
        assert [c.token for c in opened] == [APP_TOKEN]
        await asyncio.wait_for(socket_server.connected.wait(), 10)

        # https://api.slack.com/apis/socket-mode#command: the slash command's fields as the
        # payload of an envelope; the app acks with the same envelope_id.
        socket_server.send(
            {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "token": "deprecated-verification-token",
                    "team_id": TEAM,
                    "team_domain": "acme",
                    "channel_id": CHANNEL,
                    "channel_name": "general",
                    "user_id": ANA.id,
                    "user_name": ANA.name,
                    "command": "/postroom",
                    "text": "",
                    "api_app_id": "A0POSTROOM",
                    "response_url": fake_slack.hook("socket1"),
                    "trigger_id": "1.3333.trigger",
                },
            }
        )
        ack = await asyncio.wait_for(
            socket_server.ack_for("57d6a792-4d35-4d0b-b6aa-3361493e1caf"), 10
        )
        assert ack["envelope_id"] == "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
        await asyncio.wait_for(fake_slack.responded.wait(), 10)
        assert next(fake_slack.answers()).startswith("What I can do:")
    finally:
        await service.stop()
        await services.aclose()
    await asyncio.wait_for(socket_server.closed.wait(), 10)  # stopped with the runtime
