"""Benchmark: two `postroom run` processes behind one webhook, one killed with SIGKILL mid-way.

Each round: a fresh PostgreSQL schema; the test suite's fake Bot API and fake Ayrshare (with
`--latency` per request) served by this process on 127.0.0.1; two real `postroom run`
processes (webhook mode, their own worker ids) on that database. Updates are POSTed to the
processes' /telegram/webhook in turn, as one webhook URL behind a load balancer would, and
every /start and "Publish now" is delivered a second time to the other process (a
redelivery). Eight users connect Facebook and LinkedIn and compose a post; then all eight tap
"Publish now" at once, and `--kill-after` seconds later process A is killed with SIGKILL.

Measured per progress message (the composer message, edited in place): the time from the
taps until it is current (it shows what the database holds for its post, and no network
"⏳ publishing…"), and until it shows the post published. Every update must be answered once:
one answer per callback query, one reply per /start.

`python bench/workers.py [--rounds 2] [--kill-after 0.4,0.8] [--latency 1.0] [--timeout 60]`
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import copy
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import uvicorn  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests.fakes.ayrshare_api import FakeAyrshare  # noqa: E402
from tests.fakes.telegram_api import TOKEN, FakeMessage, FakeTelegramAPI  # noqa: E402
from tests.telegram.driver import User, payload  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/bench_workers"
API_KEY = "sk-bench-workers"
SECRET = "bench-webhook-secret"
POSTROOM = str(Path(sys.executable).with_name("postroom"))
NETWORKS = ("facebook", "linkedin")
USERS = [User(4_000_000 + i, f"User{i}", f"user{i}") for i in range(1, 9)]

JSON = dict[str, Any]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Slow:
    """An ASGI app behind `latency` seconds, as a real upstream answers."""

    def __init__(self, app: Any, latency: float) -> None:
        self.app = app
        self.latency = latency

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await asyncio.sleep(self.latency)
        await self.app(scope, receive, send)


async def serve(app: Any) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started)
    return server, task, port


async def reset_schema(url: str, env: dict[str, str]) -> None:
    parsed = make_url(url)
    connect = {
        "host": parsed.host or "127.0.0.1",
        "port": parsed.port or 5432,
        "user": parsed.username or "postgres",
        "password": parsed.password,
    }
    admin = await asyncpg.connect(database="postgres", **connect)
    try:
        if not await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        ):
            await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()
    db = await asyncpg.connect(database=parsed.database, **connect)
    try:
        await db.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
    finally:
        await db.close()
    upgrade = await asyncio.create_subprocess_exec(
        POSTROOM, "db", "upgrade", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, errors = await upgrade.communicate()
    if upgrade.returncode != 0:
        raise RuntimeError(f"postroom db upgrade failed: {errors.decode()}")


@dataclass
class Bot:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    alive: bool = True


@dataclass
class Round:
    fake: FakeTelegramAPI
    ayrshare: FakeAyrshare
    bots: list[Bot]
    http: httpx.AsyncClient
    update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(900_000))
    query_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    turn: Iterator[int] = field(default_factory=lambda: itertools.count())
    redelivered: int = 0

    def next_bot(self) -> Bot:
        alive = [b for b in self.bots if b.alive]
        return alive[next(self.turn) % len(alive)]

    async def deliver(self, update: JSON, *, again: bool = False) -> Bot:
        """To the next process in turn; `again`: also to the other one (a redelivery)."""
        first = self.next_bot()
        await self.post(first, update)
        if again:
            await self.redeliver(update, first)
        return first

    async def redeliver(self, update: JSON, first: Bot) -> None:
        """As Telegram re-sends an update whose answer came late: to the other process."""
        for bot in self.bots:
            if bot is not first and bot.alive:
                await self.post(bot, update)
                self.redelivered += 1

    async def post(self, bot: Bot, update: JSON) -> None:
        answer = await self.http.post(
            f"http://127.0.0.1:{bot.port}/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        answer.raise_for_status()

    def message(self, user: User, text: str) -> JSON:
        data = copy.deepcopy(payload("start"))
        data["update_id"] = next(self.update_ids)
        message = data["message"]
        message["chat"], message["from"] = user.private_chat(), user.json()
        message["message_id"] = self.fake.next_message_id(user.id)
        message["text"] = text
        command = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        message["entities"] = (
            [{"type": "bot_command", "offset": 0, "length": len(command)}] if command else []
        )
        return data

    def tap(self, user: User, where: FakeMessage, label: str) -> tuple[JSON, str]:
        button = next(b for b in where.buttons() if label.lower() in str(b["text"]).lower())
        update = copy.deepcopy(payload("callback_query"))
        update["update_id"] = next(self.update_ids)
        query_id = f"q{next(self.query_ids)}"
        query = update["callback_query"]
        query |= {"id": query_id, "from": user.json(), "data": button["callback_data"]}
        query["message"] = self.fake.message_json(where)
        self.fake.expect_query(query_id)
        return update, query_id

    def messages(self, user: User) -> list[FakeMessage]:
        return self.fake.chat_messages(user.id)


async def until(condition: Callable[[], object], within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the bots did not answer in time")
        await asyncio.sleep(0.02)


def start_bot(name: str, env: dict[str, str], tmp: Path) -> Bot:
    port = free_port()
    var = tmp / name
    var.mkdir()
    bot_env = env | {
        "POSTROOM_HTTP_PORT": str(port),
        "POSTROOM_WORKER_ID": f"bench-{name}",
        "POSTROOM_VAR_DIR": str(var),
    }
    process = subprocess.Popen(
        [POSTROOM, "run", "--no-console"],
        env=bot_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(var / "log").open("wb"),
    )
    return Bot(name, port, process)


async def setup_user(r: Round, user: User) -> FakeMessage:
    """/start (redelivered), /connect, link at Ayrshare, back via the deep link, /post."""
    before = len(r.messages(user))
    await r.deliver(r.message(user, "/start"), again=True)
    await until(lambda: len(r.messages(user)) > before)
    known = set(r.ayrshare.profiles)
    await r.deliver(r.message(user, "/connect"))
    await until(
        lambda: (
            set(r.ayrshare.profiles) - known
            and "Facebook" in " ".join([r.messages(user)[-1].text, *r.messages(user)[-1].labels()])
        )
    )
    (key,) = set(r.ayrshare.profiles) - known
    for network in NETWORKS:
        r.ayrshare.link(key, network, f"{user.first_name} on {network}")
    count = len(r.messages(user))
    await r.deliver(r.message(user, "/start connected"))
    await until(lambda: len(r.messages(user)) > count)
    await r.deliver(r.message(user, f"/post Launch day for {user.first_name}"))
    await until(lambda: "Publish now" in " ".join(r.messages(user)[-1].labels()))
    return r.messages(user)[-1]


async def db_states(url: str) -> dict[int, list[tuple[str, str, int]]]:
    parsed = make_url(url)
    db = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
    )
    try:
        rows = await db.fetch("SELECT post_id, network, state, attempts FROM targets")
    finally:
        await db.close()
    found: dict[int, list[tuple[str, str, int]]] = {}
    for row in rows:
        found.setdefault(row["post_id"], []).append(
            (row["network"], row["state"], row["attempts"])
        )
    return found


ICONS = {
    "published": "✅",
    "publishing": "⏳",
    "queued": "⏳",
    "unconfirmed": "❔",
    "failed": "❌",
}


def current(message: FakeMessage, targets: list[tuple[str, str, int]]) -> bool:
    """The message shows the post as the database has it: still the composer for a draft (its
    tap died with the killed process), else each target's state and none in flight."""
    if any(state == "draft" for _, state, _ in targets):
        return "Publish now" in " ".join(message.labels())
    if "⏳" in message.text or any(state == "scheduled" for _, state, _ in targets):
        return False
    return all(ICONS[state] in message.text for _, state, _ in targets)


