"""Stripe's wire format: webhook signatures checked by `stripe`, objects read into core's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import stripe

from core.stripe_ports import StripeEvent, StripeSubscription

# Stripe signs `t=<unix time>,v1=<HMAC-SHA256>`; older than this many seconds is a replay
# (https://docs.stripe.com/webhooks#verify-events, the library's default too).
TOLERANCE = 300
MAX_ID = 255

JSON = dict[str, Any]


class BadEvent(Exception):
    """A webhook that is not a Stripe event signed with our secret, or not one we can read."""


def verified_event(payload: bytes, header: str | None, secret: str) -> StripeEvent:
    """The event in `payload` once its Stripe-Signature header is checked (HMAC with the
    endpoint's secret, timestamp within TOLERANCE); raises BadEvent."""
    if not header:
        raise BadEvent("no Stripe-Signature header")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=TOLERANCE)
        data = json.loads(text)
    except UnicodeDecodeError:
        raise BadEvent("the body is not UTF-8") from None
    except stripe.SignatureVerificationError as e:
        raise BadEvent(f"bad signature: {e.user_message or 'no match'}") from None
    except ValueError:
        raise BadEvent("the body is not JSON") from None
    return read_event(data)


def read_event(data: object) -> StripeEvent:
    """An Event object (https://docs.stripe.com/api/events/object); raises BadEvent."""
    if not isinstance(data, dict) or data.get("object") != "event":
        raise BadEvent("not an event")
    event_id, kind, created = data.get("id"), data.get("type"), data.get("created")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= MAX_ID):
        raise BadEvent("the event has no usable id")
    if not isinstance(kind, str) or not isinstance(created, int):
        raise BadEvent("the event has no type or time")
    body = data.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    if not isinstance(obj, dict):
        raise BadEvent("the event has no object")
    when = _time(created) or datetime.fromtimestamp(0, UTC)
    kind_of = obj.get("object")
    if kind_of == "checkout.session":
        return StripeEvent(
            event_id,
            kind,
            when,
            customer=_id(obj.get("customer")),
            subscription_id=_id(obj.get("subscription")),
            client_reference_id=_text(obj.get("client_reference_id")),
            profile=_profile(obj),
            mode=_text(obj.get("mode")),
        )
    if kind_of == "subscription":
        sub = read_subscription(obj)
        return StripeEvent(
            event_id,
            kind,
            when,
            customer=sub.customer,
            subscription_id=sub.id,
            subscription=sub,
            profile=sub.profile,
        )
    if kind_of == "invoice":
        # The subscription is top-level in older API versions, under
        # parent.subscription_details since 2025-03-31 (both are read).
        parent = obj.get("parent")
        details = parent.get("subscription_details") if isinstance(parent, dict) else None
        sub_id = _id(obj.get("subscription")) or (
            _id(details.get("subscription")) if isinstance(details, dict) else ""
        )
        return StripeEvent(
            event_id,
            kind,
            when,
            customer=_id(obj.get("customer")),
            subscription_id=sub_id,
            invoice_id=_id(obj.get("id")),
            invoice_url=_text(obj.get("hosted_invoice_url")),
        )
    return StripeEvent(event_id, kind, when)


def read_subscription(obj: JSON) -> StripeSubscription:
    """A Subscription object (https://docs.stripe.com/api/subscriptions/object). The period
    end is top-level in older API versions and on each item since 2025-03-31 (both read);
    a cancellation is `cancel_at_period_end`, or `cancel_at` at or before the period end."""
    sub_id, customer = _id(obj.get("id")), _id(obj.get("customer"))
    if not sub_id or not customer:
        raise BadEvent("a subscription without id or customer")
    items = obj.get("items")
    rows = items.get("data") if isinstance(items, dict) else None
    first: JSON = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], dict) else {}
    end = _time(obj.get("current_period_end")) or _time(first.get("current_period_end"))
    price = first.get("price") or first.get("plan")
    cancel_at = _time(obj.get("cancel_at"))
    cancels = obj.get("cancel_at_period_end") is True or (
        cancel_at is not None and (end is None or cancel_at <= end)
    )
    if cancel_at is not None and (end is None or cancel_at < end):
        end = cancel_at
    return StripeSubscription(
        id=sub_id,
        customer=customer,
        status=_text(obj.get("status")),
        current_period_end=end,
        cancel_at_period_end=cancels,
        price_id=_id(price),
        profile=_profile(obj),
    )


def _id(value: object) -> str:
    """An id, or an expanded object's id."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and len(value) <= MAX_ID else ""


def _text(value: object) -> str:
    return value if isinstance(value, str) and len(value) <= 2048 else ""


def _profile(obj: JSON) -> str:
    meta = obj.get("metadata")
    return _text(meta.get("profile")) if isinstance(meta, dict) else ""


def _time(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**35:
        return None
    return datetime.fromtimestamp(value, UTC)
