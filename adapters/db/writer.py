"""SQLite's one writer: write transactions begin IMMEDIATE, one at a time per engine."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import MissingGreenlet, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState

from adapters.db.statements import begins_write, writes

# Why: SQLite has one writer at a time (https://www.sqlite.org/lockingv3.html). Python's
# sqlite3 (and so aiosqlite) begins a *deferred* transaction, and only before INSERT, UPDATE
# or DELETE; a SAVEPOINT outside one begins a deferred transaction too. A deferred transaction
# that has read and then writes must upgrade its WAL snapshot to the write lock, and when
# another connection committed in between SQLite answers SQLITE_BUSY_SNAPSHOT at once, without
# consulting busy_timeout (https://www.sqlite.org/isolation.html, "BEGIN IMMEDIATE" in
# https://www.sqlite.org/lang_transaction.html). That is the "database is locked" a burst of
# chats met. So: Python's transaction handling is switched off (isolation_level None, the
# recipe in SQLAlchemy's SQLite dialect docs, "sqlite_transactions"); reads run on their own
# (each statement a WAL snapshot, never blocked by the writer); the first write of a
# transaction waits for this engine's one writer slot (an asyncio lock, fair and without
# polling), then opens `BEGIN IMMEDIATE`, which takes the write lock up front. Only another
# process can then make it wait, and busy_timeout covers that. Which statements write is
# decided in adapters/db/statements.py; an explicit `BEGIN IMMEDIATE` takes the slot itself.
WRITER_WAIT = 30.0  # seconds a write waits for the writer slot before it fails

_HOLDS = "postroom_holds_writer"  # this pooled connection holds the writer slot
_OPEN = "postroom_write_open"  # ... and has begun its IMMEDIATE transaction


class WriterBusy(TimeoutError):
    """The writer slot stayed taken for WRITER_WAIT seconds (a stuck transaction)."""


class WriterReentered(RuntimeError):
    """A task that holds the writer slot wrote through a second connection: it would wait for
    itself."""


class SqliteWriter:
    """The writer slot of one SQLite engine, held from a transaction's first write until its
    connection goes back to the pool (after COMMIT or ROLLBACK)."""

    def __init__(self, wait: float = WRITER_WAIT) -> None:
        self._wait = wait
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._owner: asyncio.Task[Any] | None = None  # the task that took the slot

    def install(self, engine: Engine) -> None:
        event.listen(engine, "connect", self._on_connect)
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine, "commit", self._end_transaction)
        event.listen(engine, "rollback", self._end_transaction)
        event.listen(engine, "checkin", self._on_checkin)
        event.listen(engine, "reset", self._on_reset)
        event.listen(engine, "invalidate", self._on_invalidate)

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def _on_connect(self, dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # No BEGIN from the driver: _before_execute opens write transactions itself.
        dbapi_connection.isolation_level = None

    def _before_execute(
        self,
        conn: Connection,
        cursor: Any,
        statement: str,
        parameters: Any,
        context: Any,
        executemany: bool,
    ) -> None:
        info = conn.info
        if info.get(_OPEN):
            return
        explicit = begins_write(statement)
        if not explicit and not writes(statement):
            return
        if not info.get(_HOLDS):
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            # Event handlers are synchronous; run_async awaits on the event loop from
            # SQLAlchemy's greenlet (its documented way for awaitables inside events).
            dbapi.run_async(lambda _driver: self._acquire())
            info[_HOLDS] = True
        if not explicit:  # else the statement itself is the BEGIN
            cursor.execute("BEGIN IMMEDIATE")
        info[_OPEN] = True

    async def _acquire(self) -> None:
        task = asyncio.current_task()
        if self._lock.locked() and task is not None and task is self._owner:
            raise WriterReentered(
                "this task already holds the SQLite writer through another connection: "
                "write through that one, or commit it before opening a second"
            )
        try:
            async with asyncio.timeout(self._wait):
                await self._lock.acquire()
        except TimeoutError:
            raise WriterBusy(f"database is locked: no write slot for {self._wait:.0f} s") from None
        self._loop = asyncio.get_running_loop()
        self._owner = task

    def _end_transaction(self, conn: Connection) -> None:
        # COMMIT or ROLLBACK follows: a later write on this checkout begins anew (the slot is
        # kept until check-in, so COMMIT finishes before the next writer's BEGIN).
        try:
            info = conn.info
        except SQLAlchemyError:
            return  # an invalidated connection: check-in or invalidation releases it
        info.pop(_OPEN, None)

    def _on_checkin(self, _dbapi: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        self._release(record)

    def _on_reset(self, _dbapi: Any, record: ConnectionPoolEntry, state: PoolResetState) -> None:
        # A connection dropped by the garbage collector is reset and closed, never checked in.
        if not state.asyncio_safe:
            self._release(record)

    def _on_invalidate(self, dbapi: Any, record: ConnectionPoolEntry, _exc: Any) -> None:
        # E.g. the task was cancelled mid-statement: the statement still runs in aiosqlite's
        # thread, inside BEGIN IMMEDIATE, and SQLAlchemy closes the connection only after it.
        # Handing the slot on now would let the next writer wait busy_timeout for that lock
        # and fail; so the statement is interrupted (sqlite3_interrupt, safe from any thread:
        # https://www.sqlite.org/c3ref/interrupt.html; its transaction rolls back) and the slot
        # is kept until check-in, which follows the close.
        if record.info.get(_HOLDS) and dbapi is not None:
            # Outside SQLAlchemy's greenlet (garbage collection), or already closed: skipped.
            with contextlib.suppress(MissingGreenlet, ValueError):
                dbapi.run_async(lambda driver: driver.interrupt())

    def _release(self, record: ConnectionPoolEntry) -> None:
        record.info.pop(_OPEN, None)
        if not record.info.pop(_HOLDS, False):
            return
        self._owner = None
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            self._lock.release()
        else:  # e.g. the garbage collector ran in a driver thread
            loop.call_soon_threadsafe(self._lock.release)
