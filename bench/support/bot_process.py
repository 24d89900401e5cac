"""A real `postroom run` process against the test suite's fake Bot API served on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[int]:
    """Serve `app` on 127.0.0.1 in this event loop; yields the port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc/<pid>/status (VmRSS, in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class BotProcess:
    """`python -m bot.cli run --no-console` (or any argv) in a fresh directory, its output in
    files, stopped with SIGTERM."""

    def __init__(self, env: Mapping[str, str], cwd: Path, argv: list[str] | None = None) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
        self.env |= {"PYTHONPATH": str(ROOT), **env}
        self.cwd = cwd
        self.argv = argv or [sys.executable, "-m", "bot.cli", "run", "--no-console"]
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self._out = (self.cwd / "stdout.log").open("wb")
        self._err = (self.cwd / "stderr.log").open("wb")
        self.process = await asyncio.create_subprocess_exec(
            *self.argv, env=self.env, cwd=self.cwd, stdout=self._out, stderr=self._err
        )

    async def wait_healthy(self, port: int, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                self.check_alive()
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise TimeoutError(f"the bot did not answer /healthz within {within:.0f} s")

    def check_alive(self) -> None:
        assert self.process is not None
        if self.process.returncode is not None:
            raise RuntimeError(f"the bot exited ({self.process.returncode}):\n{self.stderr()}")

    def stderr(self) -> str:
        return (self.cwd / "stderr.log").read_text(errors="replace")

    async def stop(self) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._out.close()
        self._err.close()
        assert self.process.returncode is not None
        return self.process.returncode
