"""A fake Slack Web API on 127.0.0.1 (aiohttp: slack_sdk's async client speaks real HTTP),
checking Block Kit limits as Slack does and recording every call and response_url answer."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.slack_oauth import BOT_USER, oauth_v2_access

__all__ = [
    "APP_TOKEN",
    "BOT_TOKEN",
    "BOT_USER",
    "TEAM",
    "Call",
    "FakeSlackAPI",
    "Posted",
    "Shared",
    "SlackPace",
]

BOT_TOKEN = "xoxb-1111-2222-fake-slack-bot-token"
APP_TOKEN = "xapp-1-A0POSTROOM-fake-app-level-token"  # Socket Mode's apps.connections.open
TEAM = "T0TEAM"

JSON = dict[str, Any]

# https://api.slack.com/reference/block-kit/blocks and /block-elements#button
_MAX_BLOCKS = 50
_SECTION_TEXT = 3000
_MAX_FIELDS = 10
_FIELD_TEXT = 2000
_ACTIONS = 25
_BUTTON_TEXT = 75
_ACTION_ID = 255
_VALUE = 2000
# https://api.slack.com/reference/surfaces/views, /block-elements#checkboxes and
# https://api.slack.com/interactivity/handling#modal_responses (a trigger_id: 3 s, once).
_VIEW_BLOCKS = 100
_CHECKBOXES = 10
_MAX_FILES = 10  # https://api.slack.com/reference/block-kit/block-elements#file_input
TRIGGER_SECONDS = 3.0


@dataclass
class Call:
    method: str
    args: JSON
    token: str = ""  # the bearer token the call was made with
    port: int = 0  # the client's port: calls over one kept-alive connection share it


@dataclass
class Posted:
    """A message as a channel shows it now (chat.update changes it in place)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSON]
    edits: int = 0
    history: list[list[JSON]] = field(default_factory=list)

    @property
    def shown(self) -> str:
        """The message's section texts and fields, one per line."""
        return "\n".join(_texts(self.blocks))

    @property
    def buttons(self) -> list[JSON]:
        return [e for b in self.blocks if b["type"] == "actions" for e in b["elements"]]

    def button(self, label_part: str) -> JSON:
        found = [b for b in self.buttons if label_part in b["text"]["text"]]
        assert found, (
            f"no button with {label_part!r} in {[b['text']['text'] for b in self.buttons]}"
        )
        return found[0]


@dataclass
class Shared:
    """A file shared in a channel by files.completeUploadExternal, with the bytes uploaded."""

    channel: str
    file_id: str
    filename: str
    title: str
    alt_txt: str
    data: bytes
    initial_comment: str


@dataclass
class SlackPace:
    """Slack's per-channel pace for messages (chat.postMessage and file shares): about one
    per second per channel with short bursts (https://api.slack.com/apis/rate-limits#special),
    as a generic cell rate on `clock`; over it, a 429 with Retry-After."""

    interval: float = 1.0
    burst: int = 3
    clock: Any = time.monotonic
    _next: dict[str, float] = field(default_factory=dict)
    refused: int = 0

    def retry_after(self, channel: str) -> int:
        """0 when a message may go now (and it is counted), else the seconds to wait."""
        now = self.clock()
        slot = max(self._next.get(channel, now), now)
        early = slot - self.interval * (self.burst - 1) - now
        if early > 0:
            self.refused += 1
            return max(1, math.ceil(early))
        self._next[channel] = slot + self.interval
        return 0


