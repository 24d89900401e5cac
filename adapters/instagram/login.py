"""Instagram Login's OAuth calls over a caller-owned httpx.AsyncClient: authorize URL, code
exchange, 60-day token, its refresh, /me.

https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from adapters.instagram.graph import RATE_LIMITED, TEMPORARY

__all__ = [
    "SCOPES",
    "InstagramGrant",
    "InstagramLogin",
    "InstagramLoginError",
    "clean_code",
    "scopes_of",
    "short_token_of",
]

SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_insights",
    # Read, answer and hide comments on the account's media (the engage inbox).
    "instagram_business_manage_comments",
)


class InstagramLoginError(Exception):
    """The round trip failed; `reason` is safe to show the user (never a token or secret).
    `transient`: Instagram could not be reached or failed on its side (try again later);
    `code`: the Graph error code, when Instagram gave one."""

    def __init__(self, reason: str, *, transient: bool = False, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient
        self.code = code


@dataclass(frozen=True, slots=True)
class InstagramGrant:
    """A connected Instagram professional account and its long-lived token."""

    account_id: str
    username: str
    token: str = field(repr=False)
    expires_in: int  # seconds
    scopes: tuple[str, ...]


def clean_code(code: str) -> str:
    """Meta appends `#_` to the redirect's code; it is not part of the code."""
    code = code.strip()
    return code[:-2] if code.endswith("#_") else code


def scopes_of(value: object) -> tuple[str, ...]:
    """Granted permissions come as a comma-separated string or a list."""
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(",") if s.strip())
    if isinstance(value, list):
        return tuple(str(s).strip() for s in value if str(s).strip())
    return ()


def short_token_of(body: Any) -> tuple[str, str, tuple[str, ...] | None]:
    """(token, user id, scopes) from the code exchange, which answers in two shapes: wrapped
    in a `data` array, or flat with a numeric `user_id`. Scopes are None when the answer
    does not list them (unknown, not "all")."""
    if isinstance(body, dict) and isinstance(body.get("data"), list) and body["data"]:
        body = body["data"][0]
    if not isinstance(body, dict):
        raise InstagramLoginError("Instagram answered the code exchange in an unknown shape.")
    token, user_id = body.get("access_token"), body.get("user_id")
    if not isinstance(token, str) or not token or user_id is None or isinstance(user_id, bool):
        raise InstagramLoginError("Instagram's code exchange answer has no token or account.")
    permissions = body.get("permissions")
    return token, str(user_id), None if permissions is None else scopes_of(permissions)


