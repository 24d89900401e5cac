"""Socket Mode: with an app token the bot dials the (fake) Slack WebSocket instead of serving
/slack/events, acks each envelope with its envelope_id and does the work after; with one
workspace or with many (installed through the web app's install pages)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from adapters.slack.workspaces import INSTALL_PATH, NOT_INSTALLED, REDIRECT_PATH
from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.slack import EVENTS_PATH, SlackService
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlackAPI
from tests.fakes.slack_socket import FakeSocketMode
from tests.slack.conftest import base_values, running
from tests.slack.driver import ANA, CHANNEL, SIGNING_SECRET
from tests.slack.installs import ONE, TWO, install, tokens_of


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


def _envelope(envelope_id: str, team: str, text: str, response_url: str) -> dict[str, Any]:
    """A slash command over Socket Mode (https://api.slack.com/apis/socket-mode#command)."""
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": team,
            "channel_id": CHANNEL,
            "user_id": ANA.id,
            "user_name": ANA.name,
            "command": "/postroom",
            "text": text,
            "api_app_id": "A0POSTROOM",
            "response_url": response_url,
            "trigger_id": f"{envelope_id}.trigger",
        },
    }


@pytest.mark.timeout(30)
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")  # slack_sdk's
async def test_many_workspaces_over_socket_mode_each_answered_with_its_own_token(
    engine: AsyncEngine,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    fake_slack: FakeSlackAPI,
    socket_server: FakeSocketMode,
) -> None:
    """bolt supports Socket Mode with an installation store: each envelope is authorized
    with its workspace's installation, as an HTTP request is."""
    client_id, client_secret = fake_slack.client
    values = base_values(db_url, tmp_path, fake_slack) | {
        "slack_client_id": client_id,
        "slack_client_secret": client_secret,
        "slack_app_token": APP_TOKEN,
    }
    async with running(values, clock, fake_slack) as system:
        paths = [getattr(r, "path", "") for r in system.service.routes]
        assert paths == [INSTALL_PATH, REDIRECT_PATH]  # the install pages; events come in below
        await asyncio.wait_for(socket_server.connected.wait(), 10)
        for team in (ONE, TWO):
            await install(system, team)
        del fake_slack.calls[:]

        for n, team in enumerate((TWO, ONE, "T0GONE")):
            socket_server.send(_envelope(f"e{n}", team, "post Hello", fake_slack.hook(f"s{n}")))
            await asyncio.wait_for(socket_server.ack_for(f"e{n}"), 10)
            await system.service.chat.drain()
        # A workspace without an installation is told so (its response_url), nothing done.
        assert system.slack.last_answer() == NOT_INSTALLED
        assert tokens_of(fake_slack, "chat.postMessage") == [
            f"xoxb-{TWO}-installed",
            f"xoxb-{ONE}-installed",
        ]
        assert fake_slack.last(CHANNEL).shown.startswith("✍️ New post")
