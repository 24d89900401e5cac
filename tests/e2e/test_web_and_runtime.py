"""The web app's /healthz and a real `postroom run` process stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.engine import make_engine, ping
from adapters.db.migrate import current_revision, head_revision
from bot.web import create_app


async def test_healthz_is_200_when_the_database_answers(engine: AsyncEngine) -> None:
    app = create_app(lambda: ping(engine))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_healthz_is_503_when_the_database_is_down() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = make_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none")
    app = create_app(lambda: ping(down))
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as c:
            response = await c.get("/healthz")
    finally:
        await down.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _healthy(port: int, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline and process.returncode is None:
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    _, err = await process.communicate()
    raise AssertionError(f"the bot never answered /healthz:\n{err.decode()}")


async def _spawn_run(cwd: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """`postroom run --no-console` as a real process."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--no-console",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
    )


async def _run_until_healthy(cwd: Path, env: dict[str, str], port: int) -> tuple[int, str]:
    """Start the bot, wait for /healthz, stop it with SIGTERM: its exit code and stderr."""
    process = await _spawn_run(cwd, env)
    try:
        await _healthy(port, process)
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(process.communicate(), timeout=20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, err.decode()


@pytest.mark.timeout(60)
async def test_run_serves_healthz_and_stops_cleanly_on_sigterm(
    db_url: str, engine: AsyncEngine, tmp_path: Path, secret_spec: str
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "POSTROOM_DATABASE_URL": db_url,
        "POSTROOM_VAR_DIR": str(tmp_path / "var"),
        "POSTROOM_SECRET_KEYS": secret_spec,
        "POSTROOM_HTTP_PORT": str(port),
    }
    env.pop("POSTROOM_AYRSHARE_API_KEY", None)
    code, err = await _run_until_healthy(Path(__file__).parents[2], env, port)
    assert code == 0, err
    assert "stopping: finishing work in flight" in err


@pytest.mark.timeout(90)
async def test_first_run_on_sqlite_makes_the_schema_and_says_so_in_one_line(
    tmp_path: Path, db_backend: str
) -> None:
    """`postroom run` in a fresh directory: the embedded SQLite default is created and
    migrated at start (it used to stop with "run `postroom db upgrade` first")."""
    if db_backend != "sqlite":
        pytest.skip("the embedded default is SQLite; PostgreSQL is migrated as a deploy step")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    env["POSTROOM_HTTP_PORT"] = str(port)
    code, err = await _run_until_healthy(tmp_path, env, port)
    assert code == 0, err
    schema_lines = [line for line in err.splitlines() if "schema" in line or "alembic" in line]
    assert len(schema_lines) == 1, err
    assert schema_lines[0].endswith(
        f"INFO bot.schema: database: brought the SQLite schema from nothing to {head_revision()}"
    )
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'var' / 'postroom.db'}")
    try:
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()
    # The next start finds the schema current and says nothing about it.
    code, err = await _run_until_healthy(tmp_path, env, port)
    assert code == 0, err
    assert "schema" not in err


@pytest.mark.timeout(60)
async def test_a_taken_port_stops_the_start_with_a_clear_message(
    tmp_path: Path, db_backend: str
) -> None:
    if db_backend != "sqlite":
        pytest.skip("about the web app, not the database")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
        env["POSTROOM_HTTP_PORT"] = str(taken.getsockname()[1])
        process = await _spawn_run(tmp_path, env)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "the web app cannot listen on 127.0.0.1:" in err.decode()
    assert "Traceback" not in err.decode()
