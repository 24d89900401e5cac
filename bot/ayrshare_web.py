"""POST /ayrshare/webhook: Ayrshare's social events (link, unlink, refresh) into the lifecycle."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from adapters.ayrshare.webhook import MAX_BODY, delivery_key, parse_social, verify
from core.lifecycle import ConnectionLifecycle

if TYPE_CHECKING:
    from bot.bootstrap import Services
    from bot.settings import Settings

__all__ = ["WEBHOOK_PATH", "ayrshare_routes", "webhook_routes"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/ayrshare/webhook"


def webhook_routes(lifecycle: ConnectionLifecycle, secret: str | None) -> list[BaseRoute]:
    """The route Ayrshare posts to. Answers (Ayrshare retries a non-2xx twice, 5 and 30
    seconds later): 200 taken or ignored, 401 a signature that does not match (nothing
    changes), 400/413 a body that is not an event, 503 when we could not apply it now."""

    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"status": "too large"}, status_code=413)
        if secret is not None and not verify(body, request.headers, secret):
            log.warning("ayrshare webhook: a delivery with a wrong or missing signature refused")
            return JSONResponse({"status": "bad signature"}, status_code=401)
        try:
            event = parse_social(body)
        except ValueError:
            return JSONResponse({"status": "not an event"}, status_code=400)
        if event is None:
            return JSONResponse({"status": "ignored"})
        try:
            result = await lifecycle.apply(event, delivery=delivery_key(body))
        except Exception:
            log.exception("ayrshare webhook: could not apply a %s event", event.kind.value)
            return JSONResponse({"status": "try again"}, status_code=503)
        return JSONResponse({"status": result})

    return [Route(WEBHOOK_PATH, webhook, methods=["POST"])]


def ayrshare_routes(settings: Settings, services: Services) -> list[BaseRoute]:
    """The webhook route when Ayrshare is configured (none in the sandbox or without it)."""
    if settings.ayrshare_api_key is None or services.lifecycle is None:
        return []
    secret = settings.ayrshare_webhook_secret
    if secret is None:
        log.warning(
            "POSTROOM_AYRSHARE_WEBHOOK_SECRET is not set: Ayrshare webhook deliveries are "
            "taken without checking their signature"
        )
    return webhook_routes(
        services.lifecycle, None if secret is None else secret.get_secret_value()
    )
