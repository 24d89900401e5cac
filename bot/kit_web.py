"""Wires the media kit: /mediakit and its buttons on Postroom, and GET /kit/<slug> with its
in-process page cache (a kit's page is rendered again when its version changes or its numbers
are a minute old)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.charts.card import KitCards
from adapters.db.kits import SqlKitStore
from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.kitpage import RenderedPage, render_page
from adapters.kitpage.html import ICON, ICON_PATH, not_found_page
from bot.settings import Settings
from core.actions import Action
from core.chat.entry import Postroom
from core.mediakit.command import HELP_LINE, KIT_PATH, MediaKitCommands
from core.mediakit.pages import KitPages
from core.mediakit.ports import CardRenderer, KitHead
from core.ports import Clock, UnitOfWorkFactory
from core.roles import Capability

__all__ = ["KitPageCache", "MediaKit", "build_mediakit", "kit_routes"]

PAGE_TTL = 60.0  # seconds a rendered page's numbers are reused (they change hourly at most)
# Seconds a slug's kit version (and whether it is published) is taken as read: a change made
# through another worker shows within this; one made through this process, at once. Reading
# it on every request cost 2.5 ms of SQLite and session work, most of a request's time.
HEAD_TTL = 2.0
MAX_PAGES = 1024  # rendered pages kept; the least recently used goes first
# The same on every answer: nothing of the page may be sniffed, framed or leak a referrer.
_SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_NOT_FOUND_HEADERS = _SECURITY | {
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "no-store",
}


@dataclass
class _Entry:
    version: int
    profile_id: int
    page: RenderedPage
    expires: float


class KitPageCache:
    """Rendered pages by kit id, each valid for its kit's version and PAGE_TTL seconds.

    A slug's head (kit id, version, published) is read again after HEAD_TTL seconds, so an
    unpublished, renamed or deleted kit answers 404 within that on every worker; a change made
    through this process drops what it changed at once (`drop`). Misses for one kit render
    once (single flight). `now` is seconds on the bot's clock."""

    def __init__(
        self, pages: KitPages, now: Callable[[], float], *, ttl: float = PAGE_TTL
    ) -> None:
        self._pages = pages
        self._ttl = ttl
        self._now = now
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._heads: OrderedDict[str, tuple[KitHead | None, float]] = OrderedDict()
        self._flights: dict[int, asyncio.Task[RenderedPage | None]] = {}
        # Every published address, read again after HEAD_TTL: a request for one that is not
        # (a typo, a scan of random addresses) is answered without touching the database.
        self._published: tuple[frozenset[str], float] | None = None

    def drop(self, kit_id: int) -> None:
        self._entries.pop(kit_id, None)
        # Changes are rare: forget every slug read, a renamed kit's old and new one included.
        self._heads.clear()
        self._published = None

    def drop_profile(self, profile_id: int) -> None:
        """The profile's pages are rendered again on their next request (a post hidden, a
        network disconnected: what the page shows changed without a kit change)."""
        for kit_id in [k for k, e in self._entries.items() if e.profile_id == profile_id]:
            del self._entries[kit_id]

    async def _head(self, slug: str) -> KitHead | None:
        now = self._now()
        known_slugs = self._published
        if known_slugs is None or now >= known_slugs[1]:
            known_slugs = (await self._pages.published_slugs(), now + HEAD_TTL)
            self._published = known_slugs
        if slug not in known_slugs[0]:
            return None
        known = self._heads.get(slug)
        if known is not None and now < known[1]:
            return known[0]
        head = await self._pages.head(slug)
        self._heads[slug] = (head, now + HEAD_TTL)
        self._heads.move_to_end(slug)
        while len(self._heads) > MAX_PAGES * 4:  # unknown slugs are remembered too
            self._heads.popitem(last=False)
        return head

    async def get(self, slug: str) -> RenderedPage | None:
        head = await self._head(slug)
        if head is None:
            return None
        entry = self._entries.get(head.id)
        if entry is not None and entry.version == head.version and self._now() < entry.expires:
            self._entries.move_to_end(head.id)
            return entry.page
        flight = self._flights.get(head.id)
        if flight is None:
            flight = asyncio.create_task(self._render(head.id))
            self._flights[head.id] = flight
            flight.add_done_callback(lambda _: self._flights.pop(head.id, None))
        return await asyncio.shield(flight)

    async def _render(self, kit_id: int) -> RenderedPage | None:
        page = await self._pages.page(kit_id)
        if page is None:
            self.drop(kit_id)
            return None
        rendered = render_page(page)
        self._entries[kit_id] = _Entry(
            page.kit.version, page.kit.profile_id, rendered, self._now() + self._ttl
        )
        self._entries.move_to_end(kit_id)
        while len(self._entries) > MAX_PAGES:
            self._entries.popitem(last=False)
        return rendered


