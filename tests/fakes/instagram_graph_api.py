"""Fakes of the Instagram API with Instagram Login: GET /me (ASGI) and comments on our media."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tests.fakes.graph_wire import error, ok

__all__ = [
    "ACCESS_TOKEN",
    "APP_SCOPED_ID",
    "PROFESSIONAL_ID",
    "FakeInstagramComments",
    "FakeInstagramGraphAPI",
]

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


class FakeInstagramComments:
    """Comments on our media, in Meta's wire format: GET /<media>/comments?fields=…,
    POST /<comment>/replies?message=…, POST /<comment>?hide=true
    (https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/comment-moderation).
    A deleted comment answers Graph's "does not exist" (code 100, subcode 33); with
    `no_permission`, every call is refused as a token without instagram_business_manage_comments
    is (code 10)."""

    def __init__(self, timestamp: Callable[[], str]) -> None:
        self._timestamp = timestamp
        self.by_media: dict[str, list[dict[str, Any]]] = {}
        self.replies: list[tuple[str, str]] = []  # (comment id, message)
        self.hidden: list[str] = []
        self.no_permission = False
        self._ids = itertools.count(17900000000000001)

    def add(self, media_id: str, text: str, username: str = "a_fan") -> str:
        comment_id = str(next(self._ids))
        entry = {"id": comment_id, "text": text, "username": username, "like_count": 0}
        entry |= {"timestamp": self._timestamp(), "hidden": False}
        self.by_media.setdefault(media_id, []).append(entry)
        return comment_id

    def delete(self, comment_id: str) -> None:
        for entries in self.by_media.values():
            entries[:] = [e for e in entries if e["id"] != comment_id]

    def _find(self, comment_id: str) -> dict[str, Any] | None:
        for entries in self.by_media.values():
            for e in entries:
                if e["id"] == comment_id:
                    return e
        return None

    def answer(
        self, method: str, parts: list[str], params: dict[str, str], media: Collection[str]
    ) -> Response | None:
        """The answer to a comments call, or None when the request is not one."""
        match method, parts:
            case "GET", [media_id, "comments"] if media_id in media:
                if self.no_permission:
                    return _refused()
                fields = params.get("fields", "id,text,timestamp").split(",")
                entries = list(reversed(self.by_media.get(media_id, [])))
                data = [{f: e[f] for f in fields if f in e} for e in entries]
                return ok({"data": data[: int(params.get("limit", "25"))]})
            case "POST", [comment_id, "replies"]:
                if self.no_permission:
                    return _refused()
                if self._find(comment_id) is None:
                    return _no_object(comment_id)
                message = params.get("message", "")
                if not message or len(message) > 2200:
                    return error("(#100) Invalid parameter: message", 100, None)
                self.replies.append((comment_id, message))
                return ok({"id": str(next(self._ids))})
            case "POST", [comment_id] if "hide" in params:
                if self.no_permission:
                    return _refused()
                found = self._find(comment_id)
                if found is None:
                    return _no_object(comment_id)
                found["hidden"] = params["hide"] == "true"
                self.hidden.append(comment_id)
                return ok({"success": True})
        return None


def _no_object(object_id: str) -> Response:
    return error(
        f"Unsupported post request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        100,
        33,
    )


def _refused() -> Response:
    return error("(#10) Application does not have permission for this action", 10, None)
