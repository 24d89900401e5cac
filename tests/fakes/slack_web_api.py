"""A fake of Slack's Web API auth.test (ASGI): Slack's wire format for a good and a bad token."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["BOT_TOKEN", "FakeSlackWebAPI"]

BOT_TOKEN = "xoxb-1111-2222-fake-bot-token"


class FakeSlackWebAPI:
    """POST /api/auth.test (https://api.slack.com/methods/auth.test). Slack answers HTTP 200
    either way: `ok: false` with `not_authed` (no token) or `invalid_auth` (a wrong one)."""

    def __init__(self, *, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        self.calls.append(request.url.path)
        if request.method != "POST" or request.url.path != "/api/auth.test":
            body = {"ok": False, "error": "unknown_method"}
        else:
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
            if not given:
                body = {"ok": False, "error": "not_authed"}
            elif given != self.token:
                body = {"ok": False, "error": "invalid_auth"}
            else:
                body = {
                    "ok": True,
                    "url": "https://postroom-test.slack.com/",
                    "team": "Postroom Test",
                    "user": "postroom",
                    "team_id": "T0001",
                    "user_id": "U0001",
                    "bot_id": "B0001",
                    "is_enterprise_install": False,
                }
        await Response(json.dumps(body), 200, media_type="application/json")(scope, receive, send)
