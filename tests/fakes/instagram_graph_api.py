"""A fake of the Instagram API with Instagram Login's GET /me (ASGI), in Meta's wire format."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["ACCESS_TOKEN", "APP_SCOPED_ID", "PROFESSIONAL_ID", "FakeInstagramGraphAPI"]

ACCESS_TOKEN = "IGAAfake-instagram-user-access-token"
# /me's `user_id` is the professional account's id (what publishing names); its `id` is the
# app-scoped id, which the code exchange also answers (reference/me, business-login).
PROFESSIONAL_ID = "17841400000000001"
APP_SCOPED_ID = "26543210000000042"


class FakeInstagramGraphAPI:
    """GET [/vNN.N]/me?fields=…&access_token=…
    (https://developers.facebook.com/docs/instagram-platform/reference/me). A bad token gets
    HTTP 400 with Meta's error object, OAuthException code 190. `id` is the app-scoped id,
    `user_id` the professional account's; `same_ids` answers the one id in both (seen too)."""

    def __init__(
        self, *, token: str = ACCESS_TOKEN, username: str = "postroom.test", same_ids: bool = False
    ) -> None:
        self.token = token
        self.username = username
        self.same_ids = same_ids

    @property
    def app_scoped_id(self) -> str:
        return PROFESSIONAL_ID if self.same_ids else APP_SCOPED_ID

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        parts = [p for p in request.url.path.split("/") if p]
        if parts and parts[0].startswith("v") and parts[0][1:2].isdigit():
            parts = parts[1:]  # the optional API version
        if request.method != "GET" or parts != ["me"]:
            status, body = 400, _error("Unsupported get request.", 100, "GraphMethodException")
        elif request.query_params.get("access_token") != self.token:
            status, body = 400, _error("Invalid OAuth access token - Cannot parse access token")
        else:
            fields = request.query_params.get("fields", "id").split(",")
            known = {"id": self.app_scoped_id, "user_id": PROFESSIONAL_ID}
            known["username"] = self.username
            status, body = 200, {f: known[f] for f in fields if f in known} | {"id": known["id"]}
        await Response(json.dumps(body), status, media_type="application/json")(
            scope, receive, send
        )


def _error(message: str, code: int = 190, kind: str = "OAuthException") -> dict[str, object]:
    return {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf"}}
