"""One worker process for the multi-process test: a Pipeline with its own worker id against a
shared PostgreSQL database, publishing to a provider kept in a shared SQLite file, whose
`messages` table is also the chat the progress messages go to.

Usage: python tests/pipeline/worker_proc.py DATABASE_URL PROVIDER_FILE WORKER_ID [hang]
It runs until killed; with `hang` it stops dead once its first post is published, before it
records the outcome (the parent then kills it).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.uow import SqlUnitOfWorkFactory
from bot.bootstrap import bootstrap
from bot.settings import Settings
from core.errors import OutcomeUnknown
from core.model import (
    AccountKey,
    ChatPlatform,
    ChatRef,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Tier,
)
from core.ports import ConnectLink, Outcome, OutcomeKind, PublishRequest
from core.publishing.config import PipelineConfig
from core.replies import Reply

CONFIG = {
    "lease": timedelta(seconds=1.5),
    "settle_after": timedelta(seconds=0.2),
    "absent_grace": timedelta(seconds=0.5),
    "backoff": timedelta(seconds=0.1),
    "missed_grace": timedelta(hours=1),
    "concurrency": 4,
    "batch": 4,
}


def open_provider(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(
        "CREATE TABLE IF NOT EXISTS requests (key TEXT PRIMARY KEY, networks TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS copies "
        "(post_id INTEGER, network TEXT, key TEXT, worker TEXT, at TEXT)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS messages "
        "(id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT, worker TEXT, sent_at TEXT)"
    )
    return db


def shown(reply: Reply) -> str:
    return "\n".join([reply.text, *(f"{f.label}: {f.value}" for f in reply.fields)])


class FileChat:
    """A chat shared by the processes through the SQLite file: sends and edits land at once."""

    def __init__(self, path: Path, worker: str) -> None:
        self._db = open_provider(path)
        self._worker = worker

    async def send(self, chat: ChatRef, reply: Reply) -> MessageRef:
        at = datetime.now(UTC).isoformat()
        cursor = self._db.execute(
            "INSERT INTO messages (text, worker, sent_at) VALUES (?, ?, ?)",
            (shown(reply), self._worker, at),
        )
        return MessageRef(chat, str(cursor.lastrowid))

    async def edit(self, message: MessageRef, reply: Reply) -> None:
        self._db.execute(
            "UPDATE messages SET text = ? WHERE id = ?", (shown(reply), int(message.message_id))
        )


class FileProvider:
    """A provider with idempotency keys, shared by processes through one SQLite file: a key
    it has processed is refused when sent again; every publication is recorded in `copies`."""

    route = Route.AYRSHARE

    def __init__(self, path: Path, worker: str, *, hang: bool = False) -> None:
        self._db = open_provider(path)
        self._worker = worker
        self._rng = random.Random()
        self._hang = hang

    def unavailable(self, network: Network) -> str | None:
        return None

    async def create_account(self, profile: Profile) -> AccountKey | None:
        return None

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        return ConnectLink(network, None, completes_at_once=True)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        return None

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        await asyncio.sleep(self._rng.uniform(0, 0.03))  # on the way there
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            known = db.execute(
                "SELECT 1 FROM requests WHERE key = ?", (request.idempotency_key,)
            ).fetchone()
            if known is not None:
                raise OutcomeUnknown("Duplicate idempotency key.")
            names = [n.value for n in request.networks]
            db.execute(
                "INSERT INTO requests VALUES (?, ?)", (request.idempotency_key, json.dumps(names))
            )
            for name in names:
                db.execute(
                    "INSERT INTO copies VALUES (?, ?, ?, ?, ?)",
                    (
                        request.post.id,
                        name,
                        request.idempotency_key,
                        self._worker,
                        datetime.now(UTC).isoformat(),
                    ),
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if self._hang:
            await asyncio.Event().wait()
        await asyncio.sleep(self._rng.uniform(0, 0.03))  # on the way back
        return {
            n: Outcome(OutcomeKind.PUBLISHED, url=f"https://example.test/{request.post.id}/{n}")
            for n in request.networks
        }

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        row = self._db.execute(
            "SELECT networks FROM requests WHERE key = ?", (request.idempotency_key,)
        ).fetchone()
        if row is None:
            return dict.fromkeys(request.networks, Outcome(OutcomeKind.ABSENT))
        sent = set(json.loads(row[0]))
        return {
            n: (
                Outcome(OutcomeKind.PUBLISHED, url=f"https://example.test/{request.post.id}/{n}")
                if n.value in sent
                else Outcome(OutcomeKind.ABSENT)
            )
            for n in request.networks
        }

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        return None


async def main(url: str, provider_file: Path, worker: str, hang: bool) -> None:
    engine = make_engine(url)
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), Keyring({"k": os.urandom(32)}))
    services = bootstrap(
        # Pro as the base tier: the test's profiles are made Pro directly, with no grant, and
        # the dispatcher derives the tier again before sending (core.publishing.plan_gate).
        Settings(default_tier=Tier.PRO),
        uow=uow,
        publishers={Route.AYRSHARE: FileProvider(provider_file, worker, hang=hang)},
        pipeline_config=PipelineConfig(worker=worker, **CONFIG),  # type: ignore[arg-type]
        sandbox=False,
        messengers={ChatPlatform.TELEGRAM: FileChat(provider_file, worker)},
    )
    pipeline = services.pipeline
    await pipeline.release()  # as the ticker's first pass: what this worker id held before
    print("ready", flush=True)
    while True:
        if await pipeline.tick() == 0:
            await asyncio.sleep(0.02)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:] == ["hang"]))
