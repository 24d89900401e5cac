"""Stripe in the bot: the provider and event handler built from settings, POST /stripe/webhook
and the page Stripe's Checkout and Portal send the browser back to."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.stripe.client import StripeHttpApi
from adapters.stripe.wire import BadEvent, verified_event
from bot.login_web import HEADERS, render
from bot.settings import Settings
from core.billing.lifecycle import Billing
from core.chat.login import LoginPage
from core.ports import Clock, UnitOfWorkFactory
from core.stripe.events import StripeEvents
from core.stripe.provider import StripeProvider
from core.stripe_ports import StripeRefused

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/stripe/webhook"
RETURN_PATH = "/stripe/return"
# Stripe's events are a few kB; a bigger body is not one.
MAX_EVENT_BYTES = 512 * 1024


@dataclass
class StripeParts:
    api: StripeHttpApi
    provider: StripeProvider
    events: StripeEvents
    webhook_secret: str


def build_stripe(
    settings: Settings, billing: Billing, uow: UnitOfWorkFactory, clock: Clock
) -> StripeParts | None:
    """Stripe when its secret key, webhook secret and price are all set (else None; with
    some set, a warning names what is missing)."""
    key, secret = settings.stripe_secret_key, settings.stripe_webhook_secret
    wanted = {
        "POSTROOM_STRIPE_SECRET_KEY": key,
        "POSTROOM_STRIPE_WEBHOOK_SECRET": secret,
        "POSTROOM_STRIPE_PRICE_ID": settings.stripe_price_id,
        "POSTROOM_PUBLIC_URL": settings.public_url,  # the webhook and the return page
    }
    missing = [name for name, value in wanted.items() if not value]
    if missing or key is None or secret is None or not settings.public_url:
        if key is not None or secret is not None:
            log.warning("Stripe is off: %s not set", ", ".join(missing))
        return None
    api = StripeHttpApi(key.get_secret_value(), settings.stripe_api_url)
    back = settings.public_url.rstrip("/") + RETURN_PATH
    return StripeParts(
        api,
        StripeProvider(api, return_url=back),
        StripeEvents(billing, uow, api, clock),
        secret.get_secret_value(),
    )


def stripe_routes(parts: StripeParts | None) -> list[BaseRoute]:
    if parts is None:
        return []

    async def webhook(request: Request) -> Response:
        # 400 for anything not signed by Stripe with our secret (Stripe shows it as failed
        # and retries); 503 while Stripe's API cannot be read (retried; nothing changed).
        body = await request.body()
        if len(body) > MAX_EVENT_BYTES:
            log.warning("stripe webhook: a %d-byte body refused", len(body))
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            event = verified_event(
                body, request.headers.get("stripe-signature"), parts.webhook_secret
            )
        except BadEvent as e:
            log.warning("stripe webhook refused: %s", e)
            return JSONResponse({"error": str(e)}, status_code=400)
        try:
            outcome = await parts.events.handle(event)
        except StripeRefused as e:
            log.warning("stripe event %s not applied yet: %s", event.id, e)
            return JSONResponse({"error": "try again"}, status_code=503)
        return JSONResponse({"received": True, "outcome": outcome.value})

    async def back(request: Request) -> HTMLResponse:
        done = request.query_params.get("checkout") == "done"
        title = "Thank you" if done else "Back to the chat"
        text = (
            "Your payment is on its way to Postroom: the chat tells you when Pro starts."
            if done
            else "You can close this page and go back to the chat."
        )
        return HTMLResponse(render(LoginPage(True, title, text)), headers=HEADERS)

    return [
        Route(WEBHOOK_PATH, webhook, methods=["POST"]),
        Route(RETURN_PATH, back, methods=["GET"]),
    ]
