"""Publishing pipeline benchmark: 10,000 targets across 500 profiles falling due within one minute.

Worker processes (1, then 2) run the real Ticker and Pipeline on PostgreSQL and publish through
the real AyrsharePublisher, over HTTP, to the fake Ayrshare served by this process with 100 ms
of latency and Ayrshare's per-profile rate limit (300 requests per 5 minutes, 429 beyond it).
Prints, per run: dispatch lag after due (p50, p99, max), the lag the rate limits force,
throughput, duplicates, lost targets, 429s and each worker's peak RSS.

    .venv/bin/python bench/pipeline.py                 # what `make bench` runs
    .venv/bin/python bench/pipeline.py --workers 2 --targets 2000 --spread 20

The database (default postgresql+asyncpg://postgres@127.0.0.1:5432/bench, or
POSTROOM_BENCH_DATABASE) is created if missing and its schema rebuilt for every run.
Real time throughout: this is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from starlette.types import Receive, Scope, Send  # noqa: E402

from adapters.ayrshare import AyrshareClient, AyrsharePublisher  # noqa: E402
from adapters.db.cipher import Keyring  # noqa: E402
from adapters.db.engine import make_engine, make_session_factory  # noqa: E402
from adapters.db.profiles import account_aad  # noqa: E402
from adapters.db.tables import (  # noqa: E402
    Base,
    IdentityRow,
    PostRow,
    ProfileRow,
    ProviderAccountRow,
    TargetRow,
)
from adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from bot.ticker import Ticker  # noqa: E402
from core.model import ChatPlatform, ChatRef, MessageRef, Network, Post, Profile, Route  # noqa: E402
from core.ports import ConnectLink, Outcome, PublishRequest  # noqa: E402
from core.publishing.accounts import Accounts  # noqa: E402
from core.publishing.config import PipelineConfig  # noqa: E402
from core.publishing.pipeline import Pipeline  # noqa: E402
from core.publishing.progress import ProgressNotifier  # noqa: E402
from core.replies import Reply  # noqa: E402
from core.states import TargetState  # noqa: E402
from tests.fakes.ayrshare_api import FakeAyrshare  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench"
API_KEY = "bench-api-key"
RATE_MAX = 300  # Ayrshare: requests per profile per window
RATE_WINDOW = 300.0
LEAD = 8.0  # seconds between seeding and the first due time (workers start meanwhile)
NETWORK_MIX = [  # networks per post, cycled: 2.5 on average
    (Network.FACEBOOK,),
    (Network.INSTAGRAM, Network.FACEBOOK),
    (Network.LINKEDIN, Network.X, Network.FACEBOOK),
    (Network.INSTAGRAM, Network.TIKTOK, Network.YOUTUBE, Network.LINKEDIN),
]
PLATFORM = {n: ("twitter" if n is Network.X else n.value) for n in Network}


# --- the fake Ayrshare, slow and rate limited -----------------------------------------------


class SlowRateLimitedAyrshare:
    """The test suite's fake Ayrshare behind 100 ms of latency and a sliding-window limit of
    300 requests per 5 minutes per profile key, answered with 429 like Ayrshare."""

    def __init__(self, fake: FakeAyrshare, latency: float) -> None:
        self.fake = fake
        self.latency = latency
        self.windows: dict[str, deque[float]] = {}
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        await asyncio.sleep(self.latency)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        key = headers.get("profile-key", "")
        now = time.monotonic()
        window = self.windows.setdefault(key, deque())
        while window and window[0] <= now - RATE_WINDOW:
            window.popleft()
        if len(window) >= RATE_MAX:
            self.refused += 1
            body = json.dumps({"status": "error", "code": 429, "message": "Too many requests"})
            await send(
                {
                    "type": "http.response.start",
                    "status": 429,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"x-ratelimit-max", str(RATE_MAX).encode()),
                        (b"x-ratelimit-count", str(len(window) + 1).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body.encode()})
            return
        window.append(now)
        await self.fake(scope, receive, send)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    targets: int
    posts: int
    due: dict[tuple[int, str], datetime]  # (post id, network) -> due
    profile_of: dict[int, int]  # post id -> profile id


async def ensure_database(url: str) -> None:
    parsed = make_url(url)
    name = parsed.database
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        found = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not found:
            await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def seed(
    url: str, keyring: Keyring, fake: FakeAyrshare, args: argparse.Namespace, start: datetime
) -> Seeded:
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
        await connection.run_sync(Base.metadata.create_all)
    profiles, identities, accounts = [], [], []
    for pid in range(1, args.profiles + 1):
        key = fake.add_profile(f"postroom-{pid}")
        for platform in PLATFORM.values():
            fake.link(key, platform)
        profiles.append(
            {"id": pid, "tier": "pro", "timezone": "UTC", "display_name": "", "created_at": start}
        )
        identities.append(
            {"profile_id": pid, "platform": "telegram", "workspace": "", "user_id": f"u{pid}"}
        )
        accounts.append(
            {
                "profile_id": pid,
                "route": Route.AYRSHARE.value,
                "ref": fake.profiles[key].ref_id,
                "key_ciphertext": keyring.encrypt(key, aad=account_aad(pid, Route.AYRSHARE)),
            }
        )
    posts, targets = [], []
    due: dict[tuple[int, str], datetime] = {}
    profile_of: dict[int, int] = {}
    post_id = 0
    first_due = start + timedelta(seconds=LEAD)
    while len(targets) < args.targets:
        networks = NETWORK_MIX[post_id % len(NETWORK_MIX)][: args.targets - len(targets)]
        post_id += 1
        profile_id = (post_id - 1) % args.profiles + 1
        # Due times spread evenly over the window, in a shuffled order across profiles.
        at = first_due + timedelta(seconds=args.spread * ((post_id * 7919) % 10_007) / 10_007)
        posts.append(
            {
                "id": post_id,
                "profile_id": profile_id,
                "text": f"Bench post {post_id}: hello from Postroom",
                "media": ["https://cdn.example.com/bench/clip.mp4"],
                "created_at": start,
                "scheduled_at": at,
                "origin_platform": "telegram",
                "origin_chat": f"u{profile_id}",
                "origin_workspace": "",
            }
        )
        profile_of[post_id] = profile_id
        for n in networks:
            targets.append(
                {
                    "post_id": post_id,
                    "network": n.value,
                    "route": Route.AYRSHARE.value,
                    "state": TargetState.SCHEDULED.value,
                    "due_at": at,
                    "attempts": 0,
                    "round": 0,
                }
            )
            due[(post_id, n.value)] = at
    async with engine.begin() as connection:
        for table, rows in (
            (ProfileRow, profiles),
            (IdentityRow, identities),
            (ProviderAccountRow, accounts),
            (PostRow, posts),
            (TargetRow, targets),
        ):
            for i in range(0, len(rows), 2000):
                await connection.execute(insert(table), rows[i : i + 2000])
        await connection.execute(text("SELECT setval('posts_id_seq', :n)"), {"n": max(post_id, 1)})
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return Seeded(len(targets), post_id, due, profile_of)


# --- a worker process --------------------------------------------------------------------------


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class NullMessenger:
    """Chat messages go nowhere (counted): the benchmark measures publishing."""

    def __init__(self) -> None:
        self.count = 0

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        self.count += 1
        return MessageRef(chat, str(self.count))

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        self.count += 1


class Recording:
    """Wraps the real publisher and notes when each request left and came back."""

    def __init__(self, inner: AyrsharePublisher) -> None:
        self.inner = inner
        self.route = inner.route
        self.sent: list[tuple[int, list[str], float, float, str]] = []

    def unavailable(self, network: Network) -> str | None:
        return self.inner.unavailable(network)

    async def create_account(self, profile: Profile) -> Any:
        return await self.inner.create_account(profile)

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        return await self.inner.connect_link(profile, network)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        return await self.inner.connected(profile)

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        started = time.time()
        result = "error"
        try:
            outcomes = await self.inner.publish(request)
            result = ",".join(sorted({o.kind.value for o in outcomes.values()}))
            return outcomes
        finally:
            names = [n.value for n in request.networks]
            self.sent.append((request.post.id, names, started, time.time(), result))

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        return await self.inner.lookup(request, since)

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        await self.inner.delete(profile, post, networks)


async def worker_main(args: argparse.Namespace) -> dict[str, Any]:
    keyring = Keyring.parse(os.environ["POSTROOM_BENCH_KEYRING"])
    engine = make_engine(args.url)
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), keyring)
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as http:
        client = AyrshareClient(
            http, base_url=args.api, api_key=API_KEY, x_api_key="x", x_api_secret="x"
        )
        publisher = Recording(AyrsharePublisher(client, jwt_domain=None, private_key_pem=None))
        publishers = {Route.AYRSHARE: publisher}
        clock = SystemClock()
        accounts = Accounts(uow, publishers, clock)
        messenger = NullMessenger()
        notifier = ProgressNotifier(uow, {ChatPlatform.TELEGRAM: messenger})
        config = PipelineConfig(
            worker=args.worker_id, batch=args.batch, concurrency=args.concurrency
        )
        pipeline = Pipeline(uow, publishers, accounts, notifier, clock, config)
        ticker = Ticker(pipeline, interval=args.tick)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        ticker.start()
        print("ready", flush=True)
        await stop.wait()
        await ticker.stop()
    await engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"sent": publisher.sent, "rss_kib": peak}


# --- the parent: one run -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def forced_lags(seeded: Seeded) -> dict[tuple[int, str], float]:
    """The lag the per-profile limit alone forces: a profile's requests (one per post) go at
    their due time unless the 300th before them went less than 5 minutes earlier."""
    by_profile: dict[int, list[tuple[datetime, int]]] = {}
    post_due = {pid: at for (pid, _), at in seeded.due.items()}
    for pid, at in post_due.items():
        by_profile.setdefault(seeded.profile_of[pid], []).append((at, pid))
    forced_post: dict[int, float] = {}
    for requests in by_profile.values():
        requests.sort()
        sent: list[datetime] = []
        for at, pid in requests:
            go = at
            if len(sent) >= RATE_MAX:
                go = max(go, sent[-RATE_MAX] + timedelta(seconds=RATE_WINDOW))
            sent.append(go)
            forced_post[pid] = (go - at).total_seconds()
    return {key: forced_post[key[0]] for key in seeded.due}


async def run(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    keyring_spec = "bench:" + base64.b64encode(os.urandom(32)).decode()
    keyring = Keyring.parse(keyring_spec)
    start = datetime.now(UTC)
    fake = FakeAyrshare(api_key=API_KEY, now=start)
    app = SlowRateLimitedAyrshare(fake, args.latency)
    seeded = await seed(args.url, keyring, fake, args, start)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    out = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    env = {**os.environ, "POSTROOM_BENCH_KEYRING": keyring_spec, "PYTHONPATH": str(ROOT)}
    processes = []
    for i in range(workers):
        command = [
            sys.executable,
            str(SCRIPT),
            "worker",
            "--url",
            args.url,
            "--api",
            f"http://127.0.0.1:{port}/api",
            "--worker-id",
            f"bench-{i + 1}",
            "--out",
            str(out / f"w{i + 1}.json"),
            "--batch",
            str(args.batch),
            "--concurrency",
            str(args.concurrency),
            "--tick",
            str(args.tick),
        ]
        processes.append(
            await asyncio.create_subprocess_exec(*command, env=env, stdout=asyncio.subprocess.PIPE)
        )
    for process in processes:
        assert process.stdout is not None
        line = await process.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"a worker did not start: {line!r}")
    ready = datetime.now(UTC)
    engine = make_engine(args.url)
    published = 0
    last_due = max(seeded.due.values())
    deadline = last_due + timedelta(seconds=args.timeout)
    while datetime.now(UTC) < deadline:
        await asyncio.sleep(0.5)
        async with engine.connect() as connection:
            published = (
                await connection.execute(
                    select(func.count())
                    .select_from(TargetRow)
                    .where(TargetRow.state == TargetState.PUBLISHED.value)
                )
            ).scalar_one()
        if published >= seeded.targets and datetime.now(UTC) > last_due:
            break
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        await process.wait()
    server.should_exit = True
    await serving
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(TargetRow.post_id, TargetRow.network, TargetRow.state, TargetRow.attempts)
            )
        ).all()
    await engine.dispose()
    states = Counter(state for _, _, state, _ in rows)
    reports = [json.loads((out / f"w{i + 1}.json").read_text()) for i in range(workers)]
    shutil.rmtree(out, ignore_errors=True)
    first_sent: dict[tuple[int, str], float] = {}
    requests = 0
    for report in reports:
        for post_id, names, started, _, _ in report["sent"]:
            requests += 1
            for name in names:
                key = (post_id, name)
                first_sent[key] = min(first_sent.get(key, started), started)
    forced = forced_lags(seeded)
    lags = [first_sent[k] - at.timestamp() for k, at in seeded.due.items() if k in first_sent]
    above = [
        first_sent[k] - at.timestamp() - forced[k]
        for k, at in seeded.due.items()
        if k in first_sent
    ]
    copies = Counter(
        (record["post"], entry["platform"])
        for profile in fake.profiles.values()
        for record in fake.posts_for(profile.profile_key)
        for entry in record["postIds"]
        if entry.get("status", "success") == "success"
    )
    sent_times = sorted(first_sent.values())
    first_due = min(seeded.due.values()).timestamp()
    span = max(sent_times[-1] - first_due, 1e-9) if sent_times else float("nan")
    return {
        "workers": workers,
        "targets": seeded.targets,
        "posts": seeded.posts,
        "requests": requests,
        "startup_s": (ready - start).total_seconds(),
        "lag_p50": percentile(lags, 50),
        "lag_p99": percentile(lags, 99),
        "lag_max": max(lags, default=float("nan")),
        "forced_p99": percentile(list(forced.values()), 99),
        "above_forced_p99": percentile(above, 99),
        "throughput": len(first_sent) / span,
        "duplicates": sum(n - 1 for n in copies.values() if n > 1),
        "lost": seeded.targets - states.get(TargetState.PUBLISHED.value, 0),
        "refused_429": app.refused,
        "rss_mib": [round(r["rss_kib"] / 1024) for r in reports],
    }


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = (
        "| workers | targets (posts) | lag p50 | lag p99 | lag max | forced p99 | "
        "p99 above forced | throughput | duplicates | lost | 429s | peak RSS / worker |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in results:
        lines.append(
            f"| {r['workers']} | {r['targets']:,} ({r['posts']:,}) | {r['lag_p50']:.3f} s "
            f"| {r['lag_p99']:.3f} s | {r['lag_max']:.3f} s | {r['forced_p99']:.3f} s "
            f"| {r['above_forced_p99']:.3f} s | {r['throughput']:.0f} targets/s "
            f"| {r['duplicates']} | {r['lost']} | {r['refused_429']} "
            f"| {', '.join(f'{m} MiB' for m in r['rss_mib'])} |"
        )
    verdict = all(
        r["above_forced_p99"] <= 1.0 and r["duplicates"] == 0 and r["lost"] == 0 for r in results
    )
    setup = (
        f"{args.targets:,} targets across {args.profiles} profiles due within {args.spread:g} s; "
        f"fake Ayrshare {args.latency * 1000:.0f} ms latency, {RATE_MAX} requests / "
        f"{RATE_WINDOW:.0f} s per profile; tick {args.tick:g} s, batch {args.batch}, "
        f"concurrency {args.concurrency} per worker; {os.cpu_count()} CPUs"
    )
    if args.spread == 0:
        # Everything due at once: the lag is the time to drain the backlog, which measures
        # capacity; the lag goal is for load spread over time.
        goal = "capacity run (all due at once): throughput is what one or two workers can do"
    else:
        goal = "goal met" if verdict else "GOAL MISSED"
        goal += ": p99 ≤ 1 s above forced, 0 duplicates, 0 lost"
    return "\n".join([setup, "", *lines, "", goal])


async def main(args: argparse.Namespace) -> None:
    await ensure_database(args.url)
    results = []
    for workers in args.workers:
        print(f"running with {workers} worker(s)…", file=sys.stderr, flush=True)
        results.append(await run(args, workers))
    print(table(results, args))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=["bench", "worker"])
    parser.add_argument("--url", default=os.environ.get("POSTROOM_BENCH_DATABASE", DEFAULT_URL))
    parser.add_argument("--targets", type=int, default=10_000)
    parser.add_argument("--profiles", type=int, default=500)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the due times span")
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--workers", type=lambda s: [int(w) for w in s.split(",")], default=[1, 2])
    parser.add_argument("--timeout", type=float, default=300.0, help="after the last due time")
    parser.add_argument("--tick", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=PipelineConfig().batch)
    parser.add_argument("--concurrency", type=int, default=PipelineConfig().concurrency)
    parser.add_argument("--api", help="worker: the fake Ayrshare base URL")
    parser.add_argument("--worker-id")
    parser.add_argument("--out")
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse(sys.argv[1:])
    with contextlib.suppress(KeyboardInterrupt):
        if arguments.mode == "worker":
            report = asyncio.run(worker_main(arguments))
            Path(arguments.out).write_text(json.dumps(report))
        else:
            asyncio.run(main(arguments))
