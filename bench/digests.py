"""Benchmark: the 09:00 digest fan-out to N subscribed Telegram chats through a fake Bot API.

The fake enforces Telegram's flood limits as token buckets
(docs/limits-by-platform.md#telegram): 30 messages/s overall, 1/s per chat, 20/min per group,
and answers 429 with retry_after when one is exceeded. Digests go out through the real path:
DigestRunner → TelegramMessenger → PTB ExtBot with the project's TelegramRateLimiter →
HTTPXRequest over the fake transport.

Digests due at 09:00 are composed ahead (numbers read for a batch of profiles at once, each
profile's chart drawn once for all its chats); the compose time is split into the chart's
share and the rest. The send phase is timed from 09:00 until the last digest is recorded
sent. `python bench/digests.py [--chats N] [--chats-per-profile K]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

# The bench reuses the test suite's fakes (tests/fakes): run from anywhere, import from the root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from telegram.ext import ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from adapters.charts import LineCharts  # noqa: E402
from adapters.db.cipher import Keyring  # noqa: E402
from adapters.db.engine import make_engine, make_session_factory  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from adapters.telegram.limiter import TelegramRateLimiter  # noqa: E402
from adapters.telegram.messenger import TelegramMessenger  # noqa: E402
from core.digest_schedule import DigestSubscription, next_occurrence  # noqa: E402
from core.digests.compose import DigestComposer  # noqa: E402
from core.digests.delivery import DigestConfig, DigestRunner  # noqa: E402
from core.metrics import AccountMetric, AnalyticsItem, ChartSeries, DailyTotal, ItemKind, Metric  # noqa: E402
from core.model import ChatPlatform, ChatRef, Identity, Network, Tier  # noqa: E402
from core.policy import Policy  # noqa: E402
from core.when import zone  # noqa: E402
from tests.fakes.clock import FixedClock  # noqa: E402

TOKEN = "123456789:AAF-bench-token"
API = "https://api.telegram.bench/bot"
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OVERALL_PER_S = 30.0
_CHAT_ID = re.compile(rb'name="chat_id"\r\n\r\n(-?\d+)\r\n')


@dataclass
class Bucket:
    """A token bucket: `capacity` at once, refilled at `rate` per second."""

    capacity: float
    rate: float
    tokens: float = -1.0
    at: float = 0.0

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: there is one)."""
        if self.tokens < 0:
            self.tokens, self.at = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


@dataclass
class FakeBotAPI(httpx.AsyncBaseTransport):
    latency: float = 0.03
    overall: Bucket = field(default_factory=lambda: Bucket(OVERALL_PER_S, OVERALL_PER_S))
    chats: dict[int, Bucket] = field(default_factory=dict)
    groups: dict[int, Bucket] = field(default_factory=dict)
    delivered: Counter[int] = field(default_factory=Counter)
    refused: int = 0
    first: float | None = None
    last: float = 0.0
    ids: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        method = request.url.path.rsplit("/", 1)[-1]
        body = await request.aread()
        if method == "getMe":
            bot = {"id": 123456789, "is_bot": True, "first_name": "Postroom"}
            return httpx.Response(200, json={"ok": True, "result": bot | {"username": "Bot"}})
        chat_id = self._chat(request, body)
        now = time.monotonic()
        buckets = [self.overall, self.chats.setdefault(chat_id, Bucket(1, 1))]
        if chat_id < 0:
            buckets.append(self.groups.setdefault(chat_id, Bucket(20, 20 / 60)))
        wait = max(b.wait(now) for b in buckets)
        if wait > 0:
            self.refused += 1
            retry = max(1, math.ceil(wait))
            answer = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {retry}",
                "parameters": {"retry_after": retry},
            }
            return httpx.Response(429, json=answer)
        for bucket in buckets:
            bucket.take()
        self.first = now if self.first is None else self.first
        self.last = now
        self.delivered[chat_id] += 1
        await asyncio.sleep(self.latency)
        self.ids += 1
        chat = {"id": chat_id, "type": "group" if chat_id < 0 else "private"}
        message: dict[str, Any] = {"message_id": self.ids, "date": 1_795_000_000, "chat": chat}
        if method == "sendPhoto":
            message["photo"] = [
                {
                    "file_id": f"p{self.ids}",
                    "file_unique_id": f"u{self.ids}",
                    "width": 480,
                    "height": 240,
                }
            ]
        else:
            message["text"] = "digest"
        return httpx.Response(200, json={"ok": True, "result": message})

    @staticmethod
    def _chat(request: httpx.Request, body: bytes) -> int:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            found = _CHAT_ID.search(body)
            assert found is not None, "sendPhoto without chat_id"
            return int(found.group(1))
        if request.headers.get("content-type", "").startswith("application/json"):
            return int(json.loads(body)["chat_id"])
        return int(dict(parse_qsl(body.decode()))["chat_id"])


