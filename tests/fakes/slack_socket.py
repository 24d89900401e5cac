"""A fake Socket Mode server on 127.0.0.1: a WebSocket that says hello, sends envelopes and
records the acks (https://api.slack.com/apis/socket-mode)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_api import serve_local

JSON = dict[str, Any]


class FakeSocketMode:
    """`url` is what the fake Web API's apps.connections.open answers (its `socket_url`)."""

    def __init__(self) -> None:
        self.acks: list[JSON] = []
        self.acked = asyncio.Event()  # set by each ack
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()  # the client closed its connection
        self.url = ""
        self._outbox: asyncio.Queue[JSON] = asyncio.Queue()
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._link)
        self._runner, port = await serve_local(app)
        self.url = f"ws://127.0.0.1:{port}/link?ticket=fake"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def send(self, envelope: JSON) -> None:
        self._outbox.put_nowait(envelope)

    async def ack_for(self, envelope_id: str) -> JSON:
        """The ack with this envelope_id, once it came (callers bound the wait)."""
        while True:
            for ack in self.acks:
                if ack.get("envelope_id") == envelope_id:
                    return ack
            self.acked.clear()
            await self.acked.wait()

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()  # answers the client's pings (autoping)
        await ws.prepare(request)
        self._sockets.add(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A0POSTROOM"},
            }
        )
        self.connected.set()
        forward = asyncio.create_task(self._forward(ws))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self.acks.append(json.loads(message.data))
                    self.acked.set()
        finally:
            forward.cancel()
            self._sockets.discard(ws)
            self.closed.set()
        return ws

    async def _forward(self, ws: web.WebSocketResponse) -> None:
        while True:
            envelope = await self._outbox.get()
            await ws.send_json(envelope)