async def one_round(args: argparse.Namespace, kill_after: float) -> dict[str, Any]:
    fake = FakeTelegramAPI()
    ayrshare = FakeAyrshare(api_key=API_KEY, now=datetime.now(UTC))
    tg_server, tg_task, tg_port = await serve(fake)
    ay_server, ay_task, ay_port = await serve(Slow(ayrshare, args.latency))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "POSTROOM_DATABASE_URL": args.url,
        "POSTROOM_SECRET_KEYS": "bench:" + base64.b64encode(os.urandom(32)).decode(),
        "POSTROOM_TELEGRAM_TOKEN": TOKEN,
        "POSTROOM_TELEGRAM_API_URL": f"http://127.0.0.1:{tg_port}/bot",
        "POSTROOM_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "POSTROOM_PUBLIC_URL": "https://bot.example",
        "POSTROOM_AYRSHARE_API_KEY": API_KEY,
        "POSTROOM_AYRSHARE_BASE_URL": f"http://127.0.0.1:{ay_port}/api",
        "POSTROOM_DEFAULT_TIER": "pro",
        "POSTROOM_LOG_LEVEL": "WARNING",
    }
    tmp = Path(tempfile.mkdtemp(prefix="bench-workers-"))
    # The fake Ayrshare takes any key for its connect-page JWTs.
    key_file = tmp / "ayrshare.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nbench\n-----END PRIVATE KEY-----\n")
    env |= {
        "POSTROOM_AYRSHARE_DOMAIN": "bench",
        "POSTROOM_AYRSHARE_PRIVATE_KEY_FILE": str(key_file),
    }
    await reset_schema(args.url, env)
    bots = [start_bot(name, env, tmp) for name in ("a", "b")]
    http = httpx.AsyncClient(timeout=10)
    r = Round(fake, ayrshare, bots, http)
    try:
        await until(lambda: len(fake.calls_to("setWebhook")) >= 2, within=60)
        for bot in bots:
            await _healthy(http, bot.port)
        composers = {}
        for user in USERS:
            composers[user.id] = await setup_user(r, user)
        # The burst: eight taps at once, each to the next process in turn; once a process has
        # answered a tap, Telegram re-sends it to the other (its 200 came too late).
        post_ids = {user.id: _post_id(composers[user.id]) for user in USERS}
        taps = [r.tap(user, composers[user.id], "Publish now") for user in USERS]
        started = time.monotonic()

        async def tap_and_redeliver(update: JSON, query_id: str) -> None:
            first = await r.deliver(update)
            with contextlib.suppress(TimeoutError):
                await until(lambda: fake.queries[query_id] > 0, within=5)
                await r.redeliver(update, first)

        redelivering = asyncio.gather(*(tap_and_redeliver(u, q) for u, q in taps))
        await asyncio.sleep(max(0.0, kill_after - (time.monotonic() - started)))
        victim = bots[0]
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        victim.alive = False
        killed_at = time.monotonic() - started
        await redelivering
        current_at: dict[int, float] = {}
        published_at: dict[int, float] = {}
        deadline = started + args.timeout
        while time.monotonic() < deadline and len(published_at) < len(USERS):
            states = await db_states(args.url)
            now = time.monotonic() - started
            for user in USERS:
                message = composers[user.id]
                targets = states.get(post_ids[user.id], [])
                if user.id not in current_at and targets and current(message, targets):
                    current_at[user.id] = now
                if (
                    user.id not in published_at
                    and f"{len(NETWORKS)} of {len(NETWORKS)} published" in message.text
                ):
                    published_at[user.id] = now
            await asyncio.sleep(0.1)
        states = await db_states(args.url)
    finally:
        for bot in bots:
            if bot.alive:
                bot.process.send_signal(signal.SIGTERM)
        for bot in bots:
            with contextlib.suppress(subprocess.TimeoutExpired):
                bot.process.wait(timeout=30)
            if bot.process.poll() is None:
                bot.process.kill()
        await http.aclose()
        for server in (tg_server, ay_server):
            server.should_exit = True
        await asyncio.gather(tg_task, ay_task)
    answers = Counter(
        str(c.params.get("callback_query_id"))
        for c in fake.calls
        if c.method == "answerCallbackQuery"
    )
    start_replies = Counter(
        int(c.params["chat_id"])
        for c in fake.calls
        if c.method == "sendMessage"
        and c.error is None
        and "You're on Pro" in str(c.params.get("text", ""))
    )
    stale_others = sum(
        1
        for user in USERS
        for m in r.messages(user)
        if m.message_id != composers[user.id].message_id and "⏳" in m.text
    )
    copies = Counter(
        (record["post"], entry["platform"])
        for profile in ayrshare.profiles
        for record in ayrshare.posts_for(profile)
        for entry in record["postIds"]
        if entry.get("status", "success") == "success"
    )
    return {
        "kill_after_s": kill_after,
        "killed_at_s": round(killed_at, 2),
        "progress_messages": len(USERS),
        "current_within_60s": sum(1 for t in current_at.values() if t <= 60),
        "current_max_s": round(max(current_at.values(), default=float("nan")), 1),
        "published_within_60s": sum(1 for t in published_at.values() if t <= 60),
        "published_max_s": round(max(published_at.values(), default=float("nan")), 1),
        "stale_other_messages": stale_others,
        "updates_answered_twice": sum(1 for n in answers.values() if n > 1)
        + sum(1 for n in start_replies.values() if n > 1),
        "redeliveries": r.redelivered,
        "targets": sum(len(t) for t in states.values()),
        "targets_published": sum(1 for t in states.values() for _, s, _ in t if s == "published"),
        "taps_lost_with_the_killed": sum(
            1 for t in states.values() if any(state == "draft" for _, state, _ in t)
        ),
        "not_published": sorted(
            {f"{network} {state}" for t in states.values() for network, state, _ in t}
            - {f"{n} published" for n in NETWORKS}
        ),
        "copies_at_ayrshare": sum(copies.values()),
        "published_twice": sum(1 for n in copies.values() if n > 1),
    }