async def seed(
    uow: SqlUnitOfWorkFactory, chats: int, groups: int, per_profile: int = 1
) -> list[ChatRef]:
    """`chats // per_profile` profiles with a week and a half of numbers, each subscribed in
    `per_profile` chats: their private chat, or (the first `groups` chats) a group."""
    refs: list[ChatRef] = []
    tz = zone("UTC")
    profiles = max(chats // per_profile, 1)
    for first in range(0, profiles, 200):
        async with uow() as u:
            for n in range(first, min(first + 200, profiles)):
                user = 100_000 + n
                profile = await u.profiles.create(
                    Identity(ChatPlatform.TELEGRAM, str(user)),
                    tier=Tier.PRO,
                    timezone="UTC",
                    display_name=f"Studio {n}",
                    now=START,
                )
                for k in range(per_profile):
                    at = n * per_profile + k
                    chat = ChatRef(
                        ChatPlatform.TELEGRAM,
                        str(-1_000_000_000 - at if at < groups else user + 10_000_000 * k),
                    )
                    refs.append(chat)
                    sub = DigestSubscription(0, profile.id, chat, created_at=START)
                    sub.next_due_at = next_occurrence(START, sub.minute_of_day, False, tz)
                    await u.digests.save(sub)
                totals = []
                for back in range(10):
                    day = date(2026, 11, 24) - timedelta(days=back)
                    for k, network in enumerate((Network.TIKTOK, Network.INSTAGRAM)):
                        views = (10 - back) * (400 + 37 * ((n + k) % 11))
                        values = {
                            Metric.VIEWS: views,
                            Metric.LIKES: views // 20,
                            Metric.COMMENTS: views // 200,
                        }
                        totals.append(DailyTotal(profile.id, day, network, "", 3, values))
                await u.analytics.save_daily(totals, updated_at=START)
                for back, followers in ((1, 5000 + n), (2, 4950 + n)):
                    await u.analytics.record_account(
                        profile.id,
                        Network.TIKTOK,
                        date(2026, 11, 25) - timedelta(days=back),
                        {AccountMetric.FOLLOWERS: followers},
                        taken_at=START,
                    )
                item = await u.analytics.add_tracked(
                    AnalyticsItem(
                        0,
                        profile.id,
                        Network.TIKTOK,
                        ItemKind.TRACKED,
                        START - timedelta(days=3),
                        url=f"https://www.tiktok.com/@studio{n}/video/{7_300_000_000 + n}",
                        title=f"Behind the scenes at Studio {n}",
                        posted_at=START - timedelta(days=3),
                        auto_sync=False,
                    )
                )
                for hours, views in ((-40, 1000 + n), (-14, 2200 + n)):
                    await u.analytics.record(
                        item.id,
                        {Metric.VIEWS: views},
                        taken_at=START + timedelta(hours=hours),
                        next_sync_at=None,
                    )
            await u.commit()
    return refs


@dataclass
class TimedCharts:
    """The real chart renderer, timed: the chart's share of composing."""

    inner: LineCharts
    drawn: int = 0
    seconds: float = 0.0

    async def render(self, chart: ChartSeries) -> bytes | None:
        started = time.monotonic()
        try:
            return await self.inner.render(chart)
        finally:
            self.seconds += time.monotonic() - started
            self.drawn += 1


async def run(
    chats: int, groups: int, latency: float, overall: float, per_profile: int = 1
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade(engine)
        uow = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"b": b"\x02" * 32}))
        started = time.monotonic()
        refs = await seed(uow, chats, groups, per_profile)
        seeded = time.monotonic() - started
        fake = FakeBotAPI(latency=latency)
        request = HTTPXRequest(connection_pool_size=128, httpx_kwargs={"transport": fake})
        bot = ExtBot(
            TOKEN,
            base_url=API,
            request=request,
            rate_limiter=TelegramRateLimiter(max_retries=5, overall_max_rate=overall),
        )
        await bot.initialize()
        clock = FixedClock(DUE - timedelta(minutes=10))
        charts = TimedCharts(LineCharts())
        composer = DigestComposer(uow, Policy.default(), clock, charts)
        messengers = {ChatPlatform.TELEGRAM: TelegramMessenger(bot)}
        runner = DigestRunner(
            uow, messengers, composer, clock, DigestConfig(worker="bench", concurrency=64)
        )
        started = time.monotonic()
        prepared = await runner.prepare()
        composing = time.monotonic() - started
        clock.set(DUE)
        started = time.monotonic()
        report = await runner.tick()
        sending = time.monotonic() - started
        await bot.shutdown()
        async with uow() as u:
            statuses: Counter[str | None] = Counter()
            for profile_id in range(1, len(refs) // per_profile + 1):
                for sub in await u.digests.for_profile(profile_id):
                    statuses[await u.digests.status(sub.id, DUE.date())] += 1
        await engine.dispose()
    delivered = sum(fake.delivered.values())
    wanted = {int(r.chat) for r in refs}
    lost = len(wanted - set(fake.delivered))
    repeated = sum(1 for c in fake.delivered.values() if c > 1)
    rate = delivered / sending
    return {
        "chats": chats,
        "groups": groups,
        "latency_ms": latency * 1000,
        "client_rate": overall,
        "seed_s": round(seeded, 1),
        "prepared": prepared,
        "compose_s": round(composing, 1),
        "compose_ms_each": round(composing / max(prepared, 1) * 1000, 1),
        "chats_per_profile": per_profile,
        "charts_drawn": charts.drawn,
        "chart_ms_each": round(charts.seconds / max(prepared, 1) * 1000, 1),
        "rest_ms_each": round((composing - charts.seconds) / max(prepared, 1) * 1000, 1),
        "sent": report.sent,
        "delivered": delivered,
        "send_s": round(sending, 1),
        "msgs_per_s": round(rate, 2),
        "share_of_30": round(rate / OVERALL_PER_S * 100, 1),
        "refused_429": fake.refused,
        "lost": lost,
        "repeated": repeated,
        "statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--groups", type=int, default=400, help="how many of them are groups")
    parser.add_argument("--latency", type=float, default=0.03, help="Bot API round trip, s")
    parser.add_argument(
        "--overall-rate",
        type=float,
        default=30.0,
        help="TelegramRateLimiter's overall messages/s (the fake allows 30)",
    )
    parser.add_argument(
        "--chats-per-profile",
        type=int,
        default=1,
        help="chats each profile's digest goes to (its chart is drawn once for them all)",
    )
    args = parser.parse_args()
    r = asyncio.run(
        run(args.chats, args.groups, args.latency, args.overall_rate, args.chats_per_profile)
    )
    print(json.dumps(r))
    print(
        "\n| chats (groups) | client limiter | composed ahead | send phase | messages/s "
        "| share of 30/s | 429s | lost | sent twice |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['chats']:,} ({r['groups']}) | {r['client_rate']:g}/s "
        f"| {r['prepared']:,} in {r['compose_s']} s "
        f"({r['compose_ms_each']} ms each) | {r['send_s']} s | {r['msgs_per_s']} "
        f"| {r['share_of_30']}% | {r['refused_429']} | {r['lost']} | {r['repeated']} |"
    )
    print(
        "\n| chats | chats per profile | composed ahead | per digest | of which chart "
        "| charts drawn | rest of composing |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {r['chats']:,} | {r['chats_per_profile']} | {r['prepared']:,} in "
        f"{r['compose_s']} s | {r['compose_ms_each']} ms | {r['chart_ms_each']} ms "
        f"| {r['charts_drawn']:,} | {r['rest_ms_each']} ms |"
    )


if __name__ == "__main__":
    main()
