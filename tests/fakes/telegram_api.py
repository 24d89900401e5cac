"""An in-process fake of the Telegram Bot API (ASGI) that checks and records every call."""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import html
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tests.fakes.telegram_stars import FakeStars, StarsError

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "TOKEN",
    "Call",
    "FakeMessage",
    "FakeTelegramAPI",
    "Note",
    "transcript",
]

TOKEN = "123456789:AAF-test-token_for-the-fake"
BOT_ID = 123456789
BOT_USERNAME = "PostroomBot"
EPOCH = 1_795_000_000  # message dates count up from here; no real clock

JSON = dict[str, Any]

# Fields PTB sends as plain strings; every other field is JSON-encoded (objects, numbers).
_TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "description",
        "short_description",
        "secret_token",
        "url",
        "file_id",
        "parse_mode",
        "photo",
        "language_code",
        "title",
        "payload",
        "currency",
        "provider_token",
        "pre_checkout_query_id",
        "error_message",
        "telegram_payment_charge_id",
    }
)
_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"tg-spoiler", "span", "blockquote", "tg-emoji"}
)
_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z-]*)((?:\s+[a-z-]+=\"[^\"]*\")*)\s*>|([^<]+)|(<)")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
MAX_DOWNLOAD = 20_000_000
# Telegram: "avoid sending more than 30 messages per second" to different chats
# (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this). The fake
# counts strictly, over any one-second window, every call that puts or changes a message.
MESSAGES_PER_SECOND = 30
_MESSAGE_CALLS = ("send", "edit", "copy", "forward")


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API call as received: form fields decoded, uploaded files apart."""

    method: str
    params: JSON
    files: dict[str, bytes] = field(default_factory=dict)
    error: str | None = None  # the description of the error answered, if any
    result: Any = None
    at: float = 0.0  # the fake's clock when the call arrived


@dataclass(frozen=True, slots=True)
class Note:
    """Something a test's user did (for transcripts): said text, sent a photo, tapped."""

    who: str
    text: str


@dataclass(slots=True)
class FakeMessage:
    chat_id: int
    message_id: int
    text: str  # as the user sees it: tags removed, entities decoded (the caption for photos)
    markup: JSON | None = None
    photo: bytes | None = None
    edits: int = 0
    document: bytes | None = None  # a file the bot sent (sendDocument)
    filename: str = ""

    def buttons(self) -> list[JSON]:
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def labels(self) -> list[str]:
        return [str(b["text"]) for b in self.buttons()]


@dataclass(slots=True)
class _File:
    file_id: str
    unique_id: str
    data: bytes
    size: int


@dataclass(frozen=True, slots=True)
class _Scripted:
    code: int
    description: str
    parameters: JSON | None


class FakeTelegramAPI:
    """Answers /bot<token>/<method> like the Bot API and /file/bot<token>/<path> with file
    bytes, enforcing the limits that make the real API refuse a call (text length, HTML,
    keyboard size, callback data, double answers), so a test fails where Telegram would."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        username: str = BOT_USERNAME,
        clock: Callable[[], float] = time.monotonic,
        flood_limit: int | None = MESSAGES_PER_SECOND,
    ) -> None:
        self.token = token
        self.username = username
        self.clock = clock  # share the rate limiter's virtual clock in tests
        self.flood_limit = flood_limit  # None: no limit (a test that sends unpaced on purpose)
        self._delivered: deque[float] = deque()  # message calls of the last second
        self.log: list[Call | Note] = []
        self.messages: dict[tuple[int, int], FakeMessage] = {}
        self.chats: dict[int, JSON] = {}
        self.admins: set[tuple[int, int]] = set()  # (chat_id, user_id)
        self.migrated: dict[int, int] = {}
        self.webhook: JSON = {}
        self.webhook_error: str | None = None  # getWebhookInfo's last_error_message
        self.commands: list[JSON] = []
        self.files: dict[str, _File] = {}
        self.queries: dict[str, int] = {}  # callback query id -> times answered
        self._next_ids: dict[int, Iterator[int]] = {}
        self._scripts: dict[str, deque[_Scripted]] = {}
        self._updates: list[JSON] = []
        self._new_update = asyncio.Event()
        self.stars = FakeStars(lambda: self.clock())

    # --- test controls -----------------------------------------------------------------------

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.ASGITransport(app=self)

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up per chat, shared by the users' and the bot's messages."""
        counter = self._next_ids.setdefault(chat_id, itertools.count(100))
        return next(counter)

    def add_chat(self, chat: JSON) -> None:
        self.chats[int(chat["id"])] = chat

    def add_file(self, file_id: str, unique_id: str, data: bytes, size: int | None = None) -> None:
        self.files[file_id] = _File(file_id, unique_id, data, len(data) if size is None else size)

    def expect_query(self, query_id: str) -> None:
        """A callback query a user just made; answering it twice, or an unknown id, fails."""
        self.queries[query_id] = 0

    def migrate(self, old_chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: calls to the old id now fail with its new id."""
        self.migrated[old_chat_id] = new_chat_id

    def fail_next(
        self,
        method: str,
        *,
        code: int = 400,
        description: str = "Bad Request",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        scripted = _Scripted(code, description, parameters)
        self._scripts.setdefault(method, deque()).extend([scripted] * times)

    def queue_update(self, update: JSON) -> None:
        """An update for getUpdates (long polling)."""
        self._updates.append(update)
        self._new_update.set()

    def note(self, who: str, text: str) -> None:
        self.log.append(Note(who, text))

    @property
    def calls(self) -> list[Call]:
        return [entry for entry in self.log if isinstance(entry, Call)]

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and c.error is None]

    def chat_messages(self, chat_id: int) -> list[FakeMessage]:
        """The bot's messages in a chat, oldest first."""
        found = [m for (c, _), m in self.messages.items() if c == chat_id]
        return sorted(found, key=lambda m: m.message_id)

    # --- ASGI --------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        if path.startswith(f"/file/bot{self.token}/"):
            found = next((f for f in self.files.values() if path.endswith("/" + _path(f))), None)
            response = Response(found.data if found else b"Not Found", 200 if found else 404)
            await response(scope, receive, send)
            return
        prefix, _, method = path.rpartition("/")
        if prefix != f"/bot{self.token}":
            answer: JSON = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            await Response(json.dumps(answer), 401)(scope, receive, send)
            return
        params, files = _decode(await request.body(), request.headers.get("content-type", ""))
        at = self.clock()
        try:
            scripts = self._scripts.get(method)
            if scripts:
                scripted = scripts.popleft()
                raise ApiError(scripted.code, scripted.description, scripted.parameters)
            if method.startswith(_MESSAGE_CALLS):
                self._flood_check(at)
            try:
                result = await self._handle(method, params, files)
            except StarsError as e:
                raise ApiError(e.code, e.description) from None
        except ApiError as e:
            self.log.append(Call(method, params, files, e.description, at=at))
            answer = {"ok": False, "error_code": e.code, "description": e.description}
            if e.parameters:
                answer["parameters"] = e.parameters
            await Response(json.dumps(answer), e.code)(scope, receive, send)
            return
        if method != "getUpdates" or result:
            self.log.append(Call(method, params, files, result=result, at=at))
        body = json.dumps({"ok": True, "result": result})
        await Response(body, 200, media_type="application/json")(scope, receive, send)

    def _flood_check(self, now: float) -> None:
        """The 31st message call within one second is refused with a 429, as Telegram does."""
        if self.flood_limit is None:
            return
        while self._delivered and self._delivered[0] <= now - 1.0:
            self._delivered.popleft()
        if len(self._delivered) >= self.flood_limit:
            retry = max(1, math.ceil(self._delivered[0] + 1.0 - now))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._delivered.append(now)

    def refused_for_flood(self) -> list[Call]:
        return [c for c in self.calls if c.error and c.error.startswith("Too Many Requests")]

    # --- methods -----------------------------------------------------------------------------

    async def _handle(self, method: str, p: JSON, files: dict[str, bytes]) -> Any:
        match method:
            case "getMe":
                return self._me()
            case "setMyCommands":
                self.commands = list(p.get("commands", []))
                return True
            case "setMyDescription" | "setMyShortDescription":
                limit = 512 if method == "setMyDescription" else 120
                key = "description" if method == "setMyDescription" else "short_description"
                if len(str(p.get(key, ""))) > limit:
                    raise ApiError(400, "Bad Request: description is too long")
                return True
            case "setWebhook":
                self.webhook = dict(p)
                return True
            case "deleteWebhook":
                self.webhook = {}
                return True
            case "getWebhookInfo":
                return self._webhook_info()
            case "getUpdates":
                return await self._get_updates(p)
            case "sendMessage":
                return self._send_message(p)
            case "sendPhoto":
                return self._send_photo(p, files)
            case "sendDocument":
                return self._send_document(p, files)
            case "editMessageText":
                return self._edit_text(p)
            case "editMessageCaption":
                return self._edit_caption(p)
            case "editMessageMedia":
                return self._edit_media(p, files)
            case "answerCallbackQuery":
                return self._answer(p)
            case "getFile":
                return self._get_file(p)
            case "getChatMember":
                return self._chat_member(p)
            case "createInvoiceLink":
                return self.stars.create_invoice_link(p)
            case "answerPreCheckoutQuery":
                return self.stars.answer_pre_checkout(p)
            case "refundStarPayment":
                return self.stars.refund(p)
            case "editUserStarSubscription":
                return self.stars.edit_subscription(p)
        raise ApiError(404, "Not Found")

    def _me(self) -> JSON:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Postroom",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _webhook_info(self) -> JSON:
        info: JSON = {
            "url": str(self.webhook.get("url", "")),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_error is not None:
            info |= {"last_error_date": EPOCH, "last_error_message": self.webhook_error}
        return info

    async def _get_updates(self, p: JSON) -> list[JSON]:
        offset = int(p.get("offset", 0) or 0)
        timeout = float(p.get("timeout", 0) or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            # Long polling: hold the call until news arrives (the poller cancels it on stop).
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return list(self._updates)

    def _chat_id(self, p: JSON) -> int:
        chat_id = int(p["chat_id"])
        if chat_id in self.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.migrated[chat_id]},
            )
        return chat_id

    def _chat(self, chat_id: int) -> JSON:
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": "A group"}

    def message_json(self, message: FakeMessage, *, edited: bool = False) -> JSON:
        data: JSON = {
            "message_id": message.message_id,
            "date": EPOCH + message.message_id,
            "chat": self._chat(message.chat_id),
            "from": self._me(),
        }
        if message.photo is not None:
            data["photo"] = [
                {
                    "file_id": f"photo-{message.chat_id}-{message.message_id}",
                    "file_unique_id": f"u{message.message_id}",
                    "width": 1280,
                    "height": 720,
                    "file_size": len(message.photo),
                }
            ]
            if message.text:
                data["caption"] = message.text
        elif message.document is not None:
            data["document"] = {
                "file_id": f"doc-{message.chat_id}-{message.message_id}",
                "file_unique_id": f"d{message.message_id}",
                "file_name": message.filename,
                "file_size": len(message.document),
            }
            if message.text:
                data["caption"] = message.text
        else:
            data["text"] = message.text
        if message.markup:
            data["reply_markup"] = message.markup
        if edited:
            data["edit_date"] = EPOCH + 10_000 + message.edits
        return data

    def _send_message(self, p: JSON) -> JSON:
        chat_id = self._chat_id(p)
        text = _parsed(p, "text")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _units(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _markup(p)
        message = FakeMessage(chat_id, self.next_message_id(chat_id), text, markup)
        self.messages[(chat_id, message.message_id)] = message
        return self.message_json(message)

    def _send_photo(self, p: JSON, files: dict[str, bytes]) -> JSON:
        chat_id = self._chat_id(p)
        data = files.get("photo")
        if not data:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        _check_photo(data)
        caption = _parsed(p, "caption")
        if _units(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _markup(p)
        message = FakeMessage(chat_id, self.next_message_id(chat_id), caption, markup, data)
        self.messages[(chat_id, message.message_id)] = message
        return self.message_json(message)

    def _send_document(self, p: JSON, files: dict[str, bytes]) -> JSON:
        # https://core.telegram.org/bots/api#senddocument: up to 50 MB, a caption of 1,024.
        chat_id = self._chat_id(p)
        data = files.get("document")
        if not data:
            raise ApiError(400, "Bad Request: there is no document in the request")
        if len(data) > 50_000_000:
            raise ApiError(413, "Request Entity Too Large")
        caption = _parsed(p, "caption")
        if _units(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        message = FakeMessage(chat_id, self.next_message_id(chat_id), caption, _markup(p))
        message.document, message.filename = data, str(p.get("document:filename", ""))
        self.messages[(chat_id, message.message_id)] = message
        return self.message_json(message)

    def _target(self, p: JSON) -> FakeMessage:
        chat_id = self._chat_id(p)
        found = self.messages.get((chat_id, int(p["message_id"])))
        if found is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return found

    def _edit_text(self, p: JSON) -> JSON:
        message = self._target(p)
        if message.photo is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text = _parsed(p, "text")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if _units(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        markup = _markup(p)
        if (text, markup) == (message.text, message.markup):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.markup = text, markup
        message.edits += 1
        return self.message_json(message, edited=True)

    def _edit_caption(self, p: JSON) -> JSON:
        message = self._target(p)
        if message.photo is None:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        caption = _parsed(p, "caption")
        if _units(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _markup(p)
        if (caption, markup) == (message.text, message.markup):
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.markup = caption, markup
        message.edits += 1
        return self.message_json(message, edited=True)

    def _edit_media(self, p: JSON, files: dict[str, bytes]) -> JSON:
        message = self._target(p)
        if message.photo is None:
            raise ApiError(400, "Bad Request: there is no media in the message to edit")
        media = p.get("media")
        if not isinstance(media, dict) or media.get("type") != "photo":
            raise ApiError(400, "Bad Request: can't parse InputMedia")
        attached = str(media.get("media", "")).removeprefix("attach://")
        if attached not in files:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption = _parsed(media, "caption")
        if _units(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        message.photo, message.text, message.markup = files[attached], caption, _markup(p)
        message.edits += 1
        return self.message_json(message, edited=True)

    def _answer(self, p: JSON) -> bool:
        query = str(p.get("callback_query_id", ""))
        if self.queries.get(query, 1) != 0:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        if len(str(p.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.queries[query] += 1
        return True

    def _get_file(self, p: JSON) -> JSON:
        found = self.files.get(str(p.get("file_id", "")))
        if found is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if found.size > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": found.file_id,
            "file_unique_id": found.unique_id,
            "file_size": found.size,
            "file_path": _path(found),
        }

    def _chat_member(self, p: JSON) -> JSON:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        status = "administrator" if (chat_id, user_id) in self.admins else "member"
        member: JSON = {
            "status": status,
            "user": {"id": user_id, "is_bot": False, "first_name": "Member"},
        }
        if status == "administrator":
            member |= {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": True,
                "can_edit_stories": True,
                "can_delete_stories": True,
            }
        return member


def _path(found: _File) -> str:
    return f"photos/{found.unique_id}.jpg"


def _decode(body: bytes, content_type: str) -> tuple[JSON, dict[str, bytes]]:
    """Form fields (JSON-encoded ones decoded) and uploaded files, as PTB sends them."""
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if content_type.startswith("multipart/form-data"):
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            assert isinstance(name, str) and isinstance(payload, bytes)
            if part.get_filename() is not None:
                files[name] = payload
                # The name the file was sent as, for tests to read (not a Bot API field).
                fields[f"{name}:filename"] = json.dumps(part.get_filename())
            else:
                fields[name] = payload.decode()
    elif body:
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
    params: JSON = {}
    for name, raw in fields.items():
        if name in _TEXT_FIELDS:
            params[name] = raw
            continue
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params, files


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _parsed(p: JSON, key: str) -> str:
    """The text as Telegram shows it; refuses HTML Telegram would not parse."""
    raw = str(p.get(key, "") or "")
    if p.get("parse_mode") != "HTML":
        return raw
    open_tags: list[str] = []
    plain: list[str] = []
    for m in _TOKEN.finditer(raw):
        closing, tag, attrs, text, stray = m.groups()
        if stray is not None:
            raise ApiError(400, "Bad Request: can't parse entities: unexpected < in text")
        if text is not None:
            if ">" in text or "&" in _ENTITY.sub("", text):
                raise ApiError(400, "Bad Request: can't parse entities: unescaped & or >")
            plain.append(html.unescape(text))
            continue
        tag = tag.lower()
        if tag not in _TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        if closing:
            if not open_tags or open_tags.pop() != tag:
                raise ApiError(
                    400, f'Bad Request: can\'t parse entities: unexpected end tag "{tag}"'
                )
        else:
            if tag == "a":
                href = re.search(r'href="([^"]*)"', attrs or "")
                if href is None or not urlsplit(html.unescape(href.group(1))).scheme:
                    raise ApiError(400, "Bad Request: can't parse entities: bad link")
            open_tags.append(tag)
    if open_tags:
        raise ApiError(400, f"Bad Request: can't parse entities: unclosed tag {open_tags[-1]}")
    return "".join(plain)


def _markup(p: JSON) -> JSON | None:
    markup = p.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    total = 0
    for row in rows:
        if len(row) > 8:
            raise ApiError(400, "Bad Request: too many buttons in a row")
        for button in row:
            total += 1
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data, url = button.get("callback_data"), button.get("url")
            if (data is None) == (url is None):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if url is not None:
                parts = urlsplit(str(url))
                host = parts.hostname or ""
                if parts.scheme not in ("http", "https", "tg") or (
                    parts.scheme != "tg" and ("." not in host or host == "localhost")
                ):
                    raise ApiError(
                        400, f"Bad Request: inline keyboard button URL '{url}' is invalid"
                    )
    if total > 100:
        raise ApiError(400, "Bad Request: reply markup is too long")
    return markup if rows else None


# --- transcripts ------------------------------------------------------------------------------

_QUIET = frozenset({"getMe", "setMyCommands", "setMyDescription", "setMyShortDescription"})


def transcript(log: list[Call | Note], *, quiet: frozenset[str] = _QUIET) -> str:
    """The recorded calls as a chat a person can read: what users did, what the bot sent
    (with its buttons), which message it edited, and the answers to taps."""
    out: list[str] = []
    for entry in log:
        if isinstance(entry, Note):
            out.append(f"{entry.who}: {entry.text}")
            continue
        if entry.method in quiet or entry.method == "getUpdates":
            continue
        p = entry.params
        if entry.error is not None:
            out.append(f"   ! {entry.method} refused: {entry.error}")
            continue
        match entry.method:
            case "sendDocument":
                out.append(f"bot → #{entry.result['message_id']}: [file]")
                out[-1] += _shown(_parsed_quietly(p, "caption"), p.get("reply_markup"))
            case "sendMessage" | "sendPhoto":
                photo = "[photo] " if entry.method == "sendPhoto" else ""
                key = "text" if entry.method == "sendMessage" else "caption"
                out.append(f"bot → #{entry.result['message_id']}: {photo}")
                out[-1] += _shown(_parsed_quietly(p, key), p.get("reply_markup"))
            case "editMessageText" | "editMessageCaption":
                key = "text" if entry.method == "editMessageText" else "caption"
                out.append(f"bot ✎ #{p['message_id']}: ")
                out[-1] += _shown(_parsed_quietly(p, key), p.get("reply_markup"))
            case "editMessageMedia":
                out.append(f"bot ✎ #{p['message_id']}: [new photo]")
            case "createInvoiceLink":
                period = " a month" if p.get("subscription_period") else ""
                out.append(f"   · invoice link: {p['title']} — {p['prices'][0]['amount']}")
                out[-1] += f" {p['currency']}{period}"
            case "answerPreCheckoutQuery":
                answer = "ok" if p.get("ok") else f"refused: {p.get('error_message')}"
                out.append(f"   ↳ pre-checkout {answer}")
            case "answerCallbackQuery":
                if p.get("text"):
                    alert = " (alert)" if p.get("show_alert") else ""
                    out.append(f"   ↳ toast{alert}: {p['text']}")
            case _:
                out.append(f"   · {entry.method}")
    return "\n".join(out)


def _parsed_quietly(p: JSON, key: str) -> str:
    try:
        return _parsed(p, key)
    except ApiError:
        return str(p.get(key, ""))


def _shown(text: str, markup: Any) -> str:
    lines = text.splitlines() or [""]
    shown = lines[0] + "".join(f"\n      {line}" for line in lines[1:])
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    for row in rows:
        cells = [f"[{b['text']}{_url_mark(b)}]" for b in row]
        shown += "\n      " + " ".join(cells)
    return shown


def _url_mark(button: JSON) -> str:
    return " ↗" if button.get("url") and not str(button["text"]).endswith("↗") else ""


def _check_photo(data: bytes) -> None:
    """sendPhoto's limits (https://core.telegram.org/bots/api#sendphoto): at most 10 MB,
    width + height at most 10,000, aspect ratio at most 20; read from a PNG's header (the
    tests' other photos are stand-in bytes, taken as they are)."""
    if len(data) > 10 * 1024 * 1024:
        raise ApiError(400, "Bad Request: PHOTO_SAVE_FILE_INVALID")
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if width + height > 10_000 or max(width, height) > 20 * max(min(width, height), 1):
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
