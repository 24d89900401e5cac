"""A stateful in-process fake of Ayrshare's REST API (ASGI), with fault injection for tests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

__all__ = ["BASE_URL", "NOW", "FakeAyrshare", "FakeProfile", "Recorded"]

BASE_URL = "https://api.ayrshare.test/api"
NOW = datetime(2026, 4, 14, 9, 30, tzinfo=UTC)
RATE_MAX = 300

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the fake received it (header names lower-case, path without /api)."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    query: dict[str, str]


@dataclass(slots=True)
class FakeProfile:
    title: str
    ref_id: str
    profile_key: str
    linked: dict[str, str] = field(default_factory=dict)  # platform -> display name
    # Extra fields of a platform's displayNames entry (refreshDaysRemaining, refreshRequired).
    details: dict[str, JSON] = field(default_factory=dict)
    webhooks: dict[str, JSON] = field(default_factory=dict)  # action -> {url, secret}
    calls: int = 0


@dataclass(frozen=True, slots=True)
class _Scripted:
    status: int
    body: bytes
    headers: dict[str, str]
    process: bool  # handle the request normally first (the post exists), then answer this


@dataclass(slots=True)
class _Post:
    profile_key: str
    record: JSON
    idempotency_key: str | None
    created: datetime


class FakeAyrshare:
    """Speaks Ayrshare's documented wire format under /api.

    `duplicate_shape` picks how a reused idempotencyKey is refused (undocumented upstream):
    "409" answers HTTP 409, "400" a request-level HTTP 400 whose message names the key.
    `history_has_keys` decides whether post records carry their idempotencyKey.
    `timestamps` picks how `created` is written: ISO text or Firestore {_seconds,_nanoseconds}.
    """

    def __init__(
        self,
        *,
        api_key: str = "test-api-key",
        duplicate_shape: Literal["409", "400"] = "409",
        history_has_keys: bool = True,
        timestamps: Literal["iso", "firestore"] = "iso",
        now: datetime = NOW,
        comments_shape: Literal["keyed", "flat"] = "keyed",
    ) -> None:
        self.api_key = api_key
        self.duplicate_shape = duplicate_shape
        self.history_has_keys = history_has_keys
        self.timestamps = timestamps
        self.now = now
        self.tiktok_pending = False  # TikTok answers id "pending" until it has processed
        self.requests: list[Recorded] = []
        self.primary = FakeProfile("Primary Profile", _ref(), "")
        self.profiles: dict[str, FakeProfile] = {}
        self.jwts: dict[str, JSON] = {}
        self.platform_errors: dict[str, tuple[int, str]] = {}
        self._posts: dict[str, _Post] = {}
        self._keys: dict[tuple[str, str], str] = {}
        self._scripts: dict[tuple[str, str], deque[_Scripted]] = {}
        self._stalls: dict[tuple[str, str], deque[asyncio.Event]] = {}
        self._refusals: deque[type[httpx.TransportError]] = deque()
        # GET /comments/{id}: one list per network key (documented), or one flat list.
        self.comments_shape = comments_shape
        self.comments: dict[str, list[JSON]] = {}  # Ayrshare post id -> comment entries
        self.replies: list[JSON] = []  # POST /comments/reply bodies, with the comment id
        self.replies_listed = False  # our replies come back in GET /comments too

    # --- test controls ---------------------------------------------------------------------

    def add_profile(self, title: str | None = None) -> str:
        """A User Profile created directly; returns its profile key."""
        profile = FakeProfile(title or f"profile-{len(self.profiles) + 1}", _ref(), _key())
        self.profiles[profile.profile_key] = profile
        return profile.profile_key

    def link(
        self, profile_key: str, platform: str, display_name: str | None = None, **details: Any
    ) -> None:
        """Link `platform`; `details` go into its GET /user entry as they are, e.g.
        refreshDaysRemaining=5 or refreshRequired="2026-04-20T00:00:00Z"."""
        profile = self._profile(profile_key)
        profile.linked[platform] = display_name or f"{platform} account"
        profile.details[platform] = dict(details)

    def unlink(self, profile_key: str, platform: str) -> None:
        self._profile(profile_key).linked.pop(platform, None)

    def fail_platform(self, platform: str, code: int, message: str | None = None) -> None:
        """Every later post to `platform` gets an errors[] entry with this code."""
        self.platform_errors[platform] = (code, message or f"Simulated error {code}.")

    def fail_next(
        self,
        path: str,
        *,
        status: int,
        json_body: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        process: bool = False,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests to `method path` (path without /api) like this."""
        raw = body if body is not None else json.dumps(json_body).encode()
        scripted = _Scripted(status, raw, dict(headers or {}), process)
        self._scripts.setdefault((method, path), deque()).extend([scripted] * times)

    def stall_next(self, path: str = "/post", method: str = "POST") -> asyncio.Event:
        """Handle the next such request fully, then hold the answer until the event is set."""
        event = asyncio.Event()
        self._stalls.setdefault((method, path), deque()).append(event)
        return event

    def refuse_connections(
        self, times: int = 1, error: type[httpx.TransportError] = httpx.ConnectTimeout
    ) -> None:
        """The next `times` requests never reach the server (raised by `transport()`)."""
        self._refusals.extend([error] * times)

    def transport(self) -> httpx.AsyncBaseTransport:
        return _FakeTransport(self)

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport())

    def posts_for(self, profile_key: str) -> list[JSON]:
        """The post records of a profile, oldest first, as GET /post/{id} shows them."""
        return [self._show(p) for p in self._posts.values() if p.profile_key == profile_key]

    def add_comment(
        self, post_id: str, platform: str, text: str, *, username: str = "a_fan"
    ) -> str:
        """Someone comments on the post's `platform` copy; returns the comment id."""
        comment_id = _digits(17)
        entry: JSON = {
            "comment": text,
            "commentId": comment_id,
            "created": self.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "from": {"id": _digits(15), "username": username, "name": username},
            "hidden": False,
            "likeCount": 0,
            "platform": platform,
            "postId": _digits(17),
            "username": username,
        }
        self.comments.setdefault(post_id, []).append(entry)
        return comment_id

    def delete_comment(self, comment_id: str) -> None:
        for entries in self.comments.values():
            entries[:] = [e for e in entries if e["commentId"] != comment_id]

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        raw = await request.body()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        path = request.url.path.removeprefix("/api")
        method = request.method
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(method, path, headers, payload, dict(request.query_params)))
        scripts = self._scripts.get((method, path))
        scripted = scripts.popleft() if scripts else None
        if scripted is not None and not scripted.process:
            response = Response(scripted.body, scripted.status, scripted.headers)
        else:
            response = self._handle(method, path, headers, payload, dict(request.query_params))
            if scripted is not None:
                response = Response(scripted.body, scripted.status, scripted.headers)
        stalls = self._stalls.get((method, path))
        if stalls:
            await stalls.popleft().wait()
        await response(scope, receive, send)

    def _handle(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any,
        query: Mapping[str, str],
    ) -> Response:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, 102, "API Key not valid. Please verify the API Key.")
        key = headers.get("profile-key")
        if key is None:
            profile = self.primary
        elif key in self.profiles:
            profile = self.profiles[key]
        else:
            return _error(403, None, "Profile Key not valid.")
        profile.calls += 1
        response = self._route(
            method, path, profile, headers, body if isinstance(body, dict) else {}, query
        )
        response.headers["x-ratelimit-max"] = str(RATE_MAX)
        response.headers["x-ratelimit-count"] = str(profile.calls)
        return response

    def _route(
        self,
        method: str,
        path: str,
        profile: FakeProfile,
        headers: Mapping[str, str],
        body: JSON,
        query: Mapping[str, str],
    ) -> Response:
        match method, path.split("/")[1:]:
            case "POST", ["profiles"] | ["profiles", "create-profile"]:
                return self._create_profile(body)
            case "POST", ["profiles", "generateJWT"]:
                return self._generate_jwt(body)
            case "GET", ["user"]:
                return self._user(profile)
            case "DELETE", ["profiles", "social"]:
                return self._unlink(profile, body)
            case "DELETE", ["profiles"]:
                return self._delete_profile(profile)
            case "POST", ["post"]:
                return self._post(profile, headers, body)
            case "GET", ["post" | "history", post_id]:
                found = self._posts.get(post_id)
                if found is None or found.profile_key != profile.profile_key:
                    return _error(404, None, "Post not found.")
                return _ok(self._show(found))
            case "DELETE", ["post"] | ["delete"]:
                return self._delete(profile, body)
            case "GET", ["history"]:
                return self._history(profile, query)
            case "POST", ["analytics", "post"]:
                return self._analytics_post(profile, body)
            case "POST", ["analytics", "social"]:
                platforms = [p for p in body.get("platforms", []) if p in profile.linked]
                return _ok({"status": "success"} | {p: {"analytics": {}} for p in platforms})
            case "POST", ["hook", "webhook"]:
                return self._register_webhook(profile, body)
            case "GET", ["comments", post_id]:
                return self._comments(profile, post_id)
            case "POST", ["comments", "reply", comment_id]:
                return self._reply(profile, comment_id, body)
            case "POST", ["media", "upload"]:
                name = str(body.get("fileName") or "file")
                url = f"https://images.ayrshare.test/{secrets.token_hex(4)}/{name}"
                return _ok({"id": secrets.token_hex(8), "url": url, "fileName": name})
        return _error(404, None, f"Unknown endpoint {method} {path}.")

    # --- endpoints -------------------------------------------------------------------------

    def _create_profile(self, body: JSON) -> Response:
        title = body.get("title")
        if not isinstance(title, str) or not title:
            return _error(400, None, "Missing title.")
        if any(p.title == title for p in self.profiles.values()):
            return _error(400, None, "Profile title already exists.")
        key = self.add_profile(title)
        profile = self.profiles[key]
        return _ok(
            {"status": "success", "title": title, "refId": profile.ref_id, "profileKey": key}
        )

    def _generate_jwt(self, body: JSON) -> Response:
        key = body.get("profileKey")
        if not body.get("domain") or not body.get("privateKey"):
            return _error(400, None, "Missing domain or privateKey.")
        if not isinstance(key, str) or key not in self.profiles:
            return _error(400, None, "Profile Key not valid.")
        token = secrets.token_urlsafe(24)
        self.jwts[token] = {k: v for k, v in body.items() if k != "privateKey"}
        url = f"https://profile.ayrshare.com?domain={body['domain']}&jwt={token}"
        title = self.profiles[key].title
        return _ok({"status": "success", "title": title, "token": token, "url": url})

    def _user(self, profile: FakeProfile) -> Response:
        data: JSON = {
            "displayNames": [
                {
                    "platform": platform,
                    "displayName": name,
                    "id": _digits(12),
                    "profileUrl": f"https://{platform}.example/{name.replace(' ', '_')}",
                    "userImage": f"https://{platform}.example/avatar.png",
                    "created": self._stamp(self.now),
                }
                | profile.details.get(platform, {})
                for platform, name in profile.linked.items()
            ],
            "email": None,
            "refId": profile.ref_id,
            "title": profile.title,
            "created": self._stamp(self.now),
            "monthlyApiCalls": profile.calls,
        }
        if profile.linked:  # omitted when nothing is linked, as Ayrshare does
            data["activeSocialAccounts"] = list(profile.linked)
        return _ok(data)

    def _register_webhook(self, profile: FakeProfile, body: JSON) -> Response:
        # https://www.ayrshare.com/docs/apis/webhooks/register: one URL per action and
        # profile, https only; registering again replaces it.
        action, url = body.get("action"), body.get("url")
        if not isinstance(action, str) or not isinstance(url, str) or not url:
            return _error(400, None, "Missing action or url.")
        if not url.startswith("https://"):
            return _error(400, None, "Webhook URL must use https.")
        profile.webhooks[action] = {"url": url, "secret": body.get("secret")}
        return _ok({"status": "success", "action": action, "url": url, "refId": profile.ref_id})

    def social_event(
        self, profile_key: str, type_: str, platform: str, *, source: str = "user", **extra: Any
    ) -> tuple[str, bytes, dict[str, str]]:
        """A `social` delivery as Ayrshare would post it for this profile: (the registered
        URL, the body, its headers, signed with the registered secret when there is one)."""
        profile = self._profile(profile_key)
        hook = profile.webhooks["social"]
        body = json.dumps(
            {
                "action": "social",
                "type": type_,
                "platform": platform,
                "source": source,
                "refId": profile.ref_id,
                "title": profile.title,
                "created": self.now.isoformat(),
                "hookId": secrets.token_hex(6),
            }
            | extra
        ).encode()
        headers = {"content-type": "application/json"}
        secret = hook.get("secret")
        if isinstance(secret, str):
            headers["x-authorization-content-sha256"] = hmac.new(
                secret.encode(), body, hashlib.sha256
            ).hexdigest()
        return str(hook["url"]), body, headers

    def _unlink(self, profile: FakeProfile, body: JSON) -> Response:
        # https://www.ayrshare.com/docs/apis/profiles/unlink-social-network
        platform = body.get("platform")
        if profile is self.primary:
            return _error(400, None, "Profile-Key header required.")
        if not isinstance(platform, str) or not platform:
            return _error(400, None, "Missing platform.")
        if platform not in profile.linked:
            return _error(400, None, f"Platform {platform} not linked.")
        del profile.linked[platform]
        return _ok({"status": "success", "platform": platform, "refId": profile.ref_id})

    def _delete_profile(self, profile: FakeProfile) -> Response:
        # https://www.ayrshare.com/docs/apis/profiles/delete-profile: the Profile-Key header
        # names the User Profile; the primary profile cannot be deleted.
        if profile is self.primary:
            return _error(400, None, "Profile-Key header required.")
        del self.profiles[profile.profile_key]
        return _ok({"status": "success", "refId": profile.ref_id})

    def _post(self, profile: FakeProfile, headers: Mapping[str, str], body: JSON) -> Response:
        text, platforms = body.get("post"), body.get("platforms")
        if not isinstance(text, str) or not isinstance(platforms, list) or not platforms:
            return _error(400, 101, "Missing or incorrect parameters: post and platforms.")
        key = body.get("idempotencyKey")
        if isinstance(key, str) and (profile.profile_key, key) in self._keys:
            if self.duplicate_shape == "409":
                return _error(409, 409, "Duplicate idempotencyKey.")
            return _error(400, None, "A request with this idempotency key was already processed.")
        post_id = secrets.token_hex(10)
        if isinstance(key, str):
            self._keys[(profile.profile_key, key)] = post_id
        if body.get("scheduleDate"):
            record: JSON = {"id": post_id, "status": "pending", "type": "scheduled", "post": text}
            record |= {"platforms": platforms, "postIds": [], "errors": []}
            self._store(profile, post_id, record, key)
            answer: JSON = {
                "status": "scheduled",
                "id": post_id,
                "scheduleDate": body["scheduleDate"],
            }
            return _ok(answer | {"refId": profile.ref_id, "post": text})
        post_ids: list[JSON] = []
        errors: list[JSON] = []
        has_x_keys = (
            "x-twitter-oauth1-api-key" in headers and "x-twitter-oauth1-api-secret" in headers
        )
        for platform in platforms:
            if platform in self.platform_errors:
                code, message = self.platform_errors[platform]
                errors.append(_entry_error(platform, code, message))
            elif platform == "twitter" and not has_x_keys:
                # The refusal without the X app keys is undocumented: an errors[] entry like
                # the other per-network refusals is the plausible shape.
                message = "X/Twitter requires your own X API Key and Secret headers."
                errors.append(_entry_error(platform, 400, message))
            elif platform not in profile.linked:
                message = f"{platform} is not linked. Please link the account."
                errors.append(_entry_error(platform, 156, message))
            else:
                post_ids.append(self._published(platform, profile))
        status = "error" if errors else "success"
        record = {"id": post_id, "status": status, "type": "immediate", "post": text}
        record |= {"platforms": platforms, "mediaUrls": body.get("mediaUrls", [])}
        record |= {"postIds": post_ids, "errors": errors, "refId": profile.ref_id}
        record |= {"profileTitle": profile.title}
        self._store(profile, post_id, record, key)
        answer = {"status": status, "errors": errors, "postIds": post_ids, "id": post_id}
        answer |= {"refId": profile.ref_id, "post": text, "profileTitle": profile.title}
        return _ok(answer, 400 if errors else 200)

    def _published(self, platform: str, profile: FakeProfile) -> JSON:
        native = _digits(19)
        handle = profile.linked[platform].replace(" ", "_")
        entry: JSON = {"status": "success", "id": native, "platform": platform}
        if platform == "tiktok" and self.tiktok_pending:
            entry["id"] = "pending"
        elif platform == "twitter":
            entry["postUrl"] = f"https://x.com/{handle}/status/{native}"
        else:
            entry["postUrl"] = f"https://{platform}.example/{handle}/{native}"
        return entry

    def _store(self, profile: FakeProfile, post_id: str, record: JSON, key: object) -> None:
        idempotency_key = key if isinstance(key, str) else None
        self._posts[post_id] = _Post(profile.profile_key, record, idempotency_key, self.now)

    def _show(self, post: _Post) -> JSON:
        record = dict(post.record) | {"created": self._stamp(post.created)}
        if self.history_has_keys and post.idempotency_key is not None:
            record["idempotencyKey"] = post.idempotency_key
        return record

    def _delete(self, profile: FakeProfile, body: JSON) -> Response:
        post_id = body.get("id")
        found = self._posts.get(post_id) if isinstance(post_id, str) else None
        if found is None or found.profile_key != profile.profile_key:
            return _error(404, None, "Post not found.")
        found.record["status"] = "deleted"
        return _ok({"status": "success", "id": post_id, "code": 200})

    def _history(self, profile: FakeProfile, query: Mapping[str, str]) -> Response:
        days = int(query.get("lastDays", "30"))
        limit = int(query.get("limit", "25"))
        oldest = self.now - timedelta(days=days) if days else None
        mine = [
            p
            for p in self._posts.values()
            if p.profile_key == profile.profile_key and (oldest is None or p.created >= oldest)
        ]
        mine.sort(key=lambda p: p.created, reverse=True)
        items = [self._show(p) for p in mine[:limit]]
        return _ok({"history": items, "refId": profile.ref_id, "count": len(items)})

    def _comments(self, profile: FakeProfile, post_id: str) -> Response:
        # https://www.ayrshare.com/docs/apis/comments/get-comments
        found = self._posts.get(post_id)
        if found is None or found.profile_key != profile.profile_key:
            return _error(404, None, "Post not found.")
        entries = list(self.comments.get(post_id, []))
        if self.comments_shape == "flat":
            return _ok({"status": "success", "id": post_id, "comments": entries})
        data: JSON = {"status": "success", "id": post_id}
        for platform in found.record["platforms"]:
            data[platform] = [e for e in entries if e["platform"] == platform]
        return _ok(data)

    def _reply(self, profile: FakeProfile, comment_id: str, body: JSON) -> Response:
        # https://www.ayrshare.com/docs/apis/comments/reply-to-comment
        text, platforms = body.get("comment"), body.get("platforms")
        if not isinstance(text, str) or not text or not isinstance(platforms, list):
            return _error(400, 101, "Missing or incorrect parameters: comment and platforms.")
        mine = {pid for pid, p in self._posts.items() if p.profile_key == profile.profile_key}
        for post_id, entries in self.comments.items():
            parent = next((e for e in entries if e["commentId"] == comment_id), None)
            if parent is None or post_id not in mine:
                continue
            platform = parent["platform"]
            reply_id = _digits(17)
            self.replies.append({"commentId": comment_id, "id": reply_id} | body)
            if self.replies_listed:
                name = profile.linked.get(platform, "us").replace(" ", "_")
                ours = dict(parent) | {"commentId": reply_id, "comment": text}
                entries.append(ours | {"username": name, "from": {"username": name}})
            entry = {"status": "success", "commentId": reply_id, "comment": text}
            entry |= {"sourceCommentId": comment_id, "platform": platform}
            return _ok({"status": "success", "commentId": comment_id, platform: entry})
        return _error(404, None, "Comment not found.")

    def _analytics_post(self, profile: FakeProfile, body: JSON) -> Response:
        post_id = body.get("id")
        found = self._posts.get(post_id) if isinstance(post_id, str) else None
        if found is None or found.profile_key != profile.profile_key:
            return _error(404, None, "Post not found.")
        wanted = body.get("platforms") or found.record["platforms"]
        data: JSON = {"status": "success", "id": post_id}
        for entry in found.record["postIds"]:
            if entry["platform"] in wanted:
                analytics = {"likeCount": 0, "commentsCount": 0}  # fresh posts report zeros
                data[entry["platform"]] = {
                    "id": entry["id"],
                    "postUrl": entry.get("postUrl"),
                    "analytics": analytics,
                    "lastUpdated": self._stamp(self.now),
                    "nextUpdate": self._stamp(self.now + timedelta(minutes=10)),
                }
        return _ok(data)

    # --- helpers ---------------------------------------------------------------------------

    def _profile(self, profile_key: str) -> FakeProfile:
        return self.primary if profile_key == "" else self.profiles[profile_key]

    def _stamp(self, when: datetime) -> Any:
        if self.timestamps == "firestore":
            return {"_seconds": int(when.timestamp()), "_nanoseconds": when.microsecond * 1000}
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _FakeTransport(httpx.AsyncBaseTransport):
    """ASGITransport plus what a real network adds: refused connections and read timeouts."""

    def __init__(self, fake: FakeAyrshare) -> None:
        self._fake = fake
        self._asgi = httpx.ASGITransport(app=fake)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._fake._refusals:
            error = self._fake._refusals.popleft()
            raise error("fake: the connection was refused", request=request)
        timeouts = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeouts.get("read")):
                return await self._asgi.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("fake: no answer in time", request=request) from None


def _ok(data: JSON, status: int = 200) -> Response:
    return Response(json.dumps(data), status, media_type="application/json; charset=utf-8")


def _error(status: int, code: int | None, message: str) -> Response:
    data: JSON = {"action": "request", "status": "error", "message": message}
    if code is not None:
        data["code"] = code
    return _ok(data, status)


def _entry_error(platform: str, code: int, message: str) -> JSON:
    return {
        "action": "post",
        "status": "error",
        "code": code,
        "message": message,
        "platform": platform,
    }


def _ref() -> str:
    return secrets.token_hex(20)


def _key() -> str:
    return "-".join(secrets.token_hex(4).upper() for _ in range(4))


def _digits(n: int) -> str:
    return str(secrets.randbelow(9) + 1) + "".join(
        str(secrets.randbelow(10)) for _ in range(n - 1)
    )
