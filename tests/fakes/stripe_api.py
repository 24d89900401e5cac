"""A fake Stripe API on 127.0.0.1 in Stripe's wire format (form-encoded requests with
bracketed keys, JSON objects and error envelopes), and the events it would send, signed as
Stripe signs webhooks (https://docs.stripe.com/webhooks#verify-manually)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.slack_api import serve_local

JSON = dict[str, Any]
SECRET_KEY = "sk_test_postroomFAKEsecret0123456789"
WEBHOOK_SECRET = "whsec_postroomFAKEwebhook0123456789"
PRICE = "price_pro_monthly"


@dataclass
class Call:
    method: str
    path: str
    form: JSON


@dataclass
class FakeStripe:
    """Checkout Sessions, Customer Portal sessions and subscriptions. `period_on_items`
    answers subscriptions as API versions since 2025-03-31 do (the period end on each
    item), else top-level as before; `down` makes every call a 500."""

    prices: set[str] = field(default_factory=lambda: {PRICE})
    period_on_items: bool = True
    down: bool = False
    calls: list[Call] = field(default_factory=list)
    sessions: dict[str, JSON] = field(default_factory=dict)
    subscriptions: dict[str, JSON] = field(default_factory=dict)
    customers: set[str] = field(default_factory=set)
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/checkout/sessions", self._checkout)
        app.router.add_post("/v1/billing_portal/sessions", self._portal)
        app.router.add_get("/v1/subscriptions/{id}", self._subscription)
        app.router.add_delete("/v1/subscriptions/{id}", self._cancel)
        app.router.add_get("/v1/prices/{id}", self._price)
        self._runner, port = await serve_local(app)
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def called(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    # --- what Stripe would do when the customer pays or changes something -----------------

    def pay(self, session_id: str, *, period_end: datetime) -> JSON:
        """The customer pays the Checkout Session: a customer and an active subscription
        exist; returns the checkout.session.completed event."""
        session = self.sessions[session_id]
        customer = session.get("customer") or self._new("cus")
        self.customers.add(customer)
        sub_id = self._new("sub")
        self.subscriptions[sub_id] = {
            "id": sub_id,
            "object": "subscription",
            "customer": customer,
            "status": "active",
            "cancel_at_period_end": False,
            "cancel_at": None,
            "metadata": session.get("subscription_metadata", {}),
            "price": session["price"],
            "period_end": int(period_end.timestamp()),
        }
        session.update(customer=customer, subscription=sub_id, status="complete")
        body = {k: v for k, v in session.items() if k not in ("price", "subscription_metadata")}
        return self.event("checkout.session.completed", body)

    def change(self, sub_id: str, kind: str = "updated", **fields: Any) -> JSON:
        """The subscription changes at Stripe (status, cancel_at_period_end, period_end…);
        returns the customer.subscription.<kind> event with the object as it is now."""
        self.subscriptions[sub_id].update(fields)
        return self.event(f"customer.subscription.{kind}", self.subscription_json(sub_id))

    def payment_failed(self, sub_id: str, invoice: str = "in_1") -> JSON:
        sub = self.subscriptions[sub_id]
        return self.event(
            "invoice.payment_failed",
            {
                "id": invoice,
                "object": "invoice",
                "customer": sub["customer"],
                "parent": {"subscription_details": {"subscription": sub_id}},
                "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_1/{invoice}",
                "status": "open",
            },
        )

    def event(self, kind: str, obj: JSON, *, created: int | None = None) -> JSON:
        return {
            "id": self._new("evt"),
            "object": "event",
            "api_version": "2025-03-31.basil",
            "created": created or int(time.time()),
            "type": kind,
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": obj},
        }

    def subscription_json(self, sub_id: str) -> JSON:
        s = self.subscriptions[sub_id]
        item = {
            "id": f"si_{sub_id}",
            "object": "subscription_item",
            "price": {"id": s["price"], "object": "price"},
        }
        out = {k: v for k, v in s.items() if k not in ("price", "period_end")}
        out["items"] = {"object": "list", "data": [item]}
        if self.period_on_items:
            item["current_period_end"] = s["period_end"]
        else:
            out["current_period_end"] = s["period_end"]
        return out

    # --- the wire ----------------------------------------------------------------------------

    async def _checkout(self, request: web.Request) -> web.Response:
        form, refused = await self._read(request)
        if refused is not None:
            return refused
        line = (form.get("line_items") or {}).get("0") or {}
        if form.get("mode") != "subscription" or line.get("price") not in self.prices:
            return _error(400, "resource_missing", "No such price", "line_items[0][price]")
        if not str(form.get("success_url", "")).startswith("https://"):
            return _error(400, "url_invalid", "Not a valid URL", "success_url")
        customer = form.get("customer")
        if customer is not None and customer not in self.customers:
            return _error(400, "resource_missing", f"No such customer: '{customer}'", "customer")
        session_id = self._new("cs_test")
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "subscription",
            "client_reference_id": form.get("client_reference_id"),
            "customer": customer,
            "metadata": form.get("metadata") or {},
            "subscription": None,
            "status": "open",
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session | {
            "price": line["price"],
            "subscription_metadata": (form.get("subscription_data") or {}).get("metadata", {}),
        }
        return web.json_response(session)

    async def _portal(self, request: web.Request) -> web.Response:
        form, refused = await self._read(request)
        if refused is not None:
            return refused
        customer = form.get("customer")
        if customer not in self.customers:
            return _error(400, "resource_missing", f"No such customer: '{customer}'", "customer")
        session_id = self._new("bps")
        return web.json_response(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": customer,
                "return_url": form.get("return_url"),
                "url": f"https://billing.stripe.com/p/session/test_{session_id}",
            }
        )

    async def _subscription(self, request: web.Request) -> web.Response:
        _, refused = await self._read(request)
        if refused is not None:
            return refused
        sub_id = request.match_info["id"]
        if sub_id not in self.subscriptions:
            return _error(404, "resource_missing", f"No such subscription: '{sub_id}'", "id")
        return web.json_response(self.subscription_json(sub_id))

    async def _cancel(self, request: web.Request) -> web.Response:
        """DELETE /v1/subscriptions/{id}: canceled at once; Stripe refuses a second cancel
        of one canceled already (https://docs.stripe.com/api/subscriptions/cancel)."""
        _, refused = await self._read(request)
        if refused is not None:
            return refused
        sub_id = request.match_info["id"]
        sub = self.subscriptions.get(sub_id)
        if sub is None or sub["status"] == "canceled":
            return _error(404, "resource_missing", f"No such subscription: '{sub_id}'", "id")
        sub.update(status="canceled", canceled_at=int(time.time()))
        return web.json_response(self.subscription_json(sub_id))

    async def _price(self, request: web.Request) -> web.Response:
        _, refused = await self._read(request)
        if refused is not None:
            return refused
        price_id = request.match_info["id"]
        if price_id not in self.prices:
            return _error(404, "resource_missing", f"No such price: '{price_id}'", "id")
        return web.json_response(
            {
                "id": price_id,
                "object": "price",
                "active": True,
                "currency": "eur",
                "unit_amount": 900,
                "type": "recurring",
                "recurring": {"interval": "month", "interval_count": 1},
            }
        )

    async def _read(self, request: web.Request) -> tuple[JSON, web.Response | None]:
        form = nested(await request.text())
        self.calls.append(Call(request.method, request.path, form))
        if request.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            return form, _error(401, "", "Invalid API Key provided", None, "invalid_request_error")
        if self.down:  # told not to retry, so a test does not wait out the library's backoff
            down = _error(500, "", "An unknown error occurred", None, "api_error")
            down.headers["Stripe-Should-Retry"] = "false"
            return form, down
        return form, None

    def _new(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"


def nested(body: str) -> JSON:
    """Stripe's form encoding: `a[b][0][c]=v` read into nested dicts (lists keyed by index)."""
    out: JSON = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header for `payload` signed at `at` (default: now)."""
    t = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _error(
    status: int, code: str, message: str, param: str | None, kind: str = "invalid_request_error"
) -> web.Response:
    error: JSON = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return web.json_response({"error": error}, status=status)


def dumps(event: JSON) -> str:
    return json.dumps(event, indent=2)  # Stripe sends pretty-printed JSON
