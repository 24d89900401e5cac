"""Links to posts on each network, reduced to the network's post id so one post is one item."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from core.metrics import AnalyticsItem, ItemKind
from core.model import Network

__all__ = ["PostLink", "item_keys", "native_key", "network_of_url", "parse_link", "same_post"]

# Host suffixes per network; subdomains (www., m., mobile., vm., music.) match their parent.
_HOSTS = {
    "instagram.com": Network.INSTAGRAM,
    "instagr.am": Network.INSTAGRAM,
    "facebook.com": Network.FACEBOOK,
    "fb.com": Network.FACEBOOK,
    "fb.watch": Network.FACEBOOK,
    "tiktok.com": Network.TIKTOK,
    "youtube.com": Network.YOUTUBE,
    "youtube-nocookie.com": Network.YOUTUBE,
    "youtu.be": Network.YOUTUBE,
    "linkedin.com": Network.LINKEDIN,
    "x.com": Network.X,
    "twitter.com": Network.X,
}

# YouTube video ids are 11 characters of [A-Za-z0-9_-]
# (https://developers.google.com/youtube/v3/docs/videos#id; in practice always 11).
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
# TikTok video ids and X status ids are 64-bit snowflakes: 19 digits today, more later
# (https://developer.x.com/en/docs/x-ids): no upper bound here (/track refuses absurd ones).
# ASCII digits only: "١٢" is no id.
_DIGITS = re.compile(r"^\d+$", re.ASCII)
# Instagram shortcodes (/p/<code>/, /reel/<code>/) are URL-safe base64.
_SHORTCODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
# Facebook post ids: numeric, or the obfuscated "pfbid…" form the share button gives.
_FB_ID = re.compile(r"^(?:\d{1,30}|pfbid[A-Za-z0-9]{10,80})$", re.ASCII)
# LinkedIn: /feed/update/urn:li:activity:<n>, or /posts/<slug>-activity-<n>-<xxxx>
# (https://learn.microsoft.com/en-us/linkedin/marketing/community-management/shares/posts-api).
_LI_URN = re.compile(r"urn:li:(activity|share|ugcPost):(\d{1,30})", re.IGNORECASE | re.ASCII)
_LI_SLUG = re.compile(r"-(activity|share|ugcPost)-(\d{1,30})(?:-|$)", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, slots=True)
class PostLink:
    """A post's link read: its network, the post id the link carries (None for short links
    such as vm.tiktok.com/… that only the network can resolve), and a canonical URL."""

    network: Network
    url: str
    post_id: str | None = None

    @property
    def key(self) -> str | None:
        """What identifies the post across link forms: `youtube:dQw4w9WgXcQ`."""
        return None if self.post_id is None else f"{self.network.value}:{self.post_id}"

    @property
    def fetch_id(self) -> str | None:
        """The id Ayrshare can look a post up by (`searchPlatformId`): only the networks whose
        links carry the same id the network's API uses."""
        if self.network in (Network.YOUTUBE, Network.TIKTOK, Network.X):
            return self.post_id
        return None


def network_of_url(url: str) -> Network | None:
    host = (urlsplit(url).hostname or "").lower()
    for suffix, network in _HOSTS.items():
        if host == suffix or host.endswith("." + suffix):
            return network
    return None


def _segments(path: str) -> list[str]:
    return [unquote(s) for s in path.split("/") if s]


def _after(segments: list[str], *names: str) -> str | None:
    """The segment right after the first of `names` in the path."""
    for index, segment in enumerate(segments[:-1]):
        if segment.lower() in names:
            return segments[index + 1]
    return None


def _query(query: str, name: str) -> str | None:
    found = parse_qs(query).get(name)
    return found[0] if found else None


def _youtube(host: str, segments: list[str], query: str) -> str | None:
    if host.endswith("youtu.be"):
        found = segments[0] if segments else None
    else:
        found = _after(segments, "shorts", "live", "embed", "v", "e") or _query(query, "v")
    return found if found and _YOUTUBE_ID.match(found) else None


def _tiktok(host: str, segments: list[str], query: str) -> str | None:
    found = _after(segments, "video", "photo", "v", "v2")
    found = found.removesuffix(".html") if found else None
    return found if found and _DIGITS.match(found) else None


def _x(host: str, segments: list[str], query: str) -> str | None:
    found = _after(segments, "status", "statuses")
    return found if found and _DIGITS.match(found) else None


