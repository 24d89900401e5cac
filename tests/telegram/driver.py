"""Drives the bot like Telegram does: updates from tests/payloads/telegram, taps on messages."""

from __future__ import annotations

import asyncio
import copy
import heapq
import itertools
import json
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update

from adapters.telegram.application import TelegramApplication
from adapters.telegram.chat import TelegramChat
from tests.fakes.telegram_api import FakeMessage, FakeTelegramAPI
from tests.fakes.telegram_stars import FakeCharge, FakeInvoice

PAYLOADS = Path(__file__).resolve().parents[1] / "payloads" / "telegram"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF fake jpeg bytes for tests" + b"\xff\xd9"

JSON = dict[str, Any]


def payload(name: str) -> JSON:
    data = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


_payload = payload  # for methods whose `payload` argument is an invoice's


@dataclass(frozen=True, slots=True)
class User:
    id: int
    first_name: str
    username: str

    def json(self) -> JSON:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "username": self.username,
        }

    def private_chat(self) -> JSON:
        return {
            "id": self.id,
            "type": "private",
            "first_name": self.first_name,
            "username": self.username,
        }


ANA = User(1111111, "Ana", "ana_posts")
BEN = User(2222222, "Ben", "ben_b")
GROUP: JSON = {"id": -1001234567890, "type": "supergroup", "title": "Launch team"}


