"""Files shared in Slack made publishable (checked, fetched with the bot token, re-hosted), or
read as a CSV to import."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.slack.messenger import SlackMessenger, error_code
from core.commands import parse_command
from core.errors import PublishError
from core.handlers import Upload
from core.limits import CHAT_MEDIA_SUFFIXES
from core.ports import MediaHost
from core.transfer.table import MAX_BYTES, is_table
from core.transfer.table import too_big as too_big_table

log = logging.getLogger(__name__)

# The photos and videos networks take, by the MIME type Slack reports for a file
# (https://api.slack.com/types/file: `mimetype`), with the suffix the media host keeps.
SUFFIXES = CHAT_MEDIA_SUFFIXES
# What the modal's file input offers (https://api.slack.com/reference/block-kit/block-elements
# #file_input: `filetypes` are Slack's file type names).
FILETYPES = ("jpg", "jpeg", "png", "gif", "webp", "mp4", "mov", "webm", "mkv")
# A file is held in memory while it is re-hosted, and Ayrshare's media upload takes at most
# 30 MB in one request; Slack itself keeps files up to 1 GB.
MAX_FILE_BYTES = 30_000_000
MAX_FILES = 10  # Instagram's carousel, the most any network takes in one post
_KINDS = "photos (JPEG, PNG, GIF, WebP) and videos (MP4, MOV, WebM, MKV)"
_CHUNK = 256 * 1024


class Refused(ValueError):
    """A file that cannot become the post's media; the text says why and what to do."""


@dataclass(frozen=True, slots=True)
class SlackFile:
    id: str
    name: str
    mime: str
    size: int | None
    url: str  # url_private_download, or url_private: fetched with the bot token


def read_file(found: dict[str, Any]) -> SlackFile | None:
    """A file object as events and views carry it; None when it is partial (Slack then
    sends `file_access: check_file_info` and no URL: files.info has the rest)."""
    url = str(found.get("url_private_download") or found.get("url_private") or "")
    if not url or found.get("file_access") == "check_file_info":
        return None
    size = found.get("size")
    return SlackFile(
        id=str(found.get("id", "")),
        name=str(found.get("name") or found.get("title") or "That file")[:80],
        mime=str(found.get("mimetype") or "").lower(),
        size=size if isinstance(size, int) else None,
        url=url,
    )


def check(file: SlackFile) -> None:
    """Refuse what no network takes (its type, its size) before anything is fetched."""
    if file.mime not in SUFFIXES:
        kind = f"a {file.mime}" if file.mime else "a file of unknown type"
        raise Refused(f"{file.name} is {kind}; I can publish {_KINDS}. Nothing was posted.")
    if file.size is not None and file.size > MAX_FILE_BYTES:
        raise Refused(too_big(file.name, file.size))


def too_big(name: str, size: int | None) -> str:
    how_big = f" is {size / 1_000_000:.1f} MB" if size else " is too big"
    return (
        f"{name}{how_big}; the most I take is {MAX_FILE_BYTES // 1_000_000} MB. "
        "Share a smaller one, or put it online and send /post <text> media: https://…"
    )


