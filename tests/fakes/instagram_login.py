"""A fake of Instagram Login (ASGI): the authorization window, the code exchange, the 60-day
token and its refresh; `/me` is G's fake."""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from adapters.instagram.login import SCOPES
from core.ports import Clock
from tests.fakes.instagram_graph_api import PROFESSIONAL_ID, FakeInstagramGraphAPI

__all__ = ["ACCOUNT_ID", "FakeInstagramLogin"]

ACCOUNT_ID = int(PROFESSIONAL_ID)  # the professional account id, the account's ref
SHORT_TOKEN = "IGAAfake-short-lived"
LONG_TOKEN = "IGAAfake-long-lived-60-days"
SIXTY_DAYS = 5_183_944  # what Meta answers: just under 60 days, in seconds
Answer = tuple[int, dict[str, object]]


class FakeInstagramLogin:
    """GET /oauth/authorize and POST /oauth/access_token (api.instagram.com), GET /access_token
    ?grant_type=ig_exchange_token and GET /refresh_access_token?grant_type=ig_refresh_token
    (graph.instagram.com), in Meta's wire format; everything else (GET /me) goes to
    FakeInstagramGraphAPI, which accepts the long-lived token issued last.

    The window answers at once as the user would: `consent` "allow" (with `unticked`
    permissions left out) or "deny". With a `clock`, a refresh needs a token at least 24 hours
    old and unexpired, as Instagram's does."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        redirect_uri: str,
        shape: str = "data",
        clock: Clock | None = None,
    ) -> None:
        self.app_id, self.app_secret, self.redirect_uri = app_id, app_secret, redirect_uri
        self.shape = shape  # "data" (wrapped) or "flat" (numeric user_id)
        self.clock = clock
        self.codes: dict[str, str] = {}  # code → granted permissions (comma-separated)
        self.graph = FakeInstagramGraphAPI(token=LONG_TOKEN)
        self.exchanged: list[str] = []
        self.consent = "allow"
        self.unticked: tuple[str, ...] = ()
        self.tokens: dict[str, datetime | None] = {}  # long-lived token → when issued
        self.refreshed: list[str] = []  # tokens refreshed, in order
        self.fail_exchange: Answer | None = None  # the code exchange's next answer, once
        self.fail_refresh: Answer | None = None  # every refresh's answer while set
        self.omit_permissions = False  # the exchange leaves `permissions` out
        self.exchange_user: str | None = None  # the exchange names this user id instead
        self.during_exchange: Callable[[], Awaitable[None]] | None = None  # runs mid-answer
        self._codes = itertools.count(1)

    def issue_code(self, code: str, permissions: str = "") -> str:
        """What the authorize page would put in the redirect, with Meta's `#_` appended."""
        self.codes[code] = permissions or ",".join(SCOPES)
        return code + "#_"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        if request.method == "GET" and path == "/oauth/authorize":
            await self._authorize(request)(scope, receive, send)
            return
        if request.method == "POST" and path == "/oauth/access_token":
            status, body = await self._exchange(request)
        elif request.method == "GET" and path == "/access_token":
            status, body = self._long_lived(request)
        elif request.method == "GET" and path == "/refresh_access_token":
            status, body = self._refresh(request)
        else:
            await self.graph(scope, receive, send)
            return
        await Response(json.dumps(body), status, media_type="application/json")(
            scope, receive, send
        )

    def _authorize(self, request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != self.app_id or q.get("redirect_uri") != self.redirect_uri:
            return Response("Invalid redirect_uri or client_id", 400)
        if q.get("response_type") != "code" or "instagram_business_basic" not in q.get(
            "scope", ""
        ):
            return Response("Invalid scope or response_type", 400)
        back: dict[str, str]
        if self.consent == "deny":
            back = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "The user denied your request.",
            }
        else:
            asked = [s for s in q.get("scope", "").split(",") if s not in self.unticked]
            code = f"AQfake-code-{next(self._codes)}"
            self.issue_code(code, ",".join(asked))
            back = {"code": code}
        if "state" in q:
            back["state"] = q["state"]
        # Meta appends `#_` to the redirect (a fragment: browsers do not send it on).
        return RedirectResponse(f"{self.redirect_uri}?{urlencode(back)}#_", 302)

    async def _exchange(self, request: Request) -> Answer:
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
        if self.fail_exchange is not None:
            failed, self.fail_exchange = self.fail_exchange, None
            return failed
        self.exchanged.append(code)
        if self.during_exchange is not None:
            await self.during_exchange()  # what happens while Instagram is answering
        # The exchange names the Instagram-scoped (app-scoped) user id, /me's `id`.
        user_id = self.exchange_user or self.graph.app_scoped_id
        granted: dict[str, object] = {}
        if self.shape == "flat":
            if not self.omit_permissions:
                granted = {"permissions": permissions.split(",")}
            return 200, {"access_token": SHORT_TOKEN, "user_id": int(user_id)} | granted
        if not self.omit_permissions:
            granted = {"permissions": permissions}
        return 200, {"data": [{"access_token": SHORT_TOKEN, "user_id": user_id} | granted]}

    def _long_lived(self, request: Request) -> Answer:
        q = request.query_params
        if q.get("grant_type") != "ig_exchange_token" or q.get("client_secret") != self.app_secret:
            return 400, {"error": {"message": "Invalid client_secret", "code": 101}}
        if q.get("access_token") != SHORT_TOKEN:
            return 400, _graph_error("Invalid OAuth access token")
        return 200, self._new_token()

    def _refresh(self, request: Request) -> Answer:
        q = request.query_params
        token = q.get("access_token", "")
        if self.fail_refresh is not None:
            return self.fail_refresh
        if q.get("grant_type") != "ig_refresh_token" or token not in self.tokens:
            return 400, _graph_error("Invalid OAuth access token - Cannot parse access token")
        issued = self.tokens[token]
        if self.clock is not None and issued is not None:
            age = self.clock.now() - issued
            if age < timedelta(hours=24) or age >= timedelta(seconds=SIXTY_DAYS):
                return 400, _graph_error("Error validating access token: not refreshable now")
        self.refreshed.append(token)
        return 200, self._new_token()

    def _new_token(self) -> dict[str, object]:
        token = LONG_TOKEN if not self.tokens else f"{LONG_TOKEN}-{len(self.tokens) + 1}"
        self.tokens[token] = self.clock.now() if self.clock is not None else None
        self.graph.token = token
        return {"access_token": token, "token_type": "bearer", "expires_in": SIXTY_DAYS}


def _oauth_error(message: str) -> dict[str, object]:
    return {"error_type": "OAuthException", "code": 400, "error_message": message}


def _graph_error(message: str, code: int = 190) -> dict[str, object]:
    return {"error": {"message": message, "type": "OAuthException", "code": code}}
