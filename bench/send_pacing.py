"""Benchmark: a wave of messages to many Telegram chats at once, against Telegram's 30/s.

Every chat gets one message at the same instant (a digest wave): N sends through the real
TelegramMessenger → PTB ExtBot with the project's TelegramRateLimiter → HTTPXRequest, over a
transport that adds a jittered network delay each way, to the test suite's fake Bot API, which
counts strictly: the 31st message within any one second is answered 429 (retry_after). The
table shows the wave's rate, its share of 30/s, the busiest one-second window (of messages
accepted, and of attempts including refused ones), the first second (where a limiter whose
bucket starts full bursts), and the 429s.

`python bench/send_pacing.py [--chats 300] [--groups 60] [--latency 0.03] [--jitter 0.01]
[--overall-rate 29]`
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from adapters.telegram.limiter import OVERALL_RATE, TelegramRateLimiter  # noqa: E402
from adapters.telegram.messenger import TelegramMessenger  # noqa: E402
from core.model import ChatPlatform, ChatRef  # noqa: E402
from core.replies import Reply  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI  # noqa: E402

CEILING = 30.0


class Network(httpx.AsyncBaseTransport):
    """The way to Telegram: `latency` ± `jitter` seconds each way, chosen per request."""

    def __init__(self, inner: httpx.AsyncBaseTransport, latency: float, jitter: float) -> None:
        self._inner = inner
        self._latency = latency
        self._jitter = jitter
        self._rng = random.Random(7)

    def _delay(self) -> float:
        return max(0.0, self._latency + self._rng.uniform(-self._jitter, self._jitter))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self._delay())
        response = await self._inner.handle_async_request(request)
        await asyncio.sleep(self._delay())
        return response


async def run(args: argparse.Namespace) -> dict[str, Any]:
    fake = FakeTelegramAPI()  # on the real monotonic clock
    transport = Network(fake.transport(), args.latency, args.jitter)
    request = HTTPXRequest(connection_pool_size=128, httpx_kwargs={"transport": transport})
    limiter = TelegramRateLimiter(max_retries=5, overall_max_rate=args.overall_rate)
    bot = ExtBot(
        TOKEN, base_url="https://api.telegram.bench/bot", request=request, rate_limiter=limiter
    )
    await bot.initialize()
    messenger = TelegramMessenger(bot)
    chats = [
        ChatRef(ChatPlatform.TELEGRAM, str(-1_000_000_000 - n if n < args.groups else 10_000 + n))
        for n in range(args.chats)
    ]
    reply = Reply("📊 Your daily digest\nViews 12,345 (+4%) · Likes 678 · Comments 90")
    started = time.monotonic()
    await asyncio.gather(*(messenger.send(chat, reply) for chat in chats))
    elapsed = time.monotonic() - started
    await bot.shutdown()
    arrived = sorted(c.at for c in fake.calls_to("sendMessage"))
    busiest = _busiest(arrived)
    # Every attempt, the refused ones too: what the client offered in its busiest second.
    offered = _busiest(sorted(c.at for c in fake.calls if c.method == "sendMessage"))
    first = bisect.bisect_left(arrived, arrived[0] + 1.0)
    # The wave's rate from its first to its last message at the fake: the steady pace.
    span = arrived[-1] - arrived[0]
    rate = (len(arrived) - 1) / span if span > 0 else float("inf")
    return {
        "chats": args.chats,
        "groups": args.groups,
        "client_rate": args.overall_rate,
        "latency_ms": args.latency * 1000,
        "jitter_ms": args.jitter * 1000,
        "delivered": len(arrived),
        "wave_s": round(elapsed, 2),
        "msgs_per_s": round(rate, 2),
        "share_of_30": round(rate / CEILING * 100, 1),
        "busiest_second": busiest,
        "offered_peak": offered,
        "first_second": first,
        "refused_429": len(fake.refused_for_flood()),
    }


def _busiest(times: list[float]) -> int:
    """The most of `times` (sorted) within any one second."""
    return max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=300)
    parser.add_argument("--groups", type=int, default=60, help="how many of them are groups")
    parser.add_argument("--latency", type=float, default=0.03, help="one way, seconds")
    parser.add_argument("--jitter", type=float, default=0.01, help="± seconds, each way")
    parser.add_argument(
        "--overall-rate", type=float, default=OVERALL_RATE, help="the limiter's messages/s"
    )
    r = asyncio.run(run(parser.parse_args()))
    print(json.dumps(r))
    print(
        "\n| chats (groups) | client limiter | latency ± jitter | wave | messages/s "
        "| share of 30/s | busiest second (offered) | first second | 429s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['chats']:,} ({r['groups']}) | {r['client_rate']:g}/s "
        f"| {r['latency_ms']:g} ± {r['jitter_ms']:g} ms | {r['wave_s']} s "
        f"| {r['msgs_per_s']} | {r['share_of_30']}% "
        f"| {r['busiest_second']} ({r['offered_peak']}) "
        f"| {r['first_second']} | {r['refused_429']} |"
    )


if __name__ == "__main__":
    main()