@dataclass
class MediaKit:
    commands: MediaKitCommands
    pages: KitPages
    cache: KitPageCache


def build_mediakit(
    settings: Settings,
    uow: UnitOfWorkFactory,
    postroom: Postroom,
    clock: Clock,
    cards: CardRenderer | None = None,
) -> MediaKit | None:
    """The media kit over the SQL store (None over an injected store without one)."""
    if not isinstance(uow, SqlUnitOfWorkFactory):
        return None
    kits = SqlKitStore(uow.session_factory)
    pages = KitPages(uow, kits, clock)
    cache = KitPageCache(pages, lambda: clock.now().timestamp())
    commands = MediaKitCommands(
        uow,
        kits,
        cards or KitCards(),
        clock,
        public_url=settings.public_url,
        local_url=local_url(settings),
        changed=cache.drop,
    )
    # In a team, only admins: a kit publishes the profile's numbers (core.roles).
    postroom.add_command("mediakit", commands.command, HELP_LINE, capability=Capability.MANAGE)
    postroom.add_tap(Action.MEDIAKIT, commands.tap, capability=Capability.MANAGE)
    # Whatever the owner does in a chat (/hide, /unhide, /disconnect, /track …) may change
    # what their page shows: it is rendered again on its next request (one read).
    postroom.on_handled(cache.drop_profile)
    return MediaKit(commands, pages, cache)


def local_url(settings: Settings) -> str | None:
    """The web app's address on this machine, as the settings give it (None when it is off)."""
    if not settings.http_port:
        return None
    host = settings.http_host
    if host in ("", "0.0.0.0", "::"):  # listening everywhere: this machine answers on loopback
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.http_port}"


def kit_routes(kit: MediaKit | None) -> list[BaseRoute]:
    """GET /kit/<slug>: the published kit's page, read-only, no login."""
    if kit is None:
        return []
    cache = kit.cache

    async def page(request: Request) -> Response:
        slug = str(request.path_params["slug"])
        if slug != slug.lower():
            # Addresses are lower-case (check_slug), but people type them as they say them.
            return RedirectResponse(
                KIT_PATH + quote(slug.lower(), safe=""), status_code=308, headers=_SECURITY
            )
        rendered = await cache.get(slug)
        if rendered is None:
            return Response(
                not_found_page(),
                status_code=404,
                media_type="text/html; charset=utf-8",
                headers=_NOT_FOUND_HEADERS,
            )
        headers = _SECURITY | {
            "Content-Security-Policy": rendered.csp,
            "ETag": rendered.etag,
            # Kept, but asked again each time (304 while unchanged): unpublishing takes the
            # page down at once, also for browsers and caches that stored it.
            "Cache-Control": "public, no-cache",
        }
        if rendered.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(rendered.body, media_type="text/html; charset=utf-8", headers=headers)

    async def icon(request: Request) -> Response:
        headers = _SECURITY | {
            "Content-Security-Policy": "default-src 'none'",
            "Cache-Control": "public, max-age=86400",
        }
        return Response(ICON, media_type="image/svg+xml", headers=headers)

    return [
        Route(ICON_PATH, icon, methods=["GET", "HEAD"]),
        Route("/kit/{slug}", page, methods=["GET", "HEAD"]),
    ]
