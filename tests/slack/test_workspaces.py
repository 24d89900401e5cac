"""Many workspaces: installed through /slack/install, each answered and written to with its
own bot token, uninstalled cleanly; end to end over the real wiring and the fake Web API."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.workspaces import NOT_INSTALLED, NotInstalled
from bot.settings import Settings
from bot.slack_oauth import check_slack
from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.fakes.clock import FixedClock
from tests.slack.conftest import System
from tests.slack.driver import ANA, CHANNEL, signed
from tests.slack.installs import ONE, TWO, begin, install, tokens_of

# slack_sdk's own call (aiohttp.BasicAuth for oauth.v2.access's client credentials).
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def test_two_workspaces_install_and_each_is_answered_with_its_own_token(
    two: System, engine: AsyncEngine
) -> None:
    fake, slack = two.fake, two.slack
    async with engine.connect() as c:
        found = await c.execute(text("SELECT team_id, bot_token_ciphertext FROM slack_bots"))
        rows = found.all()
    assert sorted(team for team, _ in rows) == [ONE, TWO]
    for _, sealed in rows:  # kept encrypted
        assert "xoxb-" not in str(sealed)

    # A composer (it has buttons) is posted in the channel by the messenger, with the token
    # of the workspace the command came from; bolt's authorize checked that same token.
    for team in (ONE, TWO):
        del fake.calls[:]
        await slack.command("post Hello", team=team)
        assert tokens_of(fake, "auth.test") == [f"xoxb-{team}-installed"]
        assert tokens_of(fake, "chat.postMessage") == [f"xoxb-{team}-installed"]
        assert fake.last(CHANNEL).shown.startswith("✍️ New post")


async def test_progress_is_edited_with_the_workspaces_token(two: System) -> None:
    fake, slack = two.fake, two.slack
    await slack.command("connect", channel=ANA.dm, team=TWO)
    await slack.tap(fake.last(ANA.dm), "Facebook", team=TWO)
    await slack.command("post Launch day", team=TWO)
    composer = fake.last(CHANNEL)
    del fake.calls[:]
    await slack.tap(composer, "Publish now", team=TWO)
    assert "1 of 1 published" in composer.shown
    updates = tokens_of(fake, "chat.update")
    assert len(updates) >= 2 and set(updates) == {f"xoxb-{TWO}-installed"}


async def test_uninstall_deletes_and_later_requests_are_answered_not_installed(
    two: System, engine: AsyncEngine
) -> None:
    fake, slack = two.fake, two.slack
    event = {
        "type": "event_callback",
        "team_id": TWO,
        "api_app_id": "A0POSTROOM",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev0UNINSTALL",
        "event_time": int(time.time()),
    }
    body = json.dumps(event)
    answer = await slack.post(body, "application/json", signed(body))
    assert answer.status_code == 200
    async with engine.connect() as c:
        teams = (await c.execute(text("SELECT team_id FROM slack_bots"))).scalars().all()
    assert teams == [ONE]

    del fake.calls[:]
    await slack.command("post Hello", team=TWO)
    assert slack.last_answer() == NOT_INSTALLED
    assert fake.called("chat.postMessage") == []
    await slack.command("post Hello", team=ONE)  # the other workspace is untouched
    assert tokens_of(fake, "chat.postMessage") == [f"xoxb-{ONE}-installed"]


async def test_a_message_for_a_workspace_without_installation_is_refused_with_a_warning(
    many: System, caplog: pytest.LogCaptureFixture
) -> None:
    messenger = many.services.messengers[ChatPlatform.SLACK]
    with caplog.at_level(logging.WARNING), pytest.raises(NotInstalled):
        await messenger.send(ChatRef(ChatPlatform.SLACK, CHANNEL, "T0GONE"), Reply("Digest"))
    assert "no installation for workspace T0GONE" in caplog.text
    assert many.fake.called("chat.postMessage") == []


async def test_a_forged_replayed_or_expired_state_installs_nothing(
    many: System, clock: FixedClock, engine: AsyncEngine
) -> None:
    http, fake = many.slack.client, many.fake
    forged = await http.get("/slack/oauth_redirect", params={"code": "code-T0X", "state": "x"})
    assert forged.status_code == 400  # not the state this browser was given (its cookie)

    state = await begin(http)
    clock.advance(timedelta(minutes=10))
    stale = await http.get("/slack/oauth_redirect", params={"code": "code-T0X", "state": state})
    assert stale.status_code == 401

    await install(many, ONE)
    state = await begin(http)
    done = {"code": "code-T0Y", "state": state}
    assert (await http.get("/slack/oauth_redirect", params=done)).status_code == 200
    replay = await http.get(
        "/slack/oauth_redirect",
        params={"code": "code-T0Z", "state": state},
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert replay.status_code == 401
    assert [c.args["code"] for c in fake.called("oauth.v2.access")] == ["code-T0ONE", "code-T0Y"]
    async with engine.connect() as c:
        teams = (await c.execute(text("SELECT team_id FROM slack_bots"))).scalars().all()
    assert sorted(teams) == [ONE, "T0Y"]


SECRET = {"slack_signing_secret": "x"}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            SECRET | {"slack_bot_token": "xoxb-1", "slack_client_id": "1.2"},
            "not both",
        ),
        (SECRET | {"slack_client_id": "1.2"}, "need both POSTROOM_SLACK_CLIENT_ID and"),
        ({"slack_client_id": "1.2", "slack_client_secret": "s"}, "SIGNING_SECRET too"),
        (SECRET | {"slack_client_id": "1", "slack_client_secret": "s", "http_port": 0}, "web app"),
        (SECRET | {"slack_bot_token": "xoxb-1", "http_port": 0}, "web app"),
    ],
)
def test_a_slack_configuration_that_cannot_work_is_named(
    values: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        check_slack(Settings.model_validate(values))


def test_socket_mode_serves_one_workspace_without_the_web_app() -> None:
    app = {"slack_bot_token": "xoxb-1", "slack_app_token": "xapp-1", "http_port": 0}
    check_slack(Settings.model_validate(SECRET | app))
