"""Comments on a Free profile's own Instagram media, through the Instagram API with Instagram
Login: read, reply and hide (https://developers.facebook.com/docs/instagram-platform/
instagram-api-with-instagram-login/comment-moderation, reference/ig-media/comments,
reference/ig-comment/replies). Needs the `instagram_business_manage_comments` permission."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from adapters.instagram import graph
from adapters.instagram.http import GraphHttp
from core.engage_ports import CommentGone, FoundComment, Watched
from core.errors import PermanentError
from core.model import Network, Profile, Route

__all__ = ["COMMENTS_SCOPE", "NEEDS_SCOPE", "InstagramComments", "parse_comments"]

COMMENTS_SCOPE = "instagram_business_manage_comments"
NEEDS_SCOPE = (
    "Reconnect Instagram to see comments: your connection was made before Postroom asked to "
    "read and answer them."
)
FIELDS = "id,text,username,timestamp,like_count,hidden"
MAX_CHARS = 2200  # an Instagram comment, like a caption, is at most 2,200 characters
PAGE = 50
# Graph's "no such object" (code 100, subcode 33) for a comment that was deleted; permission
# errors (10, 200) when the token lacks the comments permission (error-handling guide).
NO_OBJECT = 33
NO_PERMISSION = frozenset({10, 200})


def parse_comments(body: Any, url: str | None) -> list[FoundComment]:
    """The comments in a GET /{media}/comments answer (`data` lists the newest first)."""
    data = body.get("data") if isinstance(body, dict) else None
    found: list[FoundComment] = []
    for entry in data if isinstance(data, list) else []:
        if not isinstance(entry, dict):
            continue
        comment_id, text = entry.get("id"), entry.get("text")
        if not isinstance(comment_id, str | int) or not isinstance(text, str):
            continue
        username = entry.get("username")
        found.append(
            FoundComment(
                network=Network.INSTAGRAM,
                external_id=str(comment_id),
                author=username if isinstance(username, str) else "",
                text=text,
                created_at=graph.parse_time(entry.get("timestamp", "")),
                url=url,
                hidden=entry.get("hidden") is True,
            )
        )
    found.reverse()  # oldest first, as they are shown
    return found


class InstagramComments:
    """The Free tier's comments, with each profile's own Instagram token."""

    route = Route.INSTAGRAM_GRAPH

    def __init__(self, http: httpx.AsyncClient, *, base_url: str) -> None:
        self._graph = GraphHttp(http, base_url=base_url)

    def missing_access(self, profile: Profile) -> str | None:
        account = profile.accounts.get(Route.INSTAGRAM_GRAPH)
        # No scopes recorded (a token from before they were kept): tried, and a refusal says.
        if account is not None and account.scopes and COMMENTS_SCOPE not in account.scopes:
            return NEEDS_SCOPE
        return None

    def reply_limit(self, network: Network) -> int:
        return MAX_CHARS

    def hide_refusal(self, network: Network) -> str | None:
        return None

    async def comments(
        self, profile: Profile, targets: Sequence[Watched]
    ) -> Mapping[tuple[int, Network], Sequence[FoundComment]]:
        _, token = graph.credentials(profile)
        found: dict[tuple[int, Network], Sequence[FoundComment]] = {}
        for t in targets:
            if not t.external_id:
                continue
            call = graph.Call(
                "GET", f"{t.external_id}/comments", {"fields": FIELDS, "limit": str(PAGE)}
            )
            body = await self._send(call, token, "reading the comments")
            found[(t.post_id, t.network)] = parse_comments(body, t.url)
        return found

    async def reply(
        self, profile: Profile, network: Network, comment_id: str, text: str
    ) -> str | None:
        _, token = graph.credentials(profile)
        call = graph.Call("POST", f"{comment_id}/replies", {"message": text})
        body = await self._send(call, token, "Instagram refused the reply")
        found = body.get("id")
        return str(found) if isinstance(found, str | int) else None

    async def hide(self, profile: Profile, network: Network, comment_id: str) -> None:
        _, token = graph.credentials(profile)
        call = graph.Call("POST", comment_id, {"hide": "true"})
        await self._send(call, token, "Instagram refused to hide it")

    async def _send(self, call: graph.Call, token: str, refused: str) -> dict[str, Any]:
        status, body = await self._graph.exchange(call, token)
        found = graph.error_of(body)
        if found is not None:
            code, message = found
            error = body["error"]
            if code == 100 and error.get("error_subcode") == NO_OBJECT:
                raise CommentGone(message)
            if code in NO_PERMISSION:
                raise PermanentError(NEEDS_SCOPE, reconnect=True)
        graph.raise_for_error(status, body, refused=refused)
        if not isinstance(body, dict):
            raise PermanentError(f"{refused}: Instagram's answer was unreadable.")
        return body
