"""bolt's own OAuth flow installs and uninstalls a workspace through our stores."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from aiohttp import web
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from adapters.db.cipher import Keyring
from adapters.db.engine import make_session_factory
from adapters.db.slack_installations import SqlInstallationStore
from adapters.db.slack_states import STATE_TTL, SqlOAuthStateStore
from tests.fakes.clock import FixedClock

# bolt is driven through its Starlette request handler (GET /slack/install, the redirect back
# from Slack, signed events) against a fake oauth.v2.access and auth.test served on 127.0.0.1
# (slack_sdk's async client speaks aiohttp, which an in-process transport cannot see).

# slack_sdk's own call (aiohttp.BasicAuth for oauth.v2.access's client credentials).
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-for-tests"
SIGNING_SECRET = "signing-secret-for-tests"
CODE = "code-from-slack"
BOT_TOKEN = "xoxe.xoxb-1-the-installed-bot-token"
BOT_REFRESH = "xoxe-1-the-bot-refresh-token"
USER_TOKEN = "xoxe.xoxp-1-the-installers-user-token"
USER_REFRESH = "xoxe-1-the-user-refresh-token"
WEBHOOK = "https://hooks.slack.com/services/T1/B1/the-webhook-secret"


@dataclass
class FakeOAuth:
    """oauth.v2.access and auth.test as https://api.slack.com/methods/oauth.v2.access shows."""

    url: str = ""
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def oauth_v2_access(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.calls.append(("oauth.v2.access", {k: str(v) for k, v in form.items()}))
        # Client credentials come as HTTP Basic auth (https://api.slack.com/methods/oauth.v2.access).
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"ok": False, "error": "invalid_client_id"})
        if form.get("code") != CODE:
            return web.json_response({"ok": False, "error": "invalid_code"})
        return web.json_response(
            {
                "ok": True,
                "app_id": "A1",
                "authed_user": {
                    "id": "U1",
                    "scope": "files:read",
                    "access_token": USER_TOKEN,
                    "token_type": "user",
                    "refresh_token": USER_REFRESH,
                    "expires_in": 43200,
                },
                "scope": "chat:write,commands",
                "token_type": "bot",
                "access_token": BOT_TOKEN,
                "refresh_token": BOT_REFRESH,
                "expires_in": 43200,
                "bot_user_id": "UB1",
                "team": {"id": "T1", "name": "Team One"},
                "enterprise": None,
                "is_enterprise_install": False,
                "incoming_webhook": {
                    "channel": "#social",
                    "channel_id": "C1",
                    "configuration_url": "https://teamone.slack.com/services/B1",
                    "url": WEBHOOK,
                },
            }
        )

    async def auth_test(self, request: web.Request) -> web.Response:
        self.calls.append(("auth.test", {}))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in (BOT_TOKEN, USER_TOKEN):
            return web.json_response({"ok": False, "error": "invalid_auth"})
        answer = {
            "ok": True,
            "team_id": "T1",
            "user_id": "U1",
            "url": "https://teamone.slack.com/",
        }
        if token == BOT_TOKEN:
            answer.update(user_id="UB1", bot_id="B1")
        return web.json_response(answer)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeOAuth]:
    fake = FakeOAuth()
    app = web.Application()
    app.router.add_post("/api/oauth.v2.access", fake.oauth_v2_access)
    app.router.add_post("/api/auth.test", fake.auth_test)
    runner = web.AppRunner(app)
    await runner.setup()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    fake.url = f"http://127.0.0.1:{listener.getsockname()[1]}/api/"
    yield fake
    await runner.cleanup()
    listener.close()


@dataclass
class Installer:
    http: httpx.AsyncClient
    store: SqlInstallationStore
    seen_tokens: list[tuple[str | None, str | None]]