class SlackMedia:
    """Turns Slack file objects into URLs a publisher can fetch: partial objects completed
    with files.info, each file checked, downloaded from its private URL with the bot token
    of its workspace (https://api.slack.com/types/file#authentication, the `files:read`
    scope) and handed to the bot's media host (our /media route, or Ayrshare's storage).
    The token is only ever sent to Slack's own file hosts, or to the host of the configured
    Web API (a fake in tests)."""

    def __init__(self, messenger: SlackMessenger, host: MediaHost) -> None:
        self._messenger = messenger
        self._host = host
        api = urlsplit(messenger.client.base_url)
        self._api_origin = (api.scheme, api.netloc)

    async def post_media(self, team: str, text: str, objects: list[Any]) -> list[str]:
        """The media of a message saying `text` with these files: hosted when the message
        composes a post (no command, or /post), else none. Raises Refused."""
        command = parse_command(text)
        if not objects or (command is not None and command.name != "post"):
            return []
        return await self.fetch(team, objects)

    async def fetch(self, team: str, objects: list[Any]) -> list[str]:
        """`files`, then `host`: the URLs of these file objects' media. Raises Refused."""
        return await self.host(team, await self.files(team, objects))

    async def files(self, team: str, objects: list[Any]) -> list[SlackFile]:
        """The files of these objects, complete and checked; raises Refused."""
        if len(objects) > MAX_FILES:
            raise Refused(
                f"That is {len(objects)} files; no network takes more than {MAX_FILES} in one "
                "post. Nothing was posted."
            )
        found: list[SlackFile] = []
        for item in objects:
            if not isinstance(item, dict):
                raise Refused("Slack sent a file I can't read; share it again.")
            file = read_file(item) or await self._info(team, str(item.get("id", "")))
            check(file)
            found.append(file)
        return found

    async def host(self, team: str, files: list[SlackFile]) -> list[str]:
        """Each file fetched and re-hosted; its URL for the publisher. Raises Refused."""
        urls: list[str] = []
        for file in files:
            data = await self._download(team, file) if self._host.needs_data else b""
            suffix = SUFFIXES[file.mime]
            filename = (file.id or "slack") + suffix
            try:
                urls.append(await self._host.host(data, filename=filename, mime=file.mime))
            except PublishError as e:
                raise Refused(f"I couldn't store {file.name}: {e.reason}") from None
        return urls

    async def _info(self, team: str, file_id: str) -> SlackFile:
        if not file_id or len(file_id) > 64:
            raise Refused("Slack sent a file I can't read; share it again.")
        try:
            answer = await self._messenger.client.files_info(
                file=file_id, **await self._messenger.auth(team)
            )
        except SlackApiError as e:
            log.warning("slack: files.info refused %s (%s)", file_id, error_code(e))
            raise Refused(
                "Slack wouldn't show me that file (it may be deleted, or in a conversation "
                "I'm not in); share it in our DM. Nothing was posted."
            ) from None
        found = answer.get("file")
        file = read_file(found) if isinstance(found, dict) else None
        if file is None:
            raise Refused("Slack wouldn't give me that file; share it again.")
        return file

    async def table(self, team: str, text: str, objects: list[Any]) -> Upload | None:
        """The one file of a message when it is a table to import (a .csv or .tsv, or any
        file with the text /import), fetched like media; None for anything else. Raises
        Refused (over the import's size cap: never fetched)."""
        command = parse_command(text)
        wanted = command is not None and command.name == "import"
        if len(objects) != 1 or not isinstance(objects[0], dict):
            return None
        file = read_file(objects[0])
        if file is None:
            if not wanted:
                return None  # a partial object: files.info only for a file we know we take
            file = await self._info(team, str(objects[0].get("id", "")))
        if not (wanted or is_table(file.name, file.mime)):
            return None
        if file.size is not None and file.size > MAX_BYTES:
            raise Refused(too_big_table(file.size))
        data = await self._download(team, file, limit=MAX_BYTES)
        return Upload(file.name, data, file.mime)

    async def _download(self, team: str, file: SlackFile, *, limit: int = MAX_FILE_BYTES) -> bytes:
        if not self._trusted(file.url):
            log.warning("slack: file %s is at an unexpected host; not fetched", file.id)
            raise Refused(f"I can't fetch {file.name} from where Slack says it is.")
        auth = await self._messenger.auth(team)
        token = auth.get("token") or self._messenger.client.token or ""
        headers = {"Authorization": f"Bearer {token}"}
        session = self._messenger.client.session
        own = session is None
        if session is None:
            session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        try:
            async with session.get(file.url, headers=headers) as answer:
                # Without a valid token Slack answers its sign-in page (HTML), not the file.
                kind = answer.headers.get("Content-Type", "")
                if answer.status != 200 or kind.startswith("text/html"):
                    log.warning("slack: file %s answered %s %s", file.id, answer.status, kind)
                    raise Refused(f"Slack wouldn't give me {file.name}; share it again.")
                data = bytearray()
                async for chunk in answer.content.iter_chunked(_CHUNK):
                    data += chunk
                    if len(data) > limit:
                        raise Refused(
                            too_big(file.name, None)
                            if limit == MAX_FILE_BYTES
                            else too_big_table(len(data))
                        )
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError) as e:
            log.warning("slack: fetching file %s failed (%s)", file.id, type(e).__name__)
            raise Refused(f"I couldn't fetch {file.name} from Slack; share it again.") from None
        finally:
            if own:
                await session.close()

    def _trusted(self, url: str) -> bool:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) == self._api_origin:
            return True
        host = parts.hostname or ""
        return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))
