"""`postroom run` with Slack configured: /slack/events served by the real process, against the
fake Web API on 127.0.0.1; half a configuration stops the start with a clear message."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import generate_key_spec
from tests.e2e.test_web_and_runtime import _free_port, _healthy, _spawn_run
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlackAPI
from tests.fakes.slack_socket import FakeSocketMode
from tests.slack.driver import SIGNING_SECRET, SlackDriver, signed

ROOT = Path(__file__).parents[2]


def _env(db_url: str, tmp_path: Path, port: int, fake: FakeSlackAPI) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    return env | {
        "POSTROOM_DATABASE_URL": db_url,
        "POSTROOM_VAR_DIR": str(tmp_path / "var"),
        "POSTROOM_SECRET_KEYS": generate_key_spec("t1"),
        "POSTROOM_HTTP_PORT": str(port),
        "POSTROOM_SLACK_BOT_TOKEN": BOT_TOKEN,
        "POSTROOM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "POSTROOM_SLACK_API_URL": fake.api_url,
    }


@pytest.mark.timeout(60)
async def test_run_serves_slack_events_on_its_one_loop(
    db_url: str, engine: AsyncEngine, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    port = _free_port()
    process = await _spawn_run(ROOT, _env(db_url, tmp_path, port, fake_slack))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await _healthy(port, process)
            driver = SlackDriver(client, fake_slack, _nothing)
            body = driver.command_body("")
            unsigned = await driver.post(body, "application/x-www-form-urlencoded", headers={})
            assert unsigned.status_code == 401
            answer = await driver.post(body, "application/x-www-form-urlencoded", signed(body))
            assert answer.status_code == 200
            # The work runs after the ack, in the bot.
            await asyncio.wait_for(fake_slack.responded.wait(), timeout=20)
        assert next(fake_slack.answers()).startswith("What I can do:")
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    text = err.decode()
    assert process.returncode == 0, text
    assert "slack: postroom in Acme receives requests at /slack/events" in text
    assert SIGNING_SECRET not in text and BOT_TOKEN not in text


@pytest.mark.timeout(60)
async def test_half_a_slack_configuration_stops_the_start(
    db_url: str, engine: AsyncEngine, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    env = _env(db_url, tmp_path, _free_port(), fake_slack)
    del env["POSTROOM_SLACK_SIGNING_SECRET"]
    process = await _spawn_run(ROOT, env)
    _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2, err.decode()
    assert "Slack needs both POSTROOM_SLACK_BOT_TOKEN and POSTROOM_SLACK_SIGNING_SECRET" in (
        err.decode()
    )
    assert "Traceback" not in err.decode()


async def _nothing() -> None:
    return None


@pytest.mark.timeout(60)
async def test_run_in_socket_mode_connects_out_and_closes_on_stop(
    db_url: str, engine: AsyncEngine, tmp_path: Path, fake_slack: FakeSlackAPI
) -> None:
    server = FakeSocketMode()
    await server.start()
    fake_slack.socket_url = server.url
    env = _env(db_url, tmp_path, _free_port(), fake_slack)
    env["POSTROOM_SLACK_APP_TOKEN"] = APP_TOKEN
    process = await _spawn_run(ROOT, env)
    try:
        await asyncio.wait_for(server.connected.wait(), timeout=30)
        server.send(
            {
                "envelope_id": "e1",
                "type": "slash_commands",
                "payload": _command(fake_slack.hook("s1")),
            }
        )
        assert (await asyncio.wait_for(server.ack_for("e1"), 20))["envelope_id"] == "e1"
        await asyncio.wait_for(fake_slack.responded.wait(), timeout=20)
        assert next(fake_slack.answers()).startswith("What I can do:")
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
        await asyncio.wait_for(server.closed.wait(), timeout=10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await server.stop()
    text = err.decode()
    assert process.returncode == 0, text
    assert "slack: postroom in Acme receives requests at Socket Mode" in text
    assert APP_TOKEN not in text and BOT_TOKEN not in text


def _command(response_url: str) -> dict[str, str]:
    """A slash command's fields (https://api.slack.com/interactivity/slash-commands)."""
    return {
        "team_id": TEAM,
        "channel_id": "C0GENERAL",
        "user_id": "U0ANA",
        "user_name": "ana",
        "command": "/postroom",
        "text": "",
        "response_url": response_url,
        "trigger_id": "9.9999.trigger",
    }
