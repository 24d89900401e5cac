"""Where chat media goes so publishers can fetch it: nowhere, our /media route, or Ayrshare."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.ayrshare.budgeted import PRIMARY, Budgeted
from adapters.ayrshare.client import AyrshareClient
from bot.settings import Settings
from core.ports import MediaHost
from core.request_budget import Lane
from core.retention import StoredMedia

log = logging.getLogger(__name__)

SANDBOX_MEDIA_URL = "https://sandbox.postroom.invalid/media/"
MEDIA_PATH = "/media"

# What we store and serve, by suffix: a publisher decides photo or video by the URL's suffix.
CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".mkv": "video/x-matroska",
}
_SUFFIX_OF = {mime: suffix for suffix, mime in CONTENT_TYPES.items()}
# 16 random bytes (128 bits) as URL-safe base64: 22 characters.
_NAME = re.compile(r"[A-Za-z0-9_-]{22}(\.[a-z0-9]{2,4})?")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class SandboxMediaHost:
    """The sandbox publishes nowhere, so nothing is downloaded: a stable fake URL per file."""

    needs_data = False

    async def host(self, data: bytes, *, filename: str, mime: str) -> str:
        return SANDBOX_MEDIA_URL + _SAFE_NAME.sub("_", filename)


class FileMediaHost:
    """Files under `directory`, served by the bot's web app at <public_url>/media/<token>.

    Each file gets a fresh unguessable name (128 random bits) keeping the suffix that tells
    photo from video; anything else under /media answers 404. Files are kept while a post
    needs them (a scheduled post may need its media months from now): core.retention deletes
    them a set time after the last target that needs them finished.
    """

    needs_data = True

    def __init__(self, directory: Path, public_url: str) -> None:
        self.directory = directory
        self._base = public_url.rstrip("/") + MEDIA_PATH + "/"

    async def host(self, data: bytes, *, filename: str, mime: str) -> str:
        suffix = _SUFFIX_OF.get(mime) or Path(filename).suffix.lower()
        if suffix not in CONTENT_TYPES:
            suffix = ""
        name = secrets.token_urlsafe(16) + suffix
        await asyncio.to_thread(self._write, self.directory / name, data)
        return self._base + name

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a fetch never sees half a file.
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, path)

    async def serve(self, request: Request) -> Response:
        name = str(request.path_params.get("name", ""))
        if not _NAME.fullmatch(name):
            return Response(status_code=404)
        path = self.directory / name
        if not path.is_file():
            return Response(status_code=404)
        return FileResponse(
            path,
            media_type=CONTENT_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=86400"},
        )

    def routes(self) -> list[BaseRoute]:
        return [Route(MEDIA_PATH + "/{name}", self.serve, methods=["GET"])]

    # --- core.retention.MediaFiles ------------------------------------------------------

    async def stored(self) -> list[StoredMedia]:
        """Every file, by the URL it is served at, with its modification time."""
        return await asyncio.to_thread(self._list)

    def _list(self) -> list[StoredMedia]:
        if not self.directory.is_dir():
            return []
        found: list[StoredMedia] = []
        for path in self.directory.iterdir():
            try:
                stat = path.stat()
            except OSError:
                continue  # removed meanwhile
            if path.is_file():
                modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                found.append(StoredMedia(self._base + path.name, modified))
        return found

    async def remove(self, url: str) -> None:
        name = url.removeprefix(self._base)
        if name == url or "/" in name or not name:
            return  # not one of ours
        await asyncio.to_thread((self.directory / name).unlink, missing_ok=True)


class AyrshareMediaHost:
    """Ayrshare's own media storage (POST /media/upload, kept 90 days).

    An upload carries no Profile-Key, so it is counted in the Primary Profile's request
    budget (the one publishing uses), in the chat lane: the user is waiting for it.
    """

    needs_data = True

    def __init__(self, client: AyrshareClient, budgeted: Budgeted | None = None) -> None:
        self._client = client
        self._budgeted = budgeted or Budgeted()

    async def host(self, data: bytes, *, filename: str, mime: str) -> str:
        upload = partial(self._client.upload_media, data, filename=filename, mime=mime)
        return await self._budgeted.call(PRIMARY, Lane.CHAT, upload)


def build_media_host(
    settings: Settings, client: AyrshareClient | None, budgeted: Budgeted | None = None
) -> MediaHost:
    """Sandbox: no hosting. A public URL: our own route. Else Ayrshare's upload."""
    if settings.public_url and not settings.sandbox:
        return FileMediaHost(settings.var_dir / "media", settings.public_url)
    if client is not None:
        return AyrshareMediaHost(client, budgeted)
    # The sandbox; or a Meta app with no public URL, where Instagram Login has no redirect
    # URI, so no profile can connect anything that would fetch a file.
    return SandboxMediaHost()


def media_routes(host: MediaHost) -> list[BaseRoute]:
    """The web routes `host` needs (only our own file host has any)."""
    return host.routes() if isinstance(host, FileMediaHost) else []
