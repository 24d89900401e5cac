"""The bot's web app: /healthz now; chat front ends mount their webhook routes here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

HealthCheck = Callable[[], Awaitable[bool]]


def create_app(health: HealthCheck, routes: Sequence[BaseRoute] = ()) -> Starlette:
    async def healthz(request: Request) -> JSONResponse:
        # 200 only when the database answers: the one dependency every request needs.
        if await health():
            return JSONResponse({"status": "ok", "database": "ok"})
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *routes])