def _error_of(response: httpx.Response) -> tuple[str, int | None]:
    """Meta's reason and code: `{"error_message": …, "code": …}` from api.instagram.com,
    `{"error": {"message": …, "code": …}}` from graph.instagram.com."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return f"HTTP {response.status_code}", None
    if isinstance(body, dict):
        if isinstance(body.get("error_message"), str):
            return str(body["error_message"]), _int(body.get("code"))
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"]), _int(error.get("code"))
    return f"HTTP {response.status_code}", None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class InstagramLogin:
    """One method per step; the app secret travels in request bodies/queries, never logged."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        app_id: str,
        app_secret: str,
        redirect_uri: str,
        oauth_url: str = "https://api.instagram.com",
        graph_url: str = "https://graph.instagram.com",
        timeout: float = 30.0,
    ) -> None:
        self._http = http
        self._app_id = app_id
        self._secret = app_secret
        self.redirect_uri = redirect_uri
        self._oauth = oauth_url.rstrip("/")
        # The authorization window (reference/oauth-authorize) and the code exchange share
        # the host.
        self._authorize = f"{self._oauth}/oauth/authorize"
        self._graph = graph_url.rstrip("/")
        self._timeout = timeout

    def authorize_link(self, state: str, scopes: Sequence[str] = SCOPES) -> str:
        query = urlencode(
            {
                "client_id": self._app_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": ",".join(scopes),
                "state": state,
            }
        )
        return f"{self._authorize}?{query}"

    async def complete(self, code: str, required: Sequence[str] = SCOPES) -> InstagramGrant:
        """Code → short-lived token → 60-day token → account id and username. A scope the user
        unticked is refused here, before anything is stored."""
        short, user_id, granted = await self._exchange(clean_code(code))
        if granted is None:
            # Business Login documents the exchange as listing the permissions granted; Meta
            # offers no documented way to read them back for an Instagram Login token, so an
            # answer without them is refused rather than taken as everything granted.
            raise InstagramLoginError(
                "Instagram did not say which permissions were granted, so nothing was stored."
            )
        missing = [s for s in required if s not in granted]
        if missing:
            raise InstagramLoginError(
                "Instagram did not grant " + ", ".join(missing) + ". Connect again and keep "
                "every permission ticked."
            )
        token, expires_in = await self._long_lived(short)
        app_scoped, account_id, username = await self._me(token)
        # The exchange names the app-scoped id, /me's `id`; `user_id` is the professional
        # account's id, which publishing names
        # (https://developers.facebook.com/docs/instagram-platform/reference/me). Some
        # answers carry one id in both: accept the exchange's id matching either.
        if user_id not in (app_scoped, account_id):
            raise InstagramLoginError("Instagram answered for a different account; try again.")
        return InstagramGrant(account_id, username, token, expires_in, granted)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as e:
            raise InstagramLoginError(
                f"Instagram could not be reached ({type(e).__name__}).", transient=True
            ) from e
        if response.status_code >= 400:
            reason, code = _error_of(response)
            # Meta sends rate limits and its temporary errors with HTTP 400/403 too: the code,
            # not the status, says "try later" (graph-api/guides/error-handling).
            transient = (
                response.status_code >= 500
                or response.status_code == 429
                or code in RATE_LIMITED | TEMPORARY
            )
            raise InstagramLoginError(
                f"Instagram refused: {reason}", transient=transient, code=code
            )
        return response

    async def _exchange(self, code: str) -> tuple[str, str, tuple[str, ...] | None]:
        response = await self._send(
            self._http.build_request(
                "POST",
                f"{self._oauth}/oauth/access_token",
                data={
                    "client_id": self._app_id,
                    "client_secret": self._secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": self.redirect_uri,
                    "code": code,
                },
                timeout=self._timeout,
            )
        )
        return short_token_of(_json(response))

    async def _long_lived(self, short: str) -> tuple[str, int]:
        response = await self._send(
            self._http.build_request(
                "GET",
                f"{self._graph}/access_token",
                params={
                    "grant_type": "ig_exchange_token",
                    "client_secret": self._secret,
                    "access_token": short,
                },
                timeout=self._timeout,
            )
        )
        return _token_of(_json(response), "long-lived token")

    async def refresh(self, token: str) -> tuple[str, int]:
        """Another 60 days for a long-lived token at least 24 hours old and unexpired
        (reference/refresh_access_token): the new token and its lifetime in seconds."""
        response = await self._send(
            self._http.build_request(
                "GET",
                f"{self._graph}/refresh_access_token",
                params={"grant_type": "ig_refresh_token", "access_token": token},
                timeout=self._timeout,
            )
        )
        return _token_of(_json(response), "refresh")

    async def _me(self, token: str) -> tuple[str | None, str, str]:
        """(app-scoped id, professional account id, username) (reference/me)."""
        response = await self._send(
            self._http.build_request(
                "GET",
                f"{self._graph}/me",
                params={"fields": "id,user_id,username", "access_token": token},
                timeout=self._timeout,
            )
        )
        body = _json(response)
        app_scoped, user_id, username = body.get("id"), body.get("user_id"), body.get("username")
        if user_id is None or isinstance(user_id, bool) or not isinstance(username, str):
            raise InstagramLoginError("Instagram did not say which account was connected.")
        return (None if app_scoped is None else str(app_scoped)), str(user_id), username


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InstagramLoginError("Instagram answered with something that is not JSON.") from e
    if not isinstance(body, dict):
        raise InstagramLoginError("Instagram answered in an unknown shape.")
    return body


def _token_of(body: dict[str, Any], what: str) -> tuple[str, int]:
    token, expires = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not token or _int(expires) is None:
        raise InstagramLoginError(f"Instagram's {what} answer is incomplete.")
    assert isinstance(expires, int)
    return token, expires
