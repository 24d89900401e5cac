"""Ayrshare's REST calls over a caller-owned httpx.AsyncClient; parsing lives in `wire`."""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from adapters.ayrshare import records, refusals, wire
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.telemetry import NullTelemetry, Telemetry

__all__ = ["AyrshareClient"]

log = logging.getLogger(__name__)

# POST /media/upload (https://www.ayrshare.com/docs/apis/media/upload-media)
MAX_UPLOAD_BYTES = 30_000_000

# Raised before a byte of the request left: safe to send again.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
)


class AyrshareClient:
    """One method per Ayrshare call. Keys travel in headers only and are never logged."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        api_key: str,
        x_api_key: str | None = None,
        x_api_secret: str | None = None,
        timeout: float = 30.0,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._http = http
        self._telemetry = telemetry or NullTelemetry()
        self._base = base_url.rstrip("/")
        self._api_key = api_key
        self._x = (x_api_key, x_api_secret) if x_api_key and x_api_secret else None
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"AyrshareClient(base_url={self._base!r})"

    @property
    def has_x_keys(self) -> bool:
        """Whether the operator's own X app keys are configured (needed for X since 2026-03-31)."""
        return self._x is not None

    def _headers(self, profile_key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"}
        if profile_key:
            headers["Profile-Key"] = profile_key
        if self._x is not None:
            headers["X-Twitter-OAuth1-Api-Key"], headers["X-Twitter-OAuth1-Api-Secret"] = self._x
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        *,
        profile_key: str | None = None,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        may_land: bool = False,
    ) -> wire.RawResponse:
        """One HTTP exchange. `may_land`: a lost answer may hide a post that went out."""
        started = time.monotonic()
        try:
            response = await self._http.request(
                method,
                self._base + path,
                headers=self._headers(profile_key),
                json=json,
                params=params,
                timeout=self._timeout,
            )
            body = response.content
        except _NOT_SENT as e:
            self._telemetry.upstream_call("ayrshare", None, time.monotonic() - started)
            log.warning("ayrshare %s %s: not sent (%s)", method, path, type(e).__name__)
            raise TransientError("Couldn't reach Ayrshare; trying again later.") from None
        except httpx.RequestError as e:
            self._telemetry.upstream_call("ayrshare", None, time.monotonic() - started)
            log.warning("ayrshare %s %s: no answer (%s)", method, path, type(e).__name__)
            if may_land:
                raise OutcomeUnknown(
                    "Ayrshare didn't answer in time; the post may have gone out and will be "
                    "looked up."
                ) from None
            raise TransientError("Ayrshare didn't answer in time; trying again later.") from None
        elapsed = time.monotonic() - started
        self._telemetry.upstream_call("ayrshare", response.status_code, elapsed)
        level = logging.DEBUG if response.status_code < 400 else logging.WARNING
        log.log(
            level, "ayrshare %s %s -> %s in %.2fs", method, path, response.status_code, elapsed
        )
        headers = {k.lower(): v for k, v in response.headers.items()}
        return wire.RawResponse(response.status_code, headers, body)

    # --- profiles -----------------------------------------------------------------------

    async def create_profile(self, title: str) -> tuple[str, str]:
        """A new User Profile: (refId, profileKey). Titles must be unique."""
        raw = await self._send("POST", "/profiles", json={"title": title})
        return records.parse_profile(refusals.check(raw, "creating the Ayrshare profile"))

    async def generate_jwt(
        self,
        profile_key: str,
        *,
        domain: str,
        private_key: str,
        allowed_social: Sequence[str],
        redirect: str | None = None,
    ) -> str:
        """The single sign-on URL where the profile's owner links networks (valid 5 minutes)."""
        body: dict[str, Any] = {
            "domain": domain,
            "privateKey": private_key,
            "profileKey": profile_key,
            "allowedSocial": list(allowed_social),
        }
        if redirect:
            body["redirect"] = redirect
        raw = await self._send("POST", "/profiles/generateJWT", json=body)
        return records.parse_jwt_url(refusals.check(raw, "making the connect link"))

    async def user(self, profile_key: str | None) -> dict[str, str]:
        """Linked platforms (Ayrshare names) with their display names."""
        raw = await self._send("GET", "/user", profile_key=profile_key)
        return records.parse_user(refusals.check(raw, "reading the linked accounts"))

    async def user_links(self, profile_key: str) -> dict[str, records.UserLink]:
        """Linked platforms (Ayrshare names) with names and link ends, from GET /user."""
        raw = await self._send("GET", "/user", profile_key=profile_key)
        return records.parse_links(refusals.check(raw, "reading the linked accounts"))

    async def register_webhook(
        self, profile_key: str, *, action: str, url: str, secret: str | None
    ) -> None:
        """POST /hook/webhook under the profile's Profile-Key: Ayrshare posts `action` events
        of that User Profile to `url`, signed with `secret`
        (https://www.ayrshare.com/docs/apis/webhooks/register)."""
        body: dict[str, Any] = {"action": action, "url": url}
        if secret:
            body["secret"] = secret
        raw = await self._send("POST", "/hook/webhook", profile_key=profile_key, json=body)
        refusals.check(raw, "registering the webhook")

    async def unlink_social(self, profile_key: str, platform: str) -> None:
        """Unlink one network from the User Profile: DELETE /profiles/social with
        {"platform": …} under its Profile-Key
        (https://www.ayrshare.com/docs/apis/profiles/unlink-social-network)."""
        raw = await self._send(
            "DELETE", "/profiles/social", profile_key=profile_key, json={"platform": platform}
        )
        refusals.check(raw, "unlinking the network")

    async def delete_profile(self, profile_key: str) -> None:
        """Delete the User Profile, with the networks linked to it: DELETE /profiles under its
        Profile-Key (https://www.ayrshare.com/docs/apis/profiles/delete-profile)."""
        raw = await self._send("DELETE", "/profiles", profile_key=profile_key, json={})
        refusals.check(raw, "deleting your Ayrshare profile")

    # --- posts --------------------------------------------------------------------------

    async def post(self, body: Mapping[str, Any], profile_key: str | None) -> wire.RawResponse:
        """POST /post; the raw answer, parsed by `wire.parse_post_response`."""
        return await self._send("POST", "/post", profile_key=profile_key, json=body, may_land=True)

    async def get_post(self, post_id: str, profile_key: str | None) -> dict[str, Any] | None:
        """The post record, or None when Ayrshare has no post with that id."""
        raw = await self._send("GET", f"/post/{post_id}", profile_key=profile_key)
        return records.parse_post_record(raw)

    async def history(
        self, profile_key: str | None, last_days: int, *, limit: int = 100
    ) -> list[dict[str, Any]]:
        raw = await self._send(
            "GET",
            "/history",
            profile_key=profile_key,
            params={"lastDays": last_days, "limit": limit},
        )
        return records.parse_history(refusals.check(raw, "reading the post history"))

    async def delete_post(self, post_id: str, profile_key: str | None) -> dict[str, Any] | None:
        """Delete the post everywhere Ayrshare can; None when it was already gone (404)."""
        raw = await self._send("DELETE", "/post", profile_key=profile_key, json={"id": post_id})
        if raw.status == 404:
            return None
        data = refusals.check(raw, "deleting the post")
        return data if isinstance(data, dict) else {}

    # --- comments (the engage inbox) -----------------------------------------------------

    async def get_comments(self, post_id: str, profile_key: str | None) -> Any:
        """GET /comments/{Ayrshare post id}: every network's comments on the post
        (https://www.ayrshare.com/docs/apis/comments/get-comments)."""
        raw = await self._send(
            "GET", f"/comments/{quote(post_id, safe='')}", profile_key=profile_key
        )
        return refusals.check(raw, "reading the comments")

    async def reply_comment(
        self, comment_id: str, platform: str, text: str, profile_key: str | None
    ) -> wire.RawResponse:
        """POST /comments/reply/{comment id} with the network and the text; the raw answer
        (https://www.ayrshare.com/docs/apis/comments/reply-to-comment)."""
        body = {"platforms": [platform], "comment": text}
        path = f"/comments/reply/{quote(comment_id, safe='')}"
        return await self._send("POST", path, profile_key=profile_key, json=body)

    # --- media --------------------------------------------------------------------------

    async def upload_media(self, data: bytes, *, filename: str, mime: str) -> str:
        """POST /media/upload as a base64 data URL (≤30 MB, kept 90 days): the https URL to
        put in mediaUrls."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise PermanentError(
                f"That file is {len(data) / 1e6:.1f} MB; Ayrshare takes uploads up to "
                f"{MAX_UPLOAD_BYTES // 1_000_000} MB."
            )
        encoded = base64.b64encode(data).decode("ascii")
        body = {"file": f"data:{mime};base64,{encoded}", "fileName": filename}
        raw = await self._send("POST", "/media/upload", json=body)
        answer = refusals.check(raw, "uploading the media")
        url = answer.get("url") if isinstance(answer, dict) else None
        if not isinstance(url, str) or not url.startswith("https://"):
            raise TransientError("Ayrshare's answer to the upload had no media URL; try again.")
        return url

    # --- analytics ----------------------------------------------------------------------

    async def analytics_post(
        self, post_id: str, profile_key: str | None, platforms: Sequence[str]
    ) -> dict[str, Any]:
        body = {"id": post_id, "platforms": list(platforms)}
        raw = await self._send("POST", "/analytics/post", profile_key=profile_key, json=body)
        data = refusals.check(raw, "reading the post's analytics")
        return data if isinstance(data, dict) else {}

    async def analytics_social(
        self, profile_key: str | None, platforms: Sequence[str]
    ) -> dict[str, Any]:
        body = {"platforms": list(platforms)}
        raw = await self._send("POST", "/analytics/social", profile_key=profile_key, json=body)
        data = refusals.check(raw, "reading the account analytics")
        return data if isinstance(data, dict) else {}
