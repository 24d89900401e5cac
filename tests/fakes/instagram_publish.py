"""A fake of Instagram Graph content publishing (ASGI) in Meta's wire format, with faults."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from core.ports import Clock
from tests.fakes.graph_wire import error, ok
from tests.fakes.instagram_graph_api import FakeInstagramComments
from tests.fakes.instagram_insights import FakeInsights

__all__ = ["BASE_URL", "IG_USER", "TOKEN", "Crashed", "FakeInstagramPublish", "Media"]

BASE_URL = "https://graph.instagram.test"
IG_USER = "17841400000000001"
TOKEN = "IGAAfake-publish-token"


@dataclass
class Container:
    id: str
    params: dict[str, str]
    status_code: str = "IN_PROGRESS"
    status: str = ""
    polls_left: int = 1  # IN_PROGRESS answers before FINISHED
    published: bool = False  # whatever its status reads: a container is published once


@dataclass
class Media:
    id: str
    caption: str
    timestamp: datetime
    container: str
    product_type: str = "FEED"  # REELS for a video; media_product_type on the wire
    # Insights Instagram gives for it (name -> value); a name left out is omitted on the wire.
    insights: dict[str, int] = field(default_factory=dict)
    like_count: int | None = None  # None: the owner hides like counts, the field is omitted
    comments_count: int = 0
    permalink: str = field(init=False)

    def __post_init__(self) -> None:
        self.permalink = f"https://www.instagram.com/p/FAKE{self.id[-6:]}/"


class FakeInstagramPublish:
    """POST /<ig-user>/media, GET /<container>?fields=status_code, POST /<ig-user>/media_publish,
    GET /<media>?fields=permalink, GET /<ig-user>/media, GET /<ig-user>/content_publishing_limit
    (https://developers.facebook.com/docs/instagram-platform/content-publishing/), and the
    insights reads in tests/fakes/instagram_insights.py: GET /<media>/insights and
    GET /<ig-user>?fields=followers_count,…"""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.token = TOKEN
        self.containers: dict[str, Container] = {}
        self.media: list[Media] = []
        self.quota_usage = 0
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._ids = itertools.count(18000000000000001)
        self.next_failure: tuple[str, str] | None = None  # (status_code, status) for a container
        self.polls_before_finished = 1  # IN_PROGRESS answers a new container gives first
        self.stall_publish = False  # publish, then hold the answer back forever
        # The sending worker dies at media_publish: "before" Instagram publishes, or "after".
        self.crash_publish: str | None = None
        self.insights = FakeInsights(IG_USER, lambda: len(self.media))
        self.comments = FakeInstagramComments(
            lambda: self.clock.now().strftime("%Y-%m-%dT%H:%M:%S+0000")
        )
        # Instagram's media list lags behind: media published while set stay out of it.
        self.list_lags = False
        self.unlisted: set[str] = set()
        # Instagram's container status lags: a container published while set reads FINISHED.
        self.status_lags = False

    def transport(self) -> httpx.AsyncBaseTransport:
        return _Transport(self)

    def http_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), base_url=BASE_URL)

    def calls(self, method: str, suffix: str) -> list[dict[str, str]]:
        return [p for m, path, p in self.requests if m == method and path.endswith(suffix)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        parts = [p for p in request.url.path.split("/") if p]
        params = dict(request.query_params)
        self.requests.append((request.method, request.url.path, params))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            refusal = error("Error validating access token: Session has expired.", 190, 463)
            await refusal(scope, receive, send)
            return
        response = await self._route(request.method, parts, params)
        await response(scope, receive, send)

    async def _route(self, method: str, parts: list[str], params: dict[str, str]) -> Response:
        answer = self.comments.answer(method, parts, params, {m.id for m in self.media})
        if answer is not None:
            return answer
        match method, parts:
            case "POST", [user, "media"] if user == IG_USER:
                return self._create(params)
            case "POST", [user, "media_publish"] if user == IG_USER:
                return await self._publish(params.get("creation_id", ""))
            case "GET", [user, "media"] if user == IG_USER:
                data = [
                    {
                        "id": m.id,
                        "caption": m.caption,
                        "timestamp": m.timestamp.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "permalink": m.permalink,
                    }
                    for m in reversed(self.media)
                    if m.id not in self.unlisted
                ]
                return ok({"data": data[: int(params.get("limit", "25"))]})
            case "GET", [user, "content_publishing_limit"] if user == IG_USER:
                config = {"quota_total": 50, "quota_duration": 86400}
                return ok({"data": [{"quota_usage": self.quota_usage, "config": config}]})
            case "GET", [object_id] if object_id in self.containers:
                c = self.containers[object_id]
                if c.status_code == "IN_PROGRESS":
                    if c.polls_left <= 0:
                        c.status_code = "FINISHED"
                    c.polls_left -= 1
                return ok({"status_code": c.status_code, "status": c.status, "id": c.id})
            case "GET", [object_id] if (m := self.find(object_id)) is not None:
                return ok(self.insights.media_fields(m, params.get("fields", "permalink")))
            case "GET", [object_id, "insights"] if (m := self.find(object_id)) is not None:
                return self.insights.answer(m, params.get("metric", ""))
            case "GET", [user] if user == IG_USER:
                return ok(self.insights.account(params.get("fields", "id")))
        return error("Unsupported request.", 100, 33, status=400)

    def _create(self, params: dict[str, str]) -> Response:
        if not (params.get("image_url") or params.get("video_url") or params.get("children")):
            return error("The parameter image_url is required.", 100, None, status=400)
        if params.get("media_type") == "CAROUSEL":
            for child in params["children"].split(","):
                if child not in self.containers:
                    return error("Invalid carousel child.", 100, None, status=400)
        c = Container(str(next(self._ids)), params, polls_left=self.polls_before_finished)
        if self.next_failure is not None:
            c.status_code, c.status = self.next_failure
            self.next_failure = None
        self.containers[c.id] = c
        return ok({"id": c.id})

    async def _publish(self, creation_id: str) -> Response:
        if self.crash_publish == "before":
            self.crash_publish = None
            raise Crashed
        c = self.containers.get(creation_id)
        if c is None or c.published or c.status_code != "FINISHED":
            # A container is published once; the next media_publish with it is refused.
            return error("Media ID is not available", 9007, 2207027, status=400)
        product = "REELS" if c.params.get("media_type") == "REELS" else "FEED"
        caption = c.params.get("caption", "")
        media = Media(str(next(self._ids)), caption, self.clock.now(), c.id, product)
        self.media.append(media)
        if self.list_lags:
            self.unlisted.add(media.id)
        c.published = True
        if not self.status_lags:
            c.status_code = "PUBLISHED"
        self.quota_usage += 1
        if self.stall_publish:
            self.stall_publish = False
            await asyncio.Event().wait()  # the client times out; the post is out
        if self.crash_publish == "after":
            self.crash_publish = None
            raise Crashed  # the post is out; the process that sent it never learns
        return ok({"id": media.id})

    def find(self, media_id: str) -> Media | None:
        return next((m for m in self.media if m.id == media_id), None)

    def posted_at(self, when: datetime, count: int) -> None:
        """`count` posts already published at `when` (by other apps too: Instagram counts)."""
        for _ in range(count):
            self.media.append(Media(str(next(self._ids)), "earlier", when.astimezone(UTC), ""))
        self.quota_usage += count


class Crashed(BaseException):
    """Raised through the client, as a worker dying mid-request: nothing catches it."""


class _Transport(httpx.AsyncBaseTransport):
    """ASGITransport plus read timeouts, as a real network has."""

    def __init__(self, fake: FakeInstagramPublish) -> None:
        self._asgi = httpx.ASGITransport(app=fake)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeouts.get("read")):
                return await self._asgi.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout("fake: no answer in time", request=request) from None
