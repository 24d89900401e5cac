"""Ayrshare's comments API for the engage inbox: GET /comments/{id}, POST /comments/reply/{id}.

Wire format (https://www.ayrshare.com/docs/apis/comments/get-comments and
https://www.ayrshare.com/docs/apis/comments/reply-to-comment, docs/engage.md): the comments of
an Ayrshare post come as one list per network key (`{"instagram": [{"commentId", "comment",
"created", "from": {"username"}, …}]}`); older answers and the SDK's examples give one flat
`comments` list whose entries name their `platform`. Both are read.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.ayrshare import refusals, wire
from adapters.ayrshare.analytics import parse_when
from adapters.ayrshare.budgeted import Budgeted
from adapters.ayrshare.client import AyrshareClient
from core.engage_ports import CommentGone, FoundComment, Watched
from core.errors import PermanentError
from core.model import Network, Profile, Route
from core.request_budget import Lane

__all__ = ["REPLY_LIMITS", "AyrshareComments", "parse_comments", "parse_reply"]

log = logging.getLogger(__name__)

JSON = dict[str, Any]

# The longest comment each network takes (docs/engage.md): Instagram 2,200 characters,
# Facebook 8,000, X 280, LinkedIn 1,250, YouTube 10,000, TikTok 150.
REPLY_LIMITS: Mapping[Network, int] = {
    Network.INSTAGRAM: 2200,
    Network.FACEBOOK: 8000,
    Network.X: 280,
    Network.LINKEDIN: 1250,
    Network.YOUTUBE: 10000,
    Network.TIKTOK: 150,
}
GONE = ("not found", "does not exist", "no longer", "deleted")


def _author(entry: Mapping[str, Any]) -> str:
    who = entry.get("from")
    sender = who if isinstance(who, dict) else {}
    for value in (
        entry.get("username"),
        entry.get("userName"),
        sender.get("username"),
        sender.get("name"),
        entry.get("displayName"),
        entry.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip().lstrip("@")
    return ""


def _entry(network: Network, entry: Any, url: str | None) -> FoundComment | None:
    if not isinstance(entry, dict):
        return None
    comment_id = entry.get("commentId") or entry.get("id")
    text = entry.get("comment", entry.get("text"))
    if not isinstance(comment_id, str | int) or not isinstance(text, str):
        return None  # half an entry: nothing to show or answer
    created = parse_when(entry.get("created") or entry.get("timestamp"))
    link = entry.get("commentUrl") or entry.get("url") or url
    return FoundComment(
        network=network,
        external_id=str(comment_id),
        author=_author(entry),
        text=text,
        created_at=created,
        url=link if isinstance(link, str) and link.startswith("https://") else None,
        hidden=entry.get("hidden") is True,
    )


def parse_comments(
    data: Any, urls: Mapping[Network, str | None]
) -> dict[Network, list[FoundComment]]:
    """The comments in a GET /comments answer, per network; `urls` links each to its post."""
    found: dict[Network, list[FoundComment]] = {}

    def add(network: Network | None, entries: Any) -> None:
        if network is None or not isinstance(entries, list):
            return
        for entry in entries:
            comment = _entry(network, entry, urls.get(network))
            if comment is not None:
                found.setdefault(network, []).append(comment)

    flat: Any = data if isinstance(data, list) else None
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "comments":
                flat = value
            else:
                add(wire.network_of(key), value)
    if isinstance(flat, list):
        for entry in flat:
            if isinstance(entry, dict):
                add(wire.network_of(entry.get("platform")), [entry])
    return found


def parse_reply(data: Any, network: Network) -> str | None:
    """Our reply's comment id in a POST /comments/reply answer, or the refusal it carries."""
    obj: Mapping[str, Any] = data if isinstance(data, dict) else {}
    entry = obj.get(wire.platform_of(network))
    entry = entry if isinstance(entry, dict) else obj
    if entry.get("status") == "error":
        message = wire.text_of(entry.get("message")) or "no reason given"
        if any(word in message.lower() for word in GONE):
            raise CommentGone(message)
        raise PermanentError(f"{network.label} refused the reply: {wire.clipped(message)}")
    found = entry.get("commentId") or entry.get("id")
    return str(found) if isinstance(found, str | int) else None


class AyrshareComments:
    """Comments of Pro posts, each request in the profile's one Ayrshare budget: pulls in the
    analytics lane (publishing and chat go first), replies in the chat lane."""

    route = Route.AYRSHARE

    def __init__(self, client: AyrshareClient, budgeted: Budgeted, *, max_wait: float = 0.0):
        self._client = client
        self._budgeted = budgeted
        self._max_wait = max_wait

    def missing_access(self, profile: Profile) -> str | None:
        return None

    def reply_limit(self, network: Network) -> int:
        return REPLY_LIMITS[network]

    def hide_refusal(self, network: Network) -> str | None:
        return (
            f"Hiding {network.label} comments isn't offered through Ayrshare here; hide it in "
            f"the {network.label} app, then tap ✅ Done."
        )

    async def hide(self, profile: Profile, network: Network, comment_id: str) -> None:
        raise PermanentError(self.hide_refusal(network) or "")

    def _key(self, profile: Profile) -> str:
        account = profile.accounts.get(Route.AYRSHARE)
        if account is None:
            raise PermanentError("This profile has no Ayrshare account yet.")
        return account.key.value

    async def comments(
        self, profile: Profile, targets: Sequence[Watched]
    ) -> Mapping[tuple[int, Network], Sequence[FoundComment]]:
        first = targets[0]
        if not first.provider_post_id:
            return {}
        key, post_id = self._key(profile), first.provider_post_id
        data = await self._budgeted.call(
            (Route.AYRSHARE, profile.id),
            Lane.ANALYTICS,
            lambda: self._client.get_comments(post_id, key),
            max_wait=self._max_wait,
        )
        found = parse_comments(data, {t.network: t.url for t in targets})
        return {(t.post_id, t.network): found.get(t.network, []) for t in targets}

    async def reply(
        self, profile: Profile, network: Network, comment_id: str, text: str
    ) -> str | None:
        key = self._key(profile)
        platform = wire.platform_of(network)
        raw = await self._budgeted.call(
            (Route.AYRSHARE, profile.id),
            Lane.CHAT,
            lambda: self._client.reply_comment(comment_id, platform, text, key),
        )
        data = wire.json_body(raw.body)
        message = wire.text_of(data.get("message")) if isinstance(data, dict) else ""
        if raw.status == 404 or (
            raw.status >= 400 and any(word in message.lower() for word in GONE)
        ):
            raise CommentGone(message or "Comment not found.")
        refusals.raise_for_request(raw, data, "the reply")
        return parse_reply(data, network)