@pytest.fixture
async def installer(
    engine: AsyncEngine, keyring: Keyring, clock: FixedClock, fake_slack: FakeOAuth
) -> AsyncIterator[Installer]:
    sessions = make_session_factory(engine)
    store = SqlInstallationStore(sessions, keyring, client_id=CLIENT_ID)
    settings = AsyncOAuthSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["chat:write", "commands"],
        user_scopes=["files:read"],
        installation_store=store,
        state_store=SqlOAuthStateStore(sessions, clock),
        state_expiration_seconds=int(STATE_TTL.total_seconds()),
    )
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        process_before_response=True,  # listeners finish before the answer: nothing to wait for
        client=AsyncWebClient(base_url=fake_slack.url),
        oauth_settings=settings,
    )
    seen_tokens: list[tuple[str | None, str | None]] = []

    @app.command("/postroom")
    async def command(ack: AsyncAck, context: AsyncBoltContext) -> None:
        seen_tokens.append((context.bot_token, context.user_token))
        await ack()

    app.enable_token_revocation_listeners()  # app_uninstalled, tokens_revoked → the store
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Any:
        return await handler.handle(request)

    web_app = Starlette(
        routes=[
            Route("/slack/install", endpoint, methods=["GET"]),
            Route("/slack/oauth_redirect", endpoint, methods=["GET"]),
            Route("/slack/events", endpoint, methods=["POST"]),
        ]
    )
    transport = httpx.ASGITransport(app=web_app)
    # https: bolt's state cookie is Secure, so a client on http:// would not send it back.
    async with httpx.AsyncClient(transport=transport, base_url="https://postroom.test") as http:
        yield Installer(http, store, seen_tokens)


async def _begin(http: httpx.AsyncClient) -> str:
    """Open the install page; returns the state in Slack's authorize URL (and keeps the cookie)."""
    page = await http.get("/slack/install")
    assert page.status_code == 200
    assert "slack-app-oauth-state=" in page.headers["set-cookie"]
    start = page.text.index("https://slack.com/oauth/v2/authorize?")
    url = page.text[start : page.text.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == ["chat:write,commands"]
    assert query["user_scope"] == ["files:read"]
    return query["state"][0]


async def test_an_install_through_bolt_stores_the_workspace_encrypted(
    installer: Installer, fake_slack: FakeOAuth, db_url: str, db_backend: str, engine: AsyncEngine
) -> None:
    state = await _begin(installer.http)
    done = await installer.http.get("/slack/oauth_redirect", params={"code": CODE, "state": state})
    assert done.status_code == 200, done.text
    assert [name for name, _ in fake_slack.calls] == ["oauth.v2.access", "auth.test"]
    del fake_slack.calls[:]

    found = await installer.store.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.bot_id) == (
        BOT_TOKEN,
        BOT_REFRESH,
        "B1",
    )
    assert (found.user_id, found.user_token, found.user_refresh_token) == (
        "U1",
        USER_TOKEN,
        USER_REFRESH,
    )
    assert found.incoming_webhook_url == WEBHOOK
    assert found.bot_token_expires_at is not None and found.user_token_expires_at is not None
    assert found.team_name == "Team One"
    # A signed slash command from that workspace is answered with the stored bot token.
    reply = await installer.http.post(
        "/slack/events", **_signed_command(team_id="T1", response_url=fake_slack.url + "response")
    )
    assert reply.status_code == 200, reply.text
    assert installer.seen_tokens == [(BOT_TOKEN, USER_TOKEN)]

    # The same redirect again installs nothing: bolt cleared its cookie, and a replay that
    # brings the cookie along finds the state consumed.
    again = {"code": CODE, "state": state}
    assert (await installer.http.get("/slack/oauth_redirect", params=again)).status_code == 400
    replay = await installer.http.get(
        "/slack/oauth_redirect",
        params=again,
        headers={"Cookie": f"slack-app-oauth-state={state}"},
    )
    assert replay.status_code == 401
    assert "invalid_state" in replay.text
    assert [name for name, _ in fake_slack.calls] == ["auth.test", "auth.test"]  # authorize

    if db_backend == "sqlite":
        await engine.dispose()
        path = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
        raw = b"".join(
            p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
        )
        assert b"Team One" in raw
        for secret in (BOT_TOKEN, BOT_REFRESH, USER_TOKEN, USER_REFRESH, WEBHOOK, state):
            assert secret.encode() not in raw


