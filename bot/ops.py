"""Operator endpoints on the web app: GET /metrics (Prometheus) and GET /readyz."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.db.engine import ping
from adapters.db.migrate import current_revision, head_revision
from adapters.db.ops import queue_report
from adapters.prometheus import CONTENT_TYPE, PrometheusTelemetry
from core.ports import Clock
from core.telemetry import QueueReport, Telemetry

log = logging.getLogger(__name__)

# A scrape must answer even when the database hangs: its queue gauges are left out then.
QUEUE_READ_TIMEOUT = 2.0
READY_TIMEOUT = 5.0


def count_db_errors(engine: AsyncEngine, telemetry: Telemetry) -> None:
    """Count every failed statement and connection attempt of `engine` (SQLAlchemy's
    handle_error event fires for both)."""

    def on_error(context: Any) -> None:
        telemetry.db_error()

    event.listen(engine.sync_engine, "handle_error", on_error)


async def schema_problem(engine: AsyncEngine) -> str | None:
    """Why the database is not ready for this code (unreachable, or not migrated), or None."""
    if not await ping(engine):
        return "the database does not answer"
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            current = await current_revision(engine)
    except Exception as e:
        return f"cannot read the schema revision: {type(e).__name__}"
    head = head_revision()
    if current != head:
        return f"the schema is at revision {current or 'none'}, this code needs {head}"
    return None


def ops_routes(
    engine: AsyncEngine, telemetry: PrometheusTelemetry, clock: Clock
) -> list[BaseRoute]:
    async def metrics(request: Request) -> Response:
        report: QueueReport | None = None
        try:
            async with asyncio.timeout(QUEUE_READ_TIMEOUT):
                report = await queue_report(engine, clock.now())
        except Exception as e:
            log.warning("metrics: the queue could not be read: %s", type(e).__name__)
        return Response(telemetry.render(report), media_type=CONTENT_TYPE)

    async def readyz(request: Request) -> JSONResponse:
        # Readiness, unlike /healthz (liveness): take traffic only with a migrated database.
        problem = await schema_problem(engine)
        if problem is None:
            return JSONResponse({"status": "ready", "database": "ok", "schema": "current"})
        return JSONResponse({"status": "not ready", "problem": problem}, status_code=503)

    return [
        Route("/metrics", metrics, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
