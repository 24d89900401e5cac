"""`postroom doctor`: checks configuration, the database and each configured upstream's
credentials with one cheap authenticated call each, and prints a report without secrets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from adapters.ayrshare.client import AyrshareClient
from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine
from bot.doctor_slack import slack_bot, slack_configuration, slack_workspaces
from bot.doctor_stripe import configured as stripe_configured
from bot.doctor_stripe import stripe_configuration, stripe_price
from bot.findings import CALL_TIMEOUT, Finding, Status
from bot.findings import call as _call
from bot.findings import fail as _fail
from bot.findings import ok as _ok
from bot.findings import warn as _warn
from bot.ops import schema_problem
from bot.settings import Settings
from core.errors import PublishError

# Telegram keeps undelivered updates for 24 hours; this many waiting means nobody takes them.
PENDING_WARN = 100
WEBHOOK_PATH = "/telegram/webhook"  # bot.telegram.WEBHOOK_PATH, without importing PTB


# --- configuration --------------------------------------------------------------------------


def configuration(settings: Settings) -> list[Finding]:
    """What the settings say, and what they lack, without calling anything."""
    found: list[Finding] = []
    if settings.sandbox:
        found.append(_ok("mode", "sandbox: no Ayrshare key, posts go to simulated networks"))
    elif settings.ayrshare_api_key is None:
        found.append(
            _ok("mode", "Free tier only: Instagram through the Meta app, no Ayrshare key")
        )
    else:
        found.append(_ok("mode", "Ayrshare (POSTROOM_AYRSHARE_API_KEY is set)"))
    if settings.secret_keys is not None:
        try:
            keyring = Keyring.parse(settings.secret_keys.get_secret_value())
        except ValueError as e:
            found.append(_fail("secret keys", str(e)))
        else:
            found.append(
                _ok("secret keys", f"POSTROOM_SECRET_KEYS: primary key {keyring.primary_key_id}")
            )
    elif settings.sandbox:
        found.append(_ok("secret keys", f"sandbox key file {settings.var_dir / 'secret.key'}"))
    else:
        found.append(
            _fail(
                "secret keys",
                "POSTROOM_SECRET_KEYS is required outside the sandbox: `postroom keys generate`",
            )
        )
    if settings.ayrshare_api_key is not None:
        found.extend(_ayrshare_configuration(settings))
    found.extend(slack_configuration(settings))
    found.extend(stripe_configuration(settings))
    if settings.public_url and not settings.public_url.startswith("https://"):
        found.append(_fail("public url", "POSTROOM_PUBLIC_URL must be an https:// URL"))
    elif settings.public_url and not settings.http_port:
        found.append(
            _fail("public url", "POSTROOM_PUBLIC_URL needs the web app: set POSTROOM_HTTP_PORT")
        )
    return found


def _ayrshare_configuration(settings: Settings) -> list[Finding]:
    found: list[Finding] = []
    path = settings.ayrshare_private_key_file
    if path is None or not settings.ayrshare_domain:
        found.append(
            _warn(
                "ayrshare links",
                "POSTROOM_AYRSHARE_DOMAIN and POSTROOM_AYRSHARE_PRIVATE_KEY_FILE are needed "
                "for /connect links",
            )
        )
    else:
        try:
            pem = path.read_text()
        except OSError as e:
            found.append(_fail("ayrshare links", f"cannot read {path}: {e.strerror}"))
        else:
            if "PRIVATE KEY" not in pem:
                found.append(_fail("ayrshare links", f"{path} holds no PEM private key"))
    if (settings.ayrshare_x_api_key is None) != (settings.ayrshare_x_api_secret is None):
        found.append(
            _fail(
                "ayrshare x keys",
                "set both POSTROOM_AYRSHARE_X_API_KEY and POSTROOM_AYRSHARE_X_API_SECRET",
            )
        )
    return found


# --- database -------------------------------------------------------------------------------


async def database(settings: Settings) -> Finding:
    url = settings.resolved_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    engine = make_engine(url)
    try:
        problem = await schema_problem(engine)
    finally:
        await engine.dispose()
    if problem is None:
        return _ok("database", f"{shown}: reachable, schema current")
    hint = ""
    if "revision" in problem:
        on_sqlite = make_url(url).get_backend_name() == "sqlite"
        hint = (
            " (`postroom db upgrade`; `postroom run` does it at start on SQLite)"
            if on_sqlite
            else " (`postroom db upgrade`)"
        )
    return _fail("database", f"{shown}: {problem}{hint}")


# --- upstreams ------------------------------------------------------------------------------


Check = Callable[[Settings, httpx.AsyncClient], Awaitable[list[Finding]]]


async def telegram(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """getMe proves the token; getWebhookInfo shows where updates go and how many wait
    (https://core.telegram.org/bots/api#getwebhookinfo)."""
    assert settings.telegram_token is not None
    base = settings.telegram_api_url.rstrip("/") + settings.telegram_token.get_secret_value()
    answer = await _call(http, "telegram", "GET", f"{base}/getMe")
    if isinstance(answer, Finding):
        return [answer]
    me, data = answer
    if not data.get("ok"):
        reason = data.get("description") or f"HTTP {me.status_code}"
        return [_fail("telegram", f"Telegram refused POSTROOM_TELEGRAM_TOKEN: {reason}")]
    username = (data.get("result") or {}).get("username", "?")
    found = [_ok("telegram", f"token valid: @{username}")]
    answer = await _call(http, "telegram webhook", "GET", f"{base}/getWebhookInfo")
    if isinstance(answer, Finding):
        return [*found, answer]
    info = answer[1].get("result") or {}
    found.append(_webhook(settings, info))
    pending = int(info.get("pending_update_count") or 0)
    note = f"{pending} update(s) waiting"
    found.append(
        _warn("telegram updates", note)
        if pending >= PENDING_WARN
        else _ok("telegram updates", note)
    )
    return found


def _webhook(settings: Settings, info: dict[str, Any]) -> Finding:
    url = str(info.get("url") or "")
    expected = settings.public_url.rstrip("/") + WEBHOOK_PATH if settings.public_url else ""
    error = str(info.get("last_error_message") or "")
    if expected and url != expected:
        shown = url or "none"
        return _fail(
            "telegram webhook", f"registered {shown}, expected {expected} (start the bot)"
        )
    if expected and error:
        return _fail("telegram webhook", f"{url}: Telegram's last delivery failed: {error}")
    if expected:
        return _ok("telegram webhook", f"{url}")
    if url:
        return _warn(
            "telegram webhook",
            f"a webhook is set ({url}) but POSTROOM_PUBLIC_URL is not: polling removes it",
        )
    return _ok("telegram webhook", "none: long polling")


async def ayrshare(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """GET /user with the API key (https://www.ayrshare.com/docs/apis/user/profile-details)."""
    assert settings.ayrshare_api_key is not None
    client = AyrshareClient(
        http,
        base_url=settings.ayrshare_base_url,
        api_key=settings.ayrshare_api_key.get_secret_value(),
        timeout=CALL_TIMEOUT,
    )
    try:
        linked = await client.user(None)
    except PublishError as e:
        return [_fail("ayrshare", f"GET /user: {e.reason}")]
    names = ", ".join(sorted(linked)) or "none linked on the primary profile"
    return [_ok("ayrshare", f"API key valid ({names})")]


async def instagram(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """GET /me with the access token
    (https://developers.facebook.com/docs/instagram-platform/reference/me)."""
    assert settings.instagram_access_token is not None
    url = settings.instagram_api_url.rstrip("/") + "/me"
    params = {
        "fields": "user_id,username",
        "access_token": settings.instagram_access_token.get_secret_value(),
    }
    answer = await _call(http, "instagram", "GET", url, params=params)
    if isinstance(answer, Finding):
        return [answer]
    response, data = answer
    if response.status_code != 200 or "error" in data:
        raw = data.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        reason = str(error.get("message") or f"HTTP {response.status_code}")
        if error.get("code") is not None:
            reason += f" (code {error['code']})"
        return [_fail("instagram", f"Instagram refused POSTROOM_INSTAGRAM_ACCESS_TOKEN: {reason}")]
    return [_ok("instagram", f"access token valid: @{data.get('username', '?')}")]


def upstream_checks(settings: Settings) -> list[Check]:
    """The checks for what is configured; nothing is called for what is not."""
    checks: list[Check] = []
    if settings.telegram_token is not None:
        checks.append(telegram)
    if settings.ayrshare_api_key is not None:
        checks.append(ayrshare)
    if settings.slack_bot_token is not None:
        checks.append(slack_bot)
    if settings.slack_client_id is not None:
        checks.append(slack_workspaces)
    if settings.instagram_access_token is not None:
        checks.append(instagram)
    if stripe_configured(settings):
        checks.append(stripe_price)
    return checks


# --- the report -----------------------------------------------------------------------------


async def diagnose(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    # httpx logs request URLs at INFO, and Telegram's carry the token; Alembic logs its
    # context at INFO on every revision read. The report is the output.
    for name in ("httpx", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    findings = configuration(settings)
    findings.append(await database(settings))
    checks = upstream_checks(settings)
    if not checks:
        findings.append(_ok("upstreams", "none configured (sandbox and console need none)"))
    results = await asyncio.gather(
        *(asyncio.wait_for(check(settings, http), CALL_TIMEOUT * 2) for check in checks),
        return_exceptions=True,
    )
    for check, result in zip(checks, results, strict=True):
        if isinstance(result, TimeoutError):
            findings.append(_fail(check.__name__, f"no answer within {CALL_TIMEOUT * 2:.0f} s"))
        elif isinstance(result, BaseException):
            findings.append(_fail(check.__name__, f"the check failed ({type(result).__name__})"))
        else:
            findings.extend(result)
    return findings


def render(findings: list[Finding]) -> str:
    width = max(len(f.check) for f in findings)
    lines = [f"{f.status.value:>4}  {f.check:<{width}}  {f.detail}" for f in findings]
    failed = sum(1 for f in findings if f.status is Status.FAIL)
    warned = sum(1 for f in findings if f.status is Status.WARN)
    if failed:
        lines.append(f"{failed} problem(s), {warned} warning(s)")
    else:
        lines.append(f"all good ({warned} warning(s))" if warned else "all good")
    return "\n".join(lines)


async def doctor(settings: Settings) -> int:
    """Print the report; 1 when anything failed, else 0."""
    async with httpx.AsyncClient(timeout=CALL_TIMEOUT) as http:
        findings = await diagnose(settings, http)
    print(render(findings), flush=True)
    return 1 if any(f.status is Status.FAIL for f in findings) else 0