async def _healthy(http: httpx.AsyncClient, port: int) -> None:
    for _ in range(300):
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the bot on port {port} did not start")


def _post_id(composer: FakeMessage) -> int:
    """The post a composer message is for, from its Publish now button."""
    button = next(b for b in composer.buttons() if "Publish now" in str(b["text"]))
    return int(str(button["callback_data"]).split(":")[1].split("~")[0])  # "pub:<id>~<seal>"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| kill -9 after | progress messages current ≤ 60 s (slowest) "
        "| published ≤ 60 s (slowest) | other messages left ⏳ | updates answered twice "
        "(of redelivered) | taps lost with the killed | targets published "
        "| copies at Ayrshare (twice) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['killed_at_s']} s | {r['current_within_60s']} of {r['progress_messages']} "
            f"({r['current_max_s']} s) | {r['published_within_60s']} of "
            f"{r['progress_messages']} ({r['published_max_s']} s) | {r['stale_other_messages']} "
            f"| {r['updates_answered_twice']} ({r['redeliveries']}) "
            f"| {r['taps_lost_with_the_killed']} "
            f"| {r['targets_published']} of {r['targets']} "
            f"| {r['copies_at_ayrshare']} ({r['published_twice']}) |"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    results = []
    for n in range(args.rounds):
        kill_after = args.kill_after[n % len(args.kill_after)]
        result = await one_round(args, kill_after)
        print(json.dumps(result), flush=True)
        results.append(result)
    print()
    print(table(results))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("POSTROOM_BENCH_DATABASE", DEFAULT_URL))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--kill-after",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[0.4, 0.8],
        help="seconds after the taps, per round in turn",
    )
    parser.add_argument("--latency", type=float, default=1.0, help="Ayrshare's, per request")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to watch a round")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
