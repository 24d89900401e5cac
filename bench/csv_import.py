"""Benchmark: a CSV import of 1,000 rows, parsed, validated and imported through Postroom.

One Pro profile (sandbox networks, X and Instagram connected) sends a 1,000-row file through
`Postroom.handle_upload` (the preview: decode, delimiter, rows, every row's checks, the plan's
limits and Instagram's 24 h quota against the database, the pending import stored) and taps
Import through `Postroom.handle_tap` (the checks again, then 1,000 scheduled posts and their
campaign tags in one transaction). Each stage is timed (wall clock) on one fresh database and
its peak Python allocation measured with tracemalloc on a second (tracing slows the code it
traces); the parse alone (decode + read_table) is shown apart.
`python bench/csv_import.py` runs SQLite (a fresh file); with
`POSTROOM_BENCH_DATABASE=postgresql+asyncpg://…` (a database it may empty) PostgreSQL too.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from adapters.db.cipher import Keyring  # noqa: E402
from adapters.db.engine import make_engine, make_session_factory  # noqa: E402
from adapters.db.migrate import upgrade  # noqa: E402
from adapters.db.uow import SqlUnitOfWorkFactory  # noqa: E402
from core.handlers import Upload  # noqa: E402
from core.model import Network, Tier  # noqa: E402
from core.policy import Policy  # noqa: E402
from core.transfer.table import MAX_ROWS, decode, read_table  # noqa: E402
from tests.core.harness import Harness, find_button  # noqa: E402

ROWS = MAX_ROWS
START = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
T = TypeVar("T")


def csv_file(rows: int) -> bytes:
    lines = ["text,networks,time,media,campaign"]
    first = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    for i in range(rows):
        due = (first + timedelta(minutes=37 * i)).strftime("%Y-%m-%d %H:%M")
        networks = "instagram x" if i % 3 == 0 else "x"
        text = f'"Post {i}: fresh sourdough, ""rye"" and spelt 🍞\nSee you at 9!"'
        media = f"https://cdn.example/{i}.jpg"
        lines.append(f"{text},{networks},{due} Europe/Berlin,{media},bake{i % 7}")
    return ("\n".join(lines) + "\n").encode()


TRACE = False  # the second run of each backend traces allocations (slower), the first times


async def measured(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """`work`'s result and its wall seconds, or (TRACE) its peak traced allocation in MiB."""
    gc.collect()
    if TRACE:
        tracemalloc.start()
    began = time.perf_counter()
    result = await work()
    took = time.perf_counter() - began
    if not TRACE:
        return result, took
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, peak


async def run(url: str) -> dict[str, float]:
    engine = make_engine(url)
    if url.startswith("postgresql"):
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"b": os.urandom(32)}))
    # Pro's default caps 500 waiting posts; the bench's profile may hold the whole file.
    policy = Policy.default().with_limits(Tier.PRO, max_scheduled=ROWS)
    h = Harness(uow=uow, policy=policy)
    await h.connect(Network.INSTAGRAM, Network.X)
    data = csv_file(ROWS)
    results: dict[str, float] = {}

    async def parse() -> Any:
        return read_table(decode(data))

    table, results["parse (decode, delimiter, 1,000 rows)"] = await measured(parse)
    assert len(table.rows) == ROWS
    actor = h.actor()

    async def preview() -> Any:
        return await h.app.handle_upload(actor, Upload("posts.csv", data, "text/csv"))

    reply, results["preview (parse + checks + store)"] = await measured(preview)
    assert reply is not None and reply.text.startswith("📥 Import preview: 1,000 of 1,000"), (
        reply.text[:300] if reply else None
    )
    await h.messenger.send(actor.chat, reply)

    async def confirm() -> Any:
        return await h.app.handle_tap(actor, find_button(reply, "Import").callback_data, None)

    done, results["import (checks + 1,000 posts, one transaction)"] = await measured(confirm)
    assert done.text.startswith("✅ Imported 1,000 scheduled posts"), done.text
    await engine.dispose()
    return results


def twice(url: Callable[[], str]) -> dict[str, tuple[float, float]]:
    """Each stage's (seconds, peak MiB): timed on one fresh database, traced on another."""
    global TRACE
    TRACE = False
    times = asyncio.run(run(url()))
    TRACE = True
    peaks = asyncio.run(run(url()))
    return {stage: (times[stage], peaks[stage]) for stage in times}


def main() -> None:
    backends = {}
    with tempfile.TemporaryDirectory(prefix="postroom-bench-") as tmp:
        files = iter(range(2))
        backends["SQLite"] = twice(lambda: f"sqlite+aiosqlite:///{Path(tmp)}/{next(files)}.db")
    pg = os.environ.get("POSTROOM_BENCH_DATABASE", "").strip()
    if pg:
        backends["PostgreSQL"] = twice(lambda: pg)
    names = list(backends)
    print(f"CSV import, {ROWS:,} rows ({len(csv_file(ROWS)):,} bytes)\n")
    print("| stage | " + " | ".join(f"{n} time | {n} peak alloc" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(names))
    for stage in backends["SQLite"]:
        cells = []
        for name in names:
            took, peak = backends[name][stage]
            cells += [f"{took * 1000:,.0f} ms", f"{peak:.1f} MiB"]
        print(f"| {stage} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
