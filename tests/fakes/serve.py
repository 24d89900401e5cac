"""Serves ASGI fakes on 127.0.0.1 (a free port each) for clients in other threads or processes."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

Serve = Callable[[ASGIApp], Awaitable[str]]


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test owns the process's signals
        pass


@asynccontextmanager
async def serving() -> AsyncIterator[Serve]:
    """`serve(app)` starts one and returns its base URL; all stop on leaving."""
    async with AsyncExitStack() as stack:

        async def start(app: ASGIApp) -> str:
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            config = uvicorn.Config(app, log_level="warning", lifespan="off")
            server = _Server(config)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            for _ in range(1000):  # uvicorn offers a flag, not an event
                if server.started:
                    break
                await asyncio.sleep(0.01)
            assert server.started

            async def stop() -> None:
                server.should_exit = True
                await task
                sock.close()

            stack.push_async_callback(stop)
            return f"http://127.0.0.1:{sock.getsockname()[1]}"

        yield start
