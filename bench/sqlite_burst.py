"""Benchmark: bursts of Telegram commands against the embedded SQLite default.

A real `postroom run` process (sandbox, SQLite file in a fresh directory, Telegram webhook
mode) gets updates POSTed to its /telegram/webhook and replies to the test suite's fake Bot
API served by this process on 127.0.0.1. Two scenarios, each on a fresh database:

- *spread*: `--chats` chats (300) each send `/start`, `/digest on`, `/digest time HH:MM`
  over `--seconds` (30): each chat starts at its own moment and sends its next command one
  second after the bot answered the last, as a person would;
- *burst*: `--burst` (100) new chats each send `/digest time HH:MM` within one second.

Latency is from POSTing the update to the bot's reply reaching the fake Bot API (sends pass
the bot's real rate limiter: Telegram allows about 30 messages/s overall). A failure is a
reply with the generic error text, a missing reply, or a digest time not saved.
`python bench/sqlite_burst.py [--chats N] [--seconds S] [--burst N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.support.bot_process import BotProcess, free_port, served  # noqa: E402
from core.handlers import OOPS  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI  # noqa: E402

SECRET = "bench-webhook-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_CHAT = 6_000_000


class TimedBotAPI(FakeTelegramAPI):
    """The fake Bot API, noting when each reply arrived per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.arrived: dict[int, asyncio.Event] = defaultdict(asyncio.Event)

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        result = super()._send_message(p)
        chat = int(p["chat_id"])
        self.replies[chat].append((time.perf_counter(), str(p.get("text", ""))))
        self.arrived[chat].set()
        return result


def _minute(n: int) -> int:
    return (6 * 60 + 7 * n) % (24 * 60)


def _update(update_id: int, chat: int, text: str) -> dict[str, Any]:
    command = text.split()[0]
    user = {"id": chat, "is_bot": False, "first_name": f"U{chat}", "username": f"u{chat}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_795_000_000,
            "chat": {"id": chat, "type": "private", "first_name": f"U{chat}"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
        },
    }


class Load:
    def __init__(self, fake: TimedBotAPI, web: int) -> None:
        self.fake = fake
        self.url = f"http://127.0.0.1:{web}/telegram/webhook"
        self.ids = iter(range(1, 10**9))
        self.latencies: list[float] = []
        self.failures = 0
        self.client = httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=50))

    async def command(self, chat: int, text: str) -> None:
        """POST the update, wait for the reply (up to 60 s)."""
        before = len(self.fake.replies[chat])
        self.fake.arrived[chat].clear()
        sent = time.perf_counter()
        answer = await self.client.post(
            self.url, json=_update(next(self.ids), chat, text), headers={SECRET_HEADER: SECRET}
        )
        if answer.status_code != 200:
            self.failures += 1
            return
        deadline = sent + 60
        while len(self.fake.replies[chat]) == before and time.perf_counter() < deadline:
            try:
                await asyncio.wait_for(
                    self.fake.arrived[chat].wait(), deadline - time.perf_counter()
                )
            except TimeoutError:
                break
            self.fake.arrived[chat].clear()
        if len(self.fake.replies[chat]) == before:
            self.failures += 1
            return
        at, reply = self.fake.replies[chat][before]
        self.latencies.append(at - sent)
        if OOPS in reply:
            self.failures += 1


async def _spread(load: Load, chats: int, seconds: float) -> dict[int, int]:
    start = time.perf_counter()
    # Each chat's three commands, answered one by one, take a little over 2 s.
    window = max(seconds - 2.5, 0.0)

    async def one(n: int) -> None:
        await asyncio.sleep(start + window * n / chats - time.perf_counter())
        chat, minute = FIRST_CHAT + n, _minute(n)
        for i, text in enumerate(("/start", "/digest on", f"/digest time {_hhmm(minute)}")):
            if i:
                await asyncio.sleep(1.0)
            await load.command(chat, text)

    await asyncio.gather(*(one(n) for n in range(chats)))
    return {FIRST_CHAT + n: _minute(n) for n in range(chats)}


async def _burst(load: Load, chats: int) -> dict[int, int]:
    start = time.perf_counter()

    async def one(n: int) -> None:
        await asyncio.sleep(start + n / chats - time.perf_counter())
        await load.command(FIRST_CHAT + n, f"/digest time {_hhmm(_minute(n))}")

    await asyncio.gather(*(one(n) for n in range(chats)))
    return {FIRST_CHAT + n: _minute(n) for n in range(chats)}


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _unsaved(db: Path, expected: dict[int, int]) -> int:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT chat, minute_of_day FROM digest_subscriptions").fetchall()
    saved = {int(chat): minute for chat, minute in rows}
    return sum(1 for chat, minute in expected.items() if saved.get(chat) != minute)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


async def scenario(name: str, chats: int, seconds: float, burst: bool) -> dict[str, object]:
    fake = TimedBotAPI()
    async with served(fake) as api_port:
        web = free_port()
        env = {
            "POSTROOM_TELEGRAM_TOKEN": TOKEN,
            "POSTROOM_TELEGRAM_API_URL": f"http://127.0.0.1:{api_port}/bot",
            "POSTROOM_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "POSTROOM_PUBLIC_URL": "https://bench.invalid",
            "POSTROOM_HTTP_PORT": str(web),
            "POSTROOM_LOG_LEVEL": "WARNING",
        }
        with tempfile.TemporaryDirectory(prefix="postroom-burst-") as tmp:
            bot = BotProcess(env, Path(tmp))
            await bot.start()
            load = Load(fake, web)
            try:
                await bot.wait_healthy(web)
                began = time.perf_counter()
                expected = await (_burst(load, chats) if burst else _spread(load, chats, seconds))
                took = time.perf_counter() - began
                await load.client.aclose()
                errors = bot.stderr().count("OperationalError) database is locked")
            finally:
                await bot.stop()
            unsaved = _unsaved(Path(tmp) / "var" / "postroom.db", expected)
    lat = load.latencies
    return {
        "scenario": name,
        "chats": chats,
        "commands": len(expected) * (1 if burst else 3),
        "took_s": round(took, 1),
        "failed_replies": load.failures,
        "unsaved": unsaved,
        "locked_errors": errors,
        "p50_s": round(_quantile(lat, 0.5), 3) if lat else None,
        "p99_s": round(_quantile(lat, 0.99), 3) if lat else None,
        "max_s": round(max(lat), 3) if lat else None,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    rows = [
        await scenario("spread", args.chats, args.seconds, burst=False),
        await scenario("burst (1 s)", args.burst, 1.0, burst=True),
    ]
    for row in rows:
        print(json.dumps(row))
    print(
        "| scenario | commands (chats) | took | failed replies | settings not saved "
        "| 'database is locked' | p50 | p99 | max |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['scenario']} | {r['commands']} ({r['chats']}) | {r['took_s']} s "
            f"| {r['failed_replies']} | {r['unsaved']} | {r['locked_errors']} "
            f"| {r['p50_s']} s | {r['p99_s']} s | {r['max_s']} s |"
        )


if __name__ == "__main__":
    asyncio.run(main())