def _signed(body: str, content_type: str) -> dict[str, Any]:
    """Headers Slack signs a request with
    (https://api.slack.com/authentication/verifying-requests-from-slack)."""
    timestamp = str(int(time.time()))  # bolt checks it against its own clock (5 minutes)
    signature = SignatureVerifier(SIGNING_SECRET).generate_signature(
        timestamp=timestamp, body=body
    )
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
    }
    return {"content": body, "headers": headers}


def _signed_command(*, team_id: str, response_url: str) -> dict[str, Any]:
    """A slash command as Slack sends it (https://api.slack.com/interactivity/slash-commands)."""
    body = {
        "command": "/postroom",
        "text": "",
        "team_id": team_id,
        "user_id": "U1",
        "channel_id": "C1",
        "trigger_id": "1.2.3",
        "response_url": response_url,
    }
    return _signed(urlencode(body), "application/x-www-form-urlencoded")


def _signed_event(event: dict[str, Any], *, team_id: str) -> dict[str, Any]:
    """An Events API delivery (https://api.slack.com/apis/events-api#callback-field)."""
    body = {
        "type": "event_callback",
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": "A1",
        "event": event,
        "event_id": f"Ev{event['type']}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": "UB1", "is_bot": True}],
    }
    return _signed(json.dumps(body), "application/json")


async def test_uninstalling_the_app_deletes_the_workspace(
    installer: Installer, fake_slack: FakeOAuth, engine: AsyncEngine
) -> None:
    state = await _begin(installer.http)
    done = await installer.http.get("/slack/oauth_redirect", params={"code": CODE, "state": state})
    assert done.status_code == 200

    # https://api.slack.com/events/tokens_revoked: the installer's user token only.
    revoked = {"type": "tokens_revoked", "tokens": {"oauth": ["U1"], "bot": []}}
    answer = await installer.http.post("/slack/events", **_signed_event(revoked, team_id="T1"))
    assert answer.status_code == 200
    store = installer.store
    assert await store.async_find_installation(enterprise_id=None, team_id="T1") is None
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot is not None and bot.bot_token == BOT_TOKEN

    # https://api.slack.com/events/app_uninstalled: nothing of the workspace is kept.
    uninstalled = {"type": "app_uninstalled"}
    answer = await installer.http.post("/slack/events", **_signed_event(uninstalled, team_id="T1"))
    assert answer.status_code == 200
    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    async with engine.connect() as c:
        for table in ("slack_installations", "slack_bots"):
            assert await c.scalar(text(f"SELECT count(*) FROM {table}")) == 0


async def test_a_stale_forged_or_missing_state_installs_nothing(
    installer: Installer, fake_slack: FakeOAuth, clock: FixedClock
) -> None:
    state = await _begin(installer.http)
    clock.advance(timedelta(minutes=10))
    stale = await installer.http.get(
        "/slack/oauth_redirect", params={"code": CODE, "state": state}
    )
    assert stale.status_code == 401

    forged = await installer.http.get(
        "/slack/oauth_redirect", params={"code": CODE, "state": "forged"}
    )
    assert forged.status_code == 400  # not the state this browser was given (cookie)

    state = await _begin(installer.http)
    installer.http.cookies.clear()
    other_browser = await installer.http.get(
        "/slack/oauth_redirect", params={"code": CODE, "state": state}
    )
    assert other_browser.status_code == 400
    assert fake_slack.calls == []
    assert await installer.store.async_find_installation(enterprise_id=None, team_id="T1") is None
