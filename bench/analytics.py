"""Benchmark: one analytics sweep over N posts and P profiles against a rate-limited fake Ayrshare.

Measures the sweep's wall time against the time the limits force (per profile: 5 requests in
flight and the analytics share of Ayrshare's per-profile budget), and the process's RSS during
the sweep. `python bench/analytics.py` runs the scenarios in fresh subprocesses and prints the
tables recorded in docs/benchmarks.md; `--posts N --profiles P` runs one and prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The bench reuses the test suite's fakes (tests/fakes): run from anywhere, import from the root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from adapters.ayrshare.analytics import AyrshareAnalytics  # noqa: E402
from adapters.ayrshare.client import AyrshareClient  # noqa: E402
from adapters.db.cipher import Keyring  # noqa: E402
from adapters.db.engine import make_engine, make_session_factory  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.db.tables import PostRow, TargetRow  # noqa: E402
from adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from core.analytics.sync import AnalyticsSync, SyncConfig  # noqa: E402
from core.model import (  # noqa: E402
    AccountKey,
    ChatPlatform,
    Connection,
    ConnectionStatus,
    Identity,
    Network,
    Route,
    Secret,
    Tier,
)
from core.policy import Policy  # noqa: E402
from core.request_budget import RequestBudget  # noqa: E402
from core.states import TargetState  # noqa: E402
from tests.fakes.clock import FixedClock  # noqa: E402

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BASE = "https://api.ayrshare.bench/api"
NETWORKS = (Network.TIKTOK, Network.INSTAGRAM, Network.YOUTUBE, Network.FACEBOOK, Network.LINKEDIN)
PER_PROFILE = 5  # requests in flight per profile (docs/product-rules.md#analytics-refresh)


class RateLimitedAyrshare(httpx.AsyncBaseTransport):
    """Answers /analytics/post and /analytics/social after `latency` seconds; refuses with
    429 (and the x-ratelimit headers) a profile's request over `limit` per `window` s."""

    def __init__(self, *, latency: float, limit: int, window: float) -> None:
        self.latency = latency
        self.limit = limit
        self.window = window
        self.calls: dict[str, deque[float]] = defaultdict(deque)
        self.requests = 0
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get("profile-key", "")
        now = time.monotonic()
        calls = self.calls[key]
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        self.requests += 1
        headers = {"x-ratelimit-max": str(self.limit), "x-ratelimit-count": str(len(calls))}
        if len(calls) >= self.limit:
            self.refused += 1
            body = {"status": "error", "code": 429, "message": "Rate limit exceeded"}
            return httpx.Response(429, json=body, headers=headers)
        calls.append(now)
        await asyncio.sleep(self.latency)
        body = json.loads(await request.aread())
        if request.url.path.endswith("/analytics/social"):
            data: dict[str, Any] = {"status": "success"}
            for platform in body["platforms"]:
                data[platform] = {"analytics": {"followersCount": 1000 + len(key)}}
            return httpx.Response(200, json=data, headers=headers)
        post_id = body["id"]
        n = int(post_id.split("-")[1])
        data = {"status": "success", "id": post_id}
        for platform in body["platforms"]:
            data[platform] = {
                "id": f"{platform}-{n}",
                "postUrl": f"https://{platform}.example.com/p/{n}",
                "analytics": {
                    "videoViews": 100 + n % 5000,
                    "likeCount": 10 + n % 300,
                    "commentsCount": n % 40,
                    "shareCount": n % 25,
                    "created": int(NOW.timestamp()) - n % 86_400,
                },
            }
        return httpx.Response(200, json=data, headers=headers)


def rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> None:
    """Start VmHWM (peak RSS) again from the current RSS (Linux /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


async def seed(uow: SqlUnitOfWorkFactory, posts: int, profiles: int) -> None:
    per = posts // profiles
    async with uow() as u:
        for p in range(profiles):
            profile = await u.profiles.create(
                Identity(ChatPlatform.TELEGRAM, str(10_000 + p)),
                tier=Tier.PRO,
                timezone="UTC",
                display_name=f"bench {p}",
                now=NOW,
            )
            profile.accounts[Route.AYRSHARE] = AccountKey(f"ref-{p}", Secret(f"key-{p:05d}"))
            profile.connections[Network.TIKTOK] = Connection(
                Network.TIKTOK, ConnectionStatus.CONNECTED, "bench", NOW
            )
            await u.profiles.save(profile)
        await u.commit()
    engine_session = uow.session_factory
    async with engine_session() as session:
        rows = [
            {
                "profile_id": 1 + n // per,
                "text": f"bench post {n}",
                "media": [],
                "created_at": NOW - timedelta(hours=2),
                "origin_platform": "telegram",
                "origin_chat": "1",
                "origin_workspace": "",
            }
            for n in range(posts)
        ]
        await session.execute(insert(PostRow), rows)
        targets = [
            {
                "post_id": n + 1,
                "network": NETWORKS[n % len(NETWORKS)].value,
                "route": Route.AYRSHARE.value,
                "state": TargetState.PUBLISHED.value,
                "attempts": 1,
                "round": 0,
                "provider_post_id": f"post-{n}",
                "published_at": NOW - timedelta(hours=1),
            }
            for n in range(posts)
        ]
        await session.execute(insert(TargetRow), targets)
        await session.commit()


async def scenario(
    posts: int,
    profiles: int,
    latency: float,
    budget: int,
    window: float,
    fake_limit: int,
    fake_window: float,
    database: str | None = None,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        engine = make_engine(database or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        if database is not None:
            # A database of its own for the bench: its schema is rebuilt on every run.
            async with engine.begin() as connection:
                await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
        await upgrade(engine)
        keyring = Keyring({"bench": b"\x01" * 32})
        uow = SqlUnitOfWorkFactory(make_session_factory(engine), keyring)
        await seed(uow, posts, profiles)
        fake = RateLimitedAyrshare(latency=latency, limit=fake_limit, window=fake_window)
        # Analytics alone on the profiles' one budget: `budget` of its `window` is its share.
        shared = RequestBudget(300, timedelta(seconds=window), analytics_share=budget)
        async with httpx.AsyncClient(transport=fake) as http:
            client = AyrshareClient(http, base_url=BASE, api_key="bench")
            sources = {Route.AYRSHARE: AyrshareAnalytics(client, shared)}
            # As bot.analytics configures it: writes queued on SQLite, concurrent on PostgreSQL.
            config = SyncConfig(writers=0 if database else 1)
            sync = AnalyticsSync(uow, sources, Policy.default(), FixedClock(NOW), config)
            gc.collect()
            reset_peak()
            before = rss_kb("VmRSS")
            started = time.monotonic()
            report = await sync.sweep()
            elapsed = time.monotonic() - started
            peak = rss_kb("VmHWM")
        await engine.dispose()
    per = math.ceil(posts / profiles) + 1  # its posts, and its account numbers
    # What the limits alone force, per profile: `budget` calls per sliding `window` (call k
    # can start at (k // budget) * window) and 5 in flight, each call taking `latency`.
    paced = (per - 1) // budget * window + latency
    forced = max(paced, math.ceil(per / PER_PROFILE) * latency)
    return {
        "database": "PostgreSQL" if database else "SQLite",
        "posts": posts,
        "profiles": profiles,
        "latency_ms": latency * 1000,
        "budget": f"{budget} per {window:g} s",
        "fake_limit": f"{fake_limit} per {fake_window:g} s",
        "refreshed": report.refreshed,
        "failed": report.failed,
        "requests": fake.requests,
        "refused_429": fake.refused,
        "sweep_s": round(elapsed, 2),
        "forced_s": round(forced, 2),
        "rss_before_mb": round(before / 1024, 1),
        "rss_peak_mb": round(peak / 1024, 1),
    }


REAL = {"budget": 200, "window": 300.0, "fake_limit": 300, "fake_window": 300.0}
SCENARIOS = [
    # Ayrshare's limits: 300 requests per 5 min per profile, 200 of them for analytics.
    {"posts": 1000, "profiles": 50, "latency": 0.05, **REAL},
    {"posts": 10_000, "profiles": 500, "latency": 0.05, **REAL},
    # A budget that binds at 20 posts a profile: 4 calls per 2 s (the fake allows 6).
    {
        "posts": 10_000,
        "profiles": 500,
        "latency": 0.05,
        "budget": 4,
        "window": 2.0,
        "fake_limit": 6,
        "fake_window": 2.0,
    },
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int)
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--window", type=float, default=300.0)
    parser.add_argument("--fake_limit", type=int, default=300)
    parser.add_argument("--fake_window", type=float, default=300.0)
    parser.add_argument(
        "--database",
        default=os.environ.get("POSTROOM_BENCH_DATABASE"),
        help="a postgresql+asyncpg:// URL of a database the bench may wipe (default: SQLite)",
    )
    args = parser.parse_args()
    if args.posts:
        result = asyncio.run(
            scenario(
                args.posts,
                args.profiles,
                args.latency,
                args.budget,
                args.window,
                args.fake_limit,
                args.fake_window,
                args.database,
            )
        )
        print(json.dumps(result))
        return
    results = []
    databases = [None, args.database] if args.database else [None]
    for database in databases:
        for s in SCENARIOS:
            command = [sys.executable, __file__, *(f"--{k}={v}" for k, v in s.items())]
            if database:
                command.append(f"--database={database}")
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        "| database | posts | profiles | latency | client budget / profile "
        "| fake limit / profile | requests | 429s | refreshed | failed | sweep "
        "| forced by limits | RSS before | RSS peak |"
    )
    print("|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['database']} | {r['posts']:,} | {r['profiles']} | {r['latency_ms']:.0f} ms "
            f"| {r['budget']} "
            f"| {r['fake_limit']} | {r['requests']:,} | {r['refused_429']} "
            f"| {r['refreshed']:,} | {r['failed']} "
            f"| {r['sweep_s']} s | {r['forced_s']} s | {r['rss_before_mb']} MB "
            f"| {r['rss_peak_mb']} MB |"
        )
    small, large = results[0], results[1]
    growth = large["rss_peak_mb"] - small["rss_peak_mb"]
    print(f"\nRSS peak growth 1,000 → 10,000 posts: {growth:.1f} MB (goal < 50 MB)")


if __name__ == "__main__":
    main()
