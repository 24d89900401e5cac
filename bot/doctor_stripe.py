"""`postroom doctor` on Stripe: the key's form, the webhook secret and the price, which is read
through Stripe's API with the key (never printed)."""

from __future__ import annotations

import re

import httpx

from adapters.stripe.client import StripeHttpApi
from bot.findings import Finding, fail, ok, warn
from bot.settings import Settings
from bot.stripe_web import WEBHOOK_PATH
from core.stripe_ports import StripeMissing, StripeRefused

# Secret keys are sk_live_/sk_test_, restricted keys rk_live_/rk_test_; the publishable pk_
# key cannot make Checkout Sessions (https://docs.stripe.com/keys).
_KEY = re.compile(r"(sk|rk)_(live|test)_[A-Za-z0-9]{10,}")
_NAMES = {
    "POSTROOM_STRIPE_SECRET_KEY": "stripe_secret_key",
    "POSTROOM_STRIPE_WEBHOOK_SECRET": "stripe_webhook_secret",
    "POSTROOM_STRIPE_PRICE_ID": "stripe_price_id",
}


def configured(settings: Settings) -> bool:
    return any(getattr(settings, field) is not None for field in _NAMES.values())


def stripe_configuration(settings: Settings) -> list[Finding]:
    """What the Stripe settings say, without calling Stripe; nothing when none is set."""
    if not configured(settings):
        return []
    missing = [name for name, field in _NAMES.items() if getattr(settings, field) is None]
    if not settings.public_url:
        missing.append("POSTROOM_PUBLIC_URL")
    if missing:
        return [fail("stripe", f"Stripe is off: {', '.join(missing)} not set")]
    found: list[Finding] = []
    key, secret = settings.stripe_secret_key, settings.stripe_webhook_secret
    assert key is not None and secret is not None
    value = key.get_secret_value()
    if _KEY.fullmatch(value) is None:
        what = "a publishable key" if value.startswith("pk_") else "not a Stripe secret key"
        found.append(fail("stripe key", f"POSTROOM_STRIPE_SECRET_KEY is {what} (sk_… or rk_…)"))
    else:
        mode = "live" if "_live_" in value else "test"
        found.append(
            ok("stripe key", f"a {mode}-mode {'restricted' if value[0] == 'r' else 'secret'} key")
        )
    if not secret.get_secret_value().startswith("whsec_"):
        found.append(
            fail(
                "stripe webhook",
                "POSTROOM_STRIPE_WEBHOOK_SECRET is not a signing secret (whsec_…)",
            )
        )
    else:
        url = (settings.public_url or "").rstrip("/") + WEBHOOK_PATH
        found.append(ok("stripe webhook", f"signing secret set; Stripe posts to {url}"))
    return found


async def stripe_price(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """The configured price, read with the key: it exists, and how it reads."""
    key, price = settings.stripe_secret_key, settings.stripe_price_id
    if key is None or price is None:
        return []
    api = StripeHttpApi(key.get_secret_value(), settings.stripe_api_url, timeout=10.0)
    try:
        shown = await api.price(price)
    except StripeMissing:
        return [fail("stripe price", f"Stripe has no price {price} (test and live keys differ)")]
    except StripeRefused as e:
        return [fail("stripe price", str(e))]
    finally:
        await api.aclose()
    if shown.endswith("(inactive)"):
        return [warn("stripe price", f"{price}: {shown}; Checkout refuses an inactive price")]
    return [ok("stripe price", f"{price}: {shown}")]
