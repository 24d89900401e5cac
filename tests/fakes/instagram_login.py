"""A fake of Instagram Login's code exchange and 60-day token (ASGI); `/me` is G's fake."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from adapters.instagram.login import SCOPES
from tests.fakes.instagram_graph_api import FakeInstagramGraphAPI

__all__ = ["ACCOUNT_ID", "FakeInstagramLogin"]

ACCOUNT_ID = 17841400000000001
SHORT_TOKEN = "IGAAfake-short-lived"
LONG_TOKEN = "IGAAfake-long-lived-60-days"
SIXTY_DAYS = 5_183_944  # what Meta answers: just under 60 days, in seconds


class FakeInstagramLogin:
    """POST /oauth/access_token (api.instagram.com) and GET /access_token?grant_type=
    ig_exchange_token (graph.instagram.com), in Meta's wire format; everything else (GET /me)
    goes to FakeInstagramGraphAPI holding the long-lived token."""

    def __init__(
        self, *, app_id: str, app_secret: str, redirect_uri: str, shape: str = "data"
    ) -> None:
        self.app_id, self.app_secret, self.redirect_uri = app_id, app_secret, redirect_uri
        self.shape = shape  # "data" (wrapped) or "flat" (numeric user_id)
        self.codes: dict[str, str] = {}  # code → granted permissions (comma-separated)
        self.graph = FakeInstagramGraphAPI(token=LONG_TOKEN)
        self.exchanged: list[str] = []

    def issue_code(self, code: str, permissions: str = "") -> str:
        """What the authorize page would put in the redirect, with Meta's `#_` appended."""
        self.codes[code] = permissions or ",".join(SCOPES)
        return code + "#_"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        if request.method == "POST" and path == "/oauth/access_token":
            status, body = await self._exchange(request)
        elif request.method == "GET" and path == "/access_token":
            status, body = self._long_lived(request)
        else:
            await self.graph(scope, receive, send)
            return
        await Response(json.dumps(body), status, media_type="application/json")(
            scope, receive, send
        )

    async def _exchange(self, request: Request) -> tuple[int, dict[str, object]]:
        # application/x-www-form-urlencoded, read without python-multipart
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if (
            form.get("client_id") != self.app_id
            or form.get("client_secret") != self.app_secret
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != self.redirect_uri
        ):
            return 400, _oauth_error("Invalid platform app")
        code = str(form.get("code", ""))
        permissions = self.codes.pop(code, None)  # a code works once
        if permissions is None:
            return 400, _oauth_error("Error validating verification code.")
        self.exchanged.append(code)
        if self.shape == "flat":
            return 200, {
                "access_token": SHORT_TOKEN,
                "user_id": ACCOUNT_ID,
                "permissions": permissions.split(","),
            }
        entry = {"access_token": SHORT_TOKEN, "user_id": str(ACCOUNT_ID)}
        return 200, {"data": [entry | {"permissions": permissions}]}

    def _long_lived(self, request: Request) -> tuple[int, dict[str, object]]:
        q = request.query_params
        if q.get("grant_type") != "ig_exchange_token" or q.get("client_secret") != self.app_secret:
            return 400, {"error": {"message": "Invalid client_secret", "code": 101}}
        if q.get("access_token") != SHORT_TOKEN:
            return 400, {"error": {"message": "Invalid OAuth access token", "code": 190}}
        return 200, {"access_token": LONG_TOKEN, "token_type": "bearer", "expires_in": SIXTY_DAYS}


def _oauth_error(message: str) -> dict[str, object]:
    return {"error_type": "OAuthException", "code": 400, "error_message": message}
