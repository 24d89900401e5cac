"""Benchmark: the public media kit page, GET /kit/<slug>, at 200 requests a second.

A real `postroom run` process (uvicorn on 127.0.0.1, a port the OS picked, SQLite) serves a
published kit with two networks, three measured posts and two weeks of followers; this process
sends requests at a fixed rate (open loop: a request leaves on time whether or not the earlier
ones were answered), over kept-alive connections (a new one when all are busy), for --seconds
seconds after a 3 s warm-up, and times each answer from the moment it was due to leave (so a
sender that falls behind counts its lateness too: no coordinated omission). Rows: the full
page (200), a revalidation with If-None-Match (304), and addresses no kit has (404, a new random
one each request). The target is p99 under 50 ms at 200 requests/s.

`python bench/kit_page.py [--rate 200] [--seconds 10]`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from adapters.db.cipher import generate_key_spec  # noqa: E402
from adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from bench.support.bot_process import BotProcess, free_port  # noqa: E402
from bot.bootstrap import bootstrap  # noqa: E402
from bot.schema import prepare_schema  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.wiring import SystemClock  # noqa: E402
from tests.mediakit.support import KitWorld, with_numbers  # noqa: E402

TARGET_P99_MS = 50.0
SLUG = "ana-bakes"


async def seed(env: dict[str, str]) -> None:
    """The kit, published, in the database the bot process will open."""
    settings = Settings.model_validate(
        {
            "database_url": env["POSTROOM_DATABASE_URL"],
            "secret_keys": env["POSTROOM_SECRET_KEYS"],
            "var_dir": env["POSTROOM_VAR_DIR"],
            "http_port": 0,
        }
    )
    services = bootstrap(settings)
    try:
        await prepare_schema(services.engine, settings.resolved_database_url)
        assert isinstance(services.uow, SqlUnitOfWorkFactory)
        world = KitWorld(services, SystemClock(), services.uow, httpx.AsyncClient())  # type: ignore[arg-type]
        await with_numbers(world)
        for command in (f"/mediakit slug {SLUG}", "/mediakit contact ana@example.com"):
            await world.say(command)
        await world.say("/mediakit publish")
        await world.http.aclose()
    finally:
        await services.aclose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Connection:
    """One kept-alive HTTP/1.1 connection, spoken by hand: the sender must cost far less than
    the server it measures (httpx spent about 1 ms of this process's CPU a request)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await self.reader.readexactly(length)
        return status


async def load(
    port: int, path: str, rate: float, seconds: float, headers: dict[str, str]
) -> dict[str, object]:
    """`path` may hold {n}: each request then asks for its own address (random slugs)."""

    def request_for(n: int) -> bytes:
        lines = [f"GET {path.format(n=n)} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    # Oldest first, so every connection is used every few requests: one left idle for uvicorn's
    # keep-alive timeout (5 s) is closed by the server, and a browser would retry it anyway.
    idle: collections.deque[Connection] = collections.deque()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    kinds: dict[str, int] = {}

    async def one(due: float, request: bytes) -> None:
        nonlocal errors
        started = due  # when it should have left, not when the sender got to it
        try:
            connection: Connection | None = idle.popleft() if idle else None
            status = None
            if connection is not None:
                try:
                    status = await connection.get(request)
                except (OSError, asyncio.IncompleteReadError):
                    connection.writer.close()  # closed while idle: once more, on a new one
            if status is None:
                connection = Connection(*await asyncio.open_connection("127.0.0.1", port))
                status = await connection.get(request)
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            errors += 1
            kinds[type(e).__name__] = kinds.get(type(e).__name__, 0) + 1
            return
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        idle.append(connection)

    # The sender's own full collections (its heap holds the whole bot it seeded with) stalled
    # it for a quarter second mid-run: what is alive now is moved out of the collector's way.
    gc.collect()
    gc.freeze()
    total = int(rate * seconds)
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    late = 0.0
    for n in range(total):
        wait = start + n / rate - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        else:
            late = max(late, -wait)
        tasks.append(asyncio.create_task(one(start + n / rate, request_for(n))))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for connection in idle:
        connection.writer.close()
    return {
        "sent": total,
        "rate": total / elapsed,
        "statuses": statuses,
        "errors": f"{errors} ({', '.join(f'{k} {v}' for k, v in kinds.items())})"
        if errors
        else "0",
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "late": late * 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="postroom-kit-bench-") as tmp:
        work = Path(tmp)
        port = free_port()
        env = {
            "POSTROOM_DATABASE_URL": f"sqlite+aiosqlite:///{work / 'postroom.db'}",
            "POSTROOM_SECRET_KEYS": generate_key_spec("bench"),
            "POSTROOM_VAR_DIR": str(work / "var"),
            "POSTROOM_HTTP_PORT": str(port),
            "POSTROOM_LOG_LEVEL": "WARNING",
            "POSTROOM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        await seed(env)
        bot = BotProcess(env, work / "bot")
        await bot.start()
        try:
            await bot.wait_healthy(port)
            url = f"http://127.0.0.1:{port}/kit/{SLUG}"
            async with httpx.AsyncClient() as client:
                first = await client.get(url)
            assert first.status_code == 200, first.text[:200]
            # The bot's first seconds go to its start-up passes (analytics, lifecycle,
            # housekeeping): a warm-up load, not counted, lets them finish.
            path = f"/kit/{SLUG}"
            await load(port, path, args.rate, 3.0, {})
            revalidate = {"If-None-Match": first.headers["etag"]}
            rows = [
                ("page (200)", await load(port, path, args.rate, args.seconds, {})),
                ("revalidated (304)", await load(port, path, args.rate, args.seconds, revalidate)),
                (
                    "unknown address (404)",
                    await load(port, "/kit/nobody-{n}", args.rate, args.seconds, {}),
                ),
            ]
        finally:
            await bot.stop()
    print(
        f"\nMedia kit page: GET /kit/<slug> at {args.rate:.0f} requests/s for "
        f"{args.seconds:.0f} s ({len(first.content):,} bytes), target p99 < "
        f"{TARGET_P99_MS:.0f} ms; load average {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| request | sent | achieved rate | statuses | errors | p50 | p99 | max | sender late |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows:
        counts = r["statuses"]
        assert isinstance(counts, dict)
        statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items()))
        print(
            f"| {name} | {r['sent']:,} | {r['rate']:.0f}/s | {statuses} | {r['errors']} | "
            f"{r['p50']:.1f} ms | {r['p99']:.1f} ms | {r['max']:.1f} ms | {r['late']:.1f} ms |"
        )
    # p99 counts the sender's lateness already; a run whose sender lagged past the target
    # measured the sender, not the server, and does not pass either.
    met = all(
        float(r["p99"]) < TARGET_P99_MS and float(r["late"]) < TARGET_P99_MS  # type: ignore[arg-type]
        for _, r in rows
    )
    print(f"\np99 < {TARGET_P99_MS:.0f} ms: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