def invalid_blocks(blocks: Any) -> str | None:
    """Why Slack would refuse these blocks, or None."""
    if not isinstance(blocks, list) or len(blocks) > _MAX_BLOCKS:
        return "more than 50 blocks"
    action_ids: set[str] = set()
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            text = block.get("text")
            if text is not None and not 1 <= len(text.get("text", "")) <= _SECTION_TEXT:
                return "section text not 1-3000 characters"
            fields = block.get("fields", [])
            if len(fields) > _MAX_FIELDS or any(len(f["text"]) > _FIELD_TEXT for f in fields):
                return "section fields over limits"
            if text is None and not fields:
                return "a section needs text or fields"
        elif kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= _ACTIONS:
                return "actions block not 1-25 elements"
            for element in elements:
                action_id = element.get("action_id", "")
                if (
                    not 1 <= len(element["text"]["text"]) <= _BUTTON_TEXT
                    or len(action_id) > _ACTION_ID
                    or len(element.get("value", "")) > _VALUE
                    or action_id in action_ids
                ):
                    return "button over limits or action_id repeated"
                action_ids.add(action_id)
        else:
            return f"block type {kind!r} not expected"
    return None


class FakeSlackAPI:
    """auth.test, chat.postMessage, chat.update, chat.postEphemeral, conversations.open,
    views.open (trigger_ids it issued: 3 s, once), views.update and views.publish, the upload
    v2 methods (files.getUploadURLExternal, the upload URL it hands out, served here,
    files.completeUploadExternal), files.info and shared files' private URLs (`add_file`);
    and `/hooks/<id>` for response_url answers. `members` lists
    channels the bot is in (None: all); `pace` (None: off) answers 429 over Slack's pace."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Posted] = {}
        self.responses: list[tuple[str, JSON]] = []  # (hook id, body) per response_url answer
        self.responded = asyncio.Event()  # set by each response_url answer
        self.ephemerals: list[JSON] = []
        self.members: set[str] | None = None
        self.rate_limit_next = 0  # this many next calls get 429 Retry-After: 2
        self.teams: dict[str, str] = {BOT_TOKEN: TEAM}  # bot token → its workspace
        self.enterprises: dict[str, str] = {}  # bot token → its Enterprise Grid org
        self.client = ("1111.2222", "fake-client-secret")  # for oauth.v2.access
        self.codes_used: set[str] = set()  # an OAuth code works once
        # Token rotation (https://api.slack.com/authentication/rotation), off while None:
        # installs then hand out bot tokens lasting this many seconds with a refresh token,
        # which oauth.v2.access exchanges once (grant_type=refresh_token) for a new pair
        # lasting `rotated_expires_in`. Expiry is on the wall clock, as slack_sdk reads it.
        self.expires_in: int | None = None
        self.rotated_expires_in = 43200
        self.refresh_tokens: dict[str, str] = {}  # refresh token → the bot token it renews
        self.expiry: dict[str, float] = {}  # expiring bot token → when it stops working
        self.wall: Callable[[], float] = time.time
        self.issued = itertools.count(1)  # numbers the tokens it hands out
        self.socket_url = ""  # what apps.connections.open answers (tests.fakes.slack_socket)
        self.upload_rate_limit_next = 0  # the same for uploads to the upload URL
        self.pace: SlackPace | None = None
        self.shared: list[Shared] = []
        self.uploads: dict[str, JSON] = {}  # file id → what getUploadURLExternal was told
        self.limited = 0  # 429 answers given
        # Called with each API method as its request arrives (tests: a slow network on
        # virtual time).
        self.arriving: Callable[[str], None] | None = None
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        # trigger_ids this fake issued (to the driver's requests), when, and whether used;
        # `clock` is injectable so a test can let one expire without sleeping.
        self.clock: Callable[[], float] = time.monotonic
        self._triggers: dict[str, tuple[float, bool]] = {}
        self.views: dict[str, JSON] = {}  # open modals by view id (views.open/update)
        self.homes: dict[str, JSON] = {}  # each user's App Home (views.publish)
        self.files: dict[str, tuple[JSON, bytes]] = {}  # file id → its object and bytes
        self.hold_downloads: asyncio.Event | None = None  # downloads wait until it is set
        self._view_ids = itertools.count(1)
        # users.info: the workspace admins and owners (https://api.slack.com/types/user:
        # is_admin, is_owner); every other user id is a plain member.
        self.admins: set[str] = set()
        self.owners: set[str] = set()

    def new_trigger(self) -> str:
        """A trigger_id as Slack puts in an interaction, valid for 3 s and one use."""
        trigger = f"{len(self._triggers) + 1}.1111.{'%08x' % (len(self._triggers) * 7919)}"
        self._triggers[trigger] = (self.clock(), False)
        return trigger

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def hook(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack_sdk GETs files.info
        app.router.add_post("/hooks/{name}", self._hook)
        app.router.add_post("/upload/v1/{file_id}", self._upload)
        app.router.add_get("/files-pri/{team}-{file_id}/{name}", self._download)
        self._runner, port = await serve_local(app)
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def add_file(
        self, name: str, mimetype: str, data: bytes, *, size: int | None = None, team: str = TEAM
    ) -> JSON:
        """A file someone shared, as https://api.slack.com/types/file describes it: its
        bytes at `url_private` for a request with a bot token of its workspace."""
        file_id = f"F{next(self._ts):08d}"
        url = f"{self.url}/files-pri/{team}-{file_id}/{name}"
        found: JSON = {
            "id": file_id,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": name.rpartition(".")[2],
            "size": len(data) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
        }
        self.files[file_id] = (found, data)
        return found

    # --- what tests read ---------------------------------------------------------------------

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def in_channel(self, channel: str) -> list[Posted]:
        return [m for (c, _), m in self.messages.items() if c == channel]

    def last(self, channel: str) -> Posted:
        found = self.in_channel(channel)
        assert found, f"nothing posted in {channel}"
        return found[-1]

    def answered(self, channel: str, index: int = -1) -> Posted:
        """A response_url answer as the ephemeral message the user sees in `channel`."""
        assert self.responses, "no response_url answer"
        _, body = self.responses[index]
        return Posted(channel, "", str(body.get("text", "")), list(body.get("blocks") or []))

    def answers(self) -> Iterator[str]:
        """The text of every response_url answer, in order."""
        for _, body in self.responses:
            yield "\n".join(_texts(body.get("blocks") or [])) or str(body.get("text", ""))

    # --- the wire ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.calls.append(Call(method, args, token, peer[1] if peer else 0))
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return self._limited(2)
        if method == "oauth.v2.access":  # client credentials, not a bearer token
            return web.json_response(oauth_v2_access(self, auth, args))
        if method == "apps.connections.open" and token == APP_TOKEN:
            return web.json_response({"ok": True, "url": self.socket_url})
        if not token:  # Slack's two answers for a missing and a wrong token
            return _error("not_authed")
        if token not in self.teams:
            return _error("invalid_auth")
        if token in self.expiry and self.wall() >= self.expiry[token]:
            return _error("token_expired")
        if self.arriving is not None:
            self.arriving(method)
        if self.pace is not None and method in _PACED:
            wait = self.pace.retry_after(str(args.get("channel") or args.get("channel_id")))
            if wait:
                return self._limited(wait)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return _error("unknown_method")
        result: JSON = handler(args)
        return web.json_response(result)

    def _limited(self, seconds: int) -> web.Response:
        self.limited += 1
        return web.json_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(seconds)},
        )

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the file's bytes as the POST body, no token (the URL is the
        credential), exactly as many bytes as `length` promised."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}))
        if self.upload_rate_limit_next > 0:
            self.upload_rate_limit_next -= 1
            return self._limited(2)
        pending = self.uploads.get(file_id)
        if pending is None:
            return web.Response(status=404, text="unknown upload")
        if len(data) != pending["length"]:
            return web.Response(status=400, text="length mismatch")
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        """A file's private URL: its bytes for a bot token of its workspace; otherwise Slack
        answers with its sign-in page (HTML, status 200), not an error."""
        file_id, team = request.match_info["file_id"], request.match_info["team"]
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append(Call("download", {"file": file_id}, token))
        if self.hold_downloads is not None:
            await self.hold_downloads.wait()
        found = self.files.get(file_id)
        if found is None or self.teams.get(token) != team:
            return web.Response(
                text="<!DOCTYPE html><title>Sign in</title>", content_type="text/html"
            )
        return web.Response(body=found[1], content_type=str(found[0]["mimetype"]))

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "blocks" in body and invalid_blocks(body["blocks"]) is not None:
            return web.Response(status=400, text="invalid_blocks")
        self.responses.append((request.match_info["name"], body))
        self.responded.set()
        return web.Response(text="ok")

    def _auth_test(self, args: JSON) -> JSON:
        token = self.calls[-1].token
        team = self.teams[token]
        answer: JSON = {
            "ok": True,
            "team": "Acme" if team == TEAM else f"Team {team}",
            "team_id": team,
            "user": "postroom",
            "user_id": BOT_USER,
            "bot_id": "B0BOT",
            "url": "https://acme.slack.com/",
        }
        if token in self.enterprises:  # https://api.slack.com/methods/auth.test on Grid
            org = self.enterprises[token]
            answer |= {"enterprise_id": org, "is_enterprise_install": not team}
            if not team:
                answer["team"] = f"Org {org}"
        return answer

    def _chat_postMessage(self, args: JSON) -> JSON:
        channel = str(args.get("channel", ""))
        if self.members is not None and channel not in self.members:
            return {"ok": False, "error": "not_in_channel"}
        if (problem := self._check(args)) is not None:
            return problem
        ts = f"1795000000.{next(self._ts):06d}"
        self.messages[(channel, ts)] = Posted(
            channel, ts, str(args.get("text", "")), list(args.get("blocks") or [])
        )
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text")}}

    def _chat_update(self, args: JSON) -> JSON:
        key = (str(args.get("channel", "")), str(args.get("ts", "")))
        message = self.messages.get(key)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        if (problem := self._check(args)) is not None:
            return problem
        message.history.append(message.blocks)
        message.text, message.blocks = str(args.get("text", "")), list(args.get("blocks") or [])
        message.edits += 1
        return {"ok": True, "channel": key[0], "ts": key[1]}

    def _chat_postEphemeral(self, args: JSON) -> JSON:
        channel = str(args.get("channel", ""))
        if self.members is not None and channel not in self.members:
            return {"ok": False, "error": "not_in_channel"}
        if (problem := self._check(args)) is not None:
            return problem
        self.ephemerals.append(args)
        return {"ok": True, "message_ts": f"1795000000.{next(self._ts):06d}"}

    def _conversations_open(self, args: JSON) -> JSON:
        user = str(args.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + user.removeprefix("U")}}

    def _views_open(self, args: JSON) -> JSON:
        trigger = str(args.get("trigger_id", ""))
        issued = self._triggers.get(trigger)
        if issued is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        at, used = issued
        if used:
            return {"ok": False, "error": "exchanged_trigger_id"}
        self._triggers[trigger] = (at, True)
        if self.clock() - at > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        view = _view(args)
        if (problem := invalid_view(view)) is not None:
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        view["id"] = f"V{next(self._view_ids):08d}"
        view["hash"] = f"{view['id']}.h"
        self.views[view["id"]] = view
        return {"ok": True, "view": view}

    def _views_update(self, args: JSON) -> JSON:
        key = str(args.get("view_id", ""))
        if key not in self.views:
            return {"ok": False, "error": "not_found"}
        view = _view(args)
        if (problem := invalid_view(view)) is not None:
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        view["id"] = key
        self.views[key] = view
        return {"ok": True, "view": view}

    def _views_publish(self, args: JSON) -> JSON:
        view = _view(args)
        if view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments", "detail": "not a home view"}
        if (problem := invalid_view(view)) is not None:
            return {"ok": False, "error": "invalid_arguments", "detail": problem}
        user = str(args.get("user_id", ""))
        view["id"] = f"VHOME{user}"
        self.homes[user] = view
        return {"ok": True, "view": view}

    def _files_info(self, args: JSON) -> JSON:
        found = self.files.get(str(args.get("file", "")))
        if found is None:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "file": found[0]}

    def _files_getUploadURLExternal(self, args: JSON) -> JSON:
        # https://api.slack.com/methods/files.getUploadURLExternal: filename and length
        # (bytes) are required.
        filename, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not filename or not length.isdigit() or int(length) < 1:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        self.uploads[file_id] = {
            "filename": filename,
            "length": int(length),
            "alt_txt": str(args.get("alt_txt") or ""),
            "data": None,
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, args: JSON) -> JSON:
        # https://api.slack.com/methods/files.completeUploadExternal: `files` is a JSON
        # array of {id, title}; with channel_id the files are shared there.
        try:
            files = json.loads(str(args.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(args.get("channel_id") or "")
        if channel and self.members is not None and channel not in self.members:
            return {"ok": False, "error": "not_in_channel"}
        found = []
        for f in files:
            pending = self.uploads.get(str(f.get("id")))
            if pending is None or pending["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            found.append((str(f["id"]), str(f.get("title") or pending["filename"]), pending))
        answer = []
        for file_id, title, pending in found:
            del self.uploads[file_id]
            if channel:
                self.shared.append(
                    Shared(
                        channel,
                        file_id,
                        pending["filename"],
                        title,
                        pending["alt_txt"],
                        pending["data"],
                        str(args.get("initial_comment") or ""),
                    )
                )
            answer.append({"id": file_id, "name": pending["filename"], "title": title})
        return {"ok": True, "files": answer}

    def _users_info(self, args: JSON) -> JSON:
        user = str(args.get("user", ""))
        if not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": user,
                "team_id": TEAM,
                "name": user.lower(),
                "deleted": False,
                "is_bot": False,
                "is_admin": user in self.admins or user in self.owners,
                "is_owner": user in self.owners,
                "is_primary_owner": False,
            },
        }

    def _check(self, args: JSON) -> JSON | None:
        blocks = args.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if blocks is not None and invalid_blocks(blocks) is not None:
            return {"ok": False, "error": "invalid_blocks"}
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        return None


async def serve_local(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve `app` on 127.0.0.1, on a port the system picks; the runner and that port."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server = site._server
    assert server is not None
    return runner, server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]


def invalid_view(view: JSON) -> str | None:
    """Why Slack would refuse this modal or Home view, or None."""
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or len(blocks) > _VIEW_BLOCKS:
        return "more than 100 blocks"
    if len(str(view.get("private_metadata", ""))) > 3000:
        return "private_metadata over 3000 characters"
    for block in blocks:
        element = block.get("element") or {}
        if element.get("type") == "checkboxes" and not (
            1 <= len(element.get("options", [])) <= _CHECKBOXES
        ):
            return "checkboxes not 1-10 options"
        if element.get("type") == "file_input" and not (
            1 <= element.get("max_files", 10) <= _MAX_FILES and block.get("type") == "input"
        ):
            return "file_input not in an input block, or max_files not 1-10"
    return None


def _view(args: JSON) -> JSON:
    view = args.get("view")
    found = json.loads(view) if isinstance(view, str) else view
    return dict(found) if isinstance(found, dict) else {}


# Methods that post a message in a channel, paced per channel when `pace` is set.
_PACED = frozenset({"chat.postMessage", "files.completeUploadExternal"})


async def _args(request: web.Request) -> JSON:
    raw = await request.read()
    query = dict(request.query)  # slack_sdk sends some methods' arguments as the query
    if request.content_type == "application/json":
        data = json.loads(raw or b"{}")
        return query | (data if isinstance(data, dict) else {})
    return query | dict(parse_qsl(raw.decode()))


def _error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


def _texts(blocks: list[JSON]) -> Iterator[str]:
    for block in blocks:
        if block.get("type") != "section":
            continue
        if block.get("text"):
            yield block["text"]["text"]
        for f in block.get("fields", []):
            yield f["text"]