def _instagram(host: str, segments: list[str], query: str) -> str | None:
    found = _after(segments, "p", "reel", "reels", "tv")
    return found if found and _SHORTCODE.match(found) else None


def _facebook(host: str, segments: list[str], query: str) -> str | None:
    candidates = [
        _query(query, "story_fbid"),
        _query(query, "fbid"),
        _query(query, "v"),
        _after(segments, "posts", "permalink", "reel", "videos", "photos"),
    ]
    if len(segments) > 1 and _DIGITS.match(segments[-1]):
        # /<page>/videos/<slug>/<id>/ and /<page>/photos/<album>/<id>/
        candidates.append(segments[-1])
    if len(segments) == 1 and "_" in segments[0]:
        # The Graph API's "<page id>_<post id>" as a path (how Ayrshare links a page post).
        candidates.append(segments[0].rsplit("_", 1)[1])
    for found in candidates:
        if found and _FB_ID.match(found):
            return found
    return None


def _linkedin(host: str, segments: list[str], query: str) -> str | None:
    path = "/".join(segments)
    found = _LI_URN.search(path) or _LI_SLUG.search(path)
    return None if found is None else f"{found.group(1).lower()}:{found.group(2)}"


_READERS: dict[Network, Callable[[str, list[str], str], str | None]] = {
    Network.YOUTUBE: _youtube,
    Network.TIKTOK: _tiktok,
    Network.X: _x,
    Network.INSTAGRAM: _instagram,
    Network.FACEBOOK: _facebook,
    Network.LINKEDIN: _linkedin,
}


# The query parameters that name a Facebook post; the rest (tracking, "mibextid") is noise.
_FB_QUERY = ("story_fbid", "fbid", "v", "id")


def _canonical(
    network: Network, host: str, segments: list[str], query: str, post_id: str | None
) -> str:
    """One URL per post where the network has one form (tracking parameters such as si, t,
    utm_… and fragments dropped); elsewhere the link as given, cleaned the same way."""
    if post_id is not None:
        if network is Network.YOUTUBE:
            return f"https://www.youtube.com/watch?v={post_id}"
        if network is Network.X:
            return f"https://x.com/i/status/{post_id}"
        if network is Network.INSTAGRAM:
            return f"https://www.instagram.com/p/{post_id}/"
        if network is Network.LINKEDIN:
            urn = post_id.replace("ugcpost", "ugcPost")
            return f"https://www.linkedin.com/feed/update/urn:li:{urn}/"
    url = f"https://{host}/" + "/".join(segments)
    if network is Network.FACEBOOK:
        kept = [(k, parse_qs(query)[k][0]) for k in _FB_QUERY if k in parse_qs(query)]
        if kept:
            url += "?" + urlencode(kept)
    return url


def parse_link(url: str) -> PostLink | None:
    """The post a link points at, or None when it is on none of the networks."""
    network = network_of_url(url)
    if network is None:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    segments = _segments(parts.path)
    post_id = _READERS[network](host, segments, parts.query)
    url = _canonical(network, host, segments, parts.query, post_id)
    return PostLink(network, url, post_id)


def native_key(network: Network, native_id: str | None) -> str | None:
    """The key of a post from the id its network gave it on publishing (a target's
    external_id): LinkedIn's URN, Facebook's "<page>_<post>" reduced to the post part."""
    if not native_id:
        return None
    post_id: str | None = native_id
    if network is Network.LINKEDIN:
        found = _LI_URN.search(native_id)
        post_id = None if found is None else f"{found.group(1).lower()}:{found.group(2)}"
    elif network is Network.FACEBOOK:
        post_id = native_id.rsplit("_", 1)[-1]
    return None if post_id is None else f"{network.value}:{post_id}"


def item_keys(item: AnalyticsItem) -> set[str]:
    """Every key an analytics item is known by: from its link and from its network's id."""
    keys: set[str] = set()
    link = parse_link(item.url) if item.url else None
    if link is not None and link.network is item.network:
        keys.add(link.key or link.url)
    native = native_key(item.network, item.external_id)
    if native is not None:
        keys.add(native)
    return keys


def same_post(link: PostLink, items: Iterable[AnalyticsItem]) -> AnalyticsItem | None:
    """The item `link` points at: a post Postroom published first, else one tracked before."""
    wanted = link.key or link.url
    found = [i for i in items if i.network is link.network and wanted in item_keys(i)]
    found.sort(key=lambda i: (i.kind is not ItemKind.PUBLISHED, i.id))
    return found[0] if found else None