@dataclass
class VirtualTime:
    """The rate limiter's clock and sleep on virtual time: sleepers wake in the order of their
    deadlines, each once nothing else in the test can run, with the clock set to its deadline
    (so concurrent sleeps overlap as real ones do). Every sleep is recorded."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)
    _sleepers: list[tuple[float, int, asyncio.Future[None]]] = field(default_factory=list)
    _order: Iterator[int] = field(default_factory=itertools.count)
    _waker: asyncio.Task[None] | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        if self._waker is None or self._waker.done():
            self._waker = loop.create_task(self._wake_in_turn())
        await woken

    async def _wake_in_turn(self) -> None:
        while self._sleepers:
            await _idle()
            deadline, _, woken = heapq.heappop(self._sleepers)
            self.now = max(self.now, deadline)
            if not woken.done():
                woken.set_result(None)


async def _idle() -> None:
    """Return once the event loop has nothing else ready to run: every other task of the test
    waits (on virtual time, or on a real timer). Reads the ready queue of CPython's event loop,
    which has no public accessor."""
    loop = asyncio.get_running_loop()
    for _ in range(100_000):
        await asyncio.sleep(0)
        if not getattr(loop, "_ready", None):
            return


@dataclass
class Timers:
    """Sleeps that last until the test moves time on with `advance` (album windows)."""

    now: float = 0.0
    sleepers: list[tuple[float, asyncio.Future[None]]] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self.sleepers.append((self.now + seconds, future))
        await future

    async def advance(self, seconds: float) -> None:
        """Let `seconds` pass: wake the sleepers due by then, and let them run on."""
        self.now += seconds
        due = [(at, f) for at, f in self.sleepers if at <= self.now]
        self.sleepers = [(at, f) for at, f in self.sleepers if at > self.now]
        for _, future in due:
            future.set_result(None)
        for _ in range(3):  # a woken task either sleeps again or starts composing
            await asyncio.sleep(0)


Deliver = Callable[[JSON], Awaitable[None]]
_UPDATE_IDS = itertools.count(700_000)


class TelegramDriver:
    """Users talking to the bot: `say`, `send_photo`, `tap`. Each action is noted in the fake's
    log, so `transcript(fake.log)` reads as the chat."""

    def __init__(
        self,
        fake: FakeTelegramAPI,
        application: TelegramApplication,
        chat: TelegramChat,
        *,
        deliver: Deliver | None = None,
    ) -> None:
        self.fake = fake
        self.app = application
        self.chat = chat
        self._deliver = deliver
        # Update ids are unique per bot, whichever of its processes gets the update: drivers
        # of one test (two workers on one database) share the sequence.
        self._update_ids = _UPDATE_IDS
        self._query_ids = itertools.count(1)
        self._checkout_ids = itertools.count(1)

    async def deliver(self, update: JSON, *, drain: bool = True) -> None:
        """Hand the update to the bot and wait until it is handled (with `drain`, also albums
        being collected)."""
        if self._deliver is not None:
            await self._deliver(update)
        else:
            await self.app.process_update(Update.de_json(update, self.app.bot))
        if drain:
            await self.chat.drain()

    def message_update(
        self, name: str = "start", *, user: User = ANA, chat: JSON | None = None
    ) -> JSON:
        """A payload as a fresh update from `user` in `chat` (their private chat by default)."""
        data = copy.deepcopy(payload(name))
        data["update_id"] = next(self._update_ids)
        message = data.get("message") or data["channel_post"]
        where = chat or user.private_chat()
        message["chat"] = where
        if "channel_post" not in data and "sender_chat" not in message:
            message["from"] = user.json()
        message["message_id"] = self.fake.next_message_id(int(where["id"]))
        return data

    async def say(self, text: str, *, user: User = ANA, chat: JSON | None = None) -> None:
        data = self.message_update("start", user=user, chat=chat)
        message = data["message"]
        message["text"] = text
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        message["entities"] = (
            [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
        )
        self.fake.note(user.first_name, text)
        await self.deliver(data)

    async def send_photo(
        self,
        caption: str | None,
        *,
        user: User = ANA,
        chat: JSON | None = None,
        data: bytes = JPEG,
        unique_id: str = "AQADlarge",
        media_group_id: str | None = None,
    ) -> JSON:
        update = self.message_update(
            "album_item" if media_group_id else "photo_caption", user=user, chat=chat
        )
        message = update["message"]
        file_id = f"AgAC-{unique_id}"
        message["photo"][-1] |= {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_size": len(data),
        }
        if media_group_id:
            message["media_group_id"] = media_group_id
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
        self.fake.add_file(file_id, unique_id, data)
        shown = f"[photo {len(data)} bytes]" + (f" {caption}" if caption else "")
        self.fake.note(user.first_name, shown)
        await self.deliver(update, drain=media_group_id is None)
        return update

    async def send_document(
        self,
        data: bytes,
        file_name: str,
        *,
        mime: str = "text/csv",
        caption: str | None = None,
        user: User = ANA,
        chat: JSON | None = None,
        size: int | None = None,
    ) -> JSON:
        """A file as Telegram sends it (`document`), its bytes behind getFile; `size` is what
        Telegram says it weighs (default: its length)."""
        update = self.message_update("document", user=user, chat=chat)
        message = update["message"]
        unique_id = f"doc{message['message_id']}"
        file_id = f"BQAC-{unique_id}"
        message["document"] = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(data) if size is None else size,
        }
        if caption is None:
            message.pop("caption", None)
        else:
            message["caption"] = caption
            if caption.startswith("/"):
                length = len(caption.split(maxsplit=1)[0])
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": length}
                ]
        self.fake.add_file(file_id, unique_id, data, size)
        self.fake.note(user.first_name, f"[file {file_name}, {len(data)} bytes]")
        await self.deliver(update)
        return update

    def last(self, chat_id: int = ANA.id) -> FakeMessage:
        messages = self.fake.chat_messages(chat_id)
        assert messages, f"the bot sent nothing to chat {chat_id}"
        return messages[-1]

    def showing(self, label: str, chat_id: int = ANA.id) -> FakeMessage:
        """The newest bot message in the chat with a button whose label contains `label`."""
        for message in reversed(self.fake.chat_messages(chat_id)):
            if any(label.lower() in text.lower() for text in message.labels()):
                return message
        raise AssertionError(f"no message in chat {chat_id} shows a button {label!r}")

    async def tap(
        self,
        label: str,
        *,
        user: User = ANA,
        message: FakeMessage | None = None,
        chat_id: int | None = None,
    ) -> str:
        """Tap the button labelled `label`; returns the callback query's id. Asserts that the
        query was answered exactly once."""
        where = message or self.showing(label, ANA.id if chat_id is None else chat_id)
        button = next(
            (b for b in where.buttons() if label.lower() in str(b["text"]).lower()), None
        )
        assert button is not None, f"no button {label!r} in {where.labels()}"
        assert "callback_data" in button, f"{label!r} is a URL button: {button.get('url')}"
        self.fake.note(user.first_name, f"taps [{button['text']}]")
        return await self.tap_data(str(button["callback_data"]), user=user, message=where)

    async def tap_data(self, data: str | None, *, user: User, message: FakeMessage) -> str:
        """A callback query carrying `data` as is (None: no data at all)."""
        update = copy.deepcopy(payload("callback_query"))
        update["update_id"] = next(self._update_ids)
        query = update["callback_query"]
        query_id = f"q{next(self._query_ids)}"
        query["id"] = query_id
        query["from"] = user.json()
        query["message"] = self.fake.message_json(message)
        if data is None:
            query.pop("data")
        else:
            query["data"] = data
        self.fake.expect_query(query_id)
        await self.deliver(update)
        assert self.fake.queries[query_id] == 1, "the callback query was not answered"
        return query_id

    # --- paying in Telegram Stars ------------------------------------------------------------

    async def pre_checkout(
        self,
        invoice: FakeInvoice,
        *,
        user: User = ANA,
        payload: str | None = None,
        amount: int | None = None,
        currency: str | None = None,
    ) -> JSON:
        """The user taps Pay: Telegram asks the bot (pre_checkout_query) and waits for its
        answer. Returns the answer; asserts there was exactly one, in time. `payload`,
        `amount` and `currency` forge what a modified client or an old invoice would carry."""
        update = copy.deepcopy(_payload("pre_checkout_query"))
        update["update_id"] = next(self._update_ids)
        query = update["pre_checkout_query"]
        query_id = f"pcq{next(self._checkout_ids)}"
        query |= {
            "id": query_id,
            "from": user.json(),
            "currency": currency or invoice.currency,
            "total_amount": invoice.amount if amount is None else amount,
            "invoice_payload": invoice.payload if payload is None else payload,
        }
        self.fake.note(user.first_name, f"pays {query['total_amount']} {query['currency']}")
        self.fake.stars.ask(query_id)
        await self.deliver(update)
        answer = self.fake.stars.answers.get(query_id)
        assert answer is not None, "the pre-checkout query was not answered (in time)"
        return answer

    async def pay(self, invoice: FakeInvoice, *, user: User = ANA) -> FakeCharge | None:
        """Pre-checkout, then, if the bot said ok, the charge and its successful_payment
        message. None when the bot refused the payment."""
        answer = await self.pre_checkout(invoice, user=user)
        if not answer["ok"]:
            return None
        charge = self.fake.stars.charge(user.id, invoice)
        await self.paid(charge, first=True, user=user)
        return charge

    async def paid(self, charge: FakeCharge, *, first: bool, user: User = ANA) -> JSON:
        """The service message Telegram sends the bot for `charge` (again, for a replay)."""
        update = self.message_update("successful_payment", user=user)
        update["message"]["date"] = int(self.fake.stars.wall_clock())
        update["message"]["successful_payment"] = charge.successful_payment(first=first)
        await self.deliver(update)
        return update

    async def renew(self, first: FakeCharge, *, user: User = ANA) -> FakeCharge:
        """Telegram charges the subscription's next month: a recurring successful_payment."""
        charge = self.fake.stars.renew(first)
        await self.paid(charge, first=False, user=user)
        return charge

    async def refunded(self, charge: FakeCharge, *, user: User = ANA) -> None:
        """The refunded_payment service message Telegram sends after a refund."""
        update = self.message_update("refunded_payment", user=user)
        update["message"]["refunded_payment"] = {
            "currency": charge.invoice.currency,
            "total_amount": charge.invoice.amount,
            "invoice_payload": charge.invoice.payload,
            "telegram_payment_charge_id": charge.charge_id,
        }
        await self.deliver(update)
