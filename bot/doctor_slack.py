"""`postroom doctor`'s Slack checks: the app's settings, and every bot token's auth.test."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import time
from urllib.parse import urlsplit

import httpx
from sqlalchemy.exc import SQLAlchemyError

from adapters.db.cipher import SecretError
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.slack_installations import SqlInstallationStore
from bot.findings import Finding, call, fail, ok, warn
from bot.settings import Settings
from bot.wiring import MissingSecretKeys, load_keyring

# Basic Information → App Credentials shows the signing secret as 32 lowercase letters and
# digits, and the client id as two numbers joined by a dot (e.g. 4123121235.9872358710).
_SIGNING_SECRET = re.compile(r"[0-9a-z]{32}")
_CLIENT_ID = re.compile(r"\d+\.\d+")
INSTALL_PATH = "/slack/install"  # adapters.slack.workspaces, without importing slack_sdk
REDIRECT_PATH = "/slack/oauth_redirect"
_AT_ONCE = 8  # auth.test calls in flight (Tier 4, 100+ a minute: far from the limit)


def slack_configured(settings: Settings) -> bool:
    return any(
        value is not None
        for value in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_client_id,
            settings.slack_client_secret,
            settings.slack_app_token,
        )
    )


def slack_configuration(settings: Settings) -> list[Finding]:
    """One or many workspaces, the signing secret, and (many) where Slack sends browsers."""
    if not slack_configured(settings):
        return []
    from bot.slack_oauth import check_slack  # lazily: slack_bolt loads only with Slack set

    try:
        check_slack(settings)
    except ValueError as e:
        return [fail("slack", str(e))]
    found: list[Finding] = []
    secret = settings.slack_signing_secret
    assert secret is not None  # check_slack insists
    if not _SIGNING_SECRET.fullmatch(secret.get_secret_value()):
        found.append(
            warn(
                "slack signing secret",
                "POSTROOM_SLACK_SIGNING_SECRET does not look like one (32 lowercase letters "
                "and digits, Basic Information → App Credentials): every request would be "
                "refused",
            )
        )
    if settings.slack_client_id is None:
        return found
    if not _CLIENT_ID.fullmatch(settings.slack_client_id):
        found.append(
            warn(
                "slack app",
                "POSTROOM_SLACK_CLIENT_ID does not look like a Slack client id (digits.digits)",
            )
        )
    else:
        found.append(ok("slack app", f"many workspaces: client id {settings.slack_client_id}"))
    found.append(_install_urls(settings))
    return found


def _install_urls(settings: Settings) -> Finding:
    public = (settings.public_url or "").rstrip("/")
    if not public:
        return warn(
            "slack install",
            "POSTROOM_PUBLIC_URL is not set: the redirect URI is guessed from each request's "
            "Host header; set it to the https URL Slack reaches",
        )
    redirect = public + REDIRECT_PATH
    host = urlsplit(public).hostname or ""
    if not public.startswith("https://"):
        return fail("slack install", f"{redirect}: Slack only redirects to https:// URLs")
    if not _public_host(host):
        return warn(
            "slack install",
            f"{redirect}: {host} is not a public host name, so a browser coming back from "
            "Slack elsewhere cannot reach it",
        )
    return ok(
        "slack install",
        f"install at {public}{INSTALL_PATH}; redirect URI {redirect} (list it under OAuth & "
        "Permissions → Redirect URLs)",
    )


def _public_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        local = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
        return "." in host and not local
    return address.is_global


async def slack_bot(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """auth.test with the one bot token (https://api.slack.com/methods/auth.test): Slack
    answers HTTP 200 with ok false and an error code for a bad token."""
    assert settings.slack_bot_token is not None
    token = settings.slack_bot_token.get_secret_value()
    answer = await _auth_test(settings, http, "slack", token)
    if isinstance(answer, Finding):
        return [answer]
    if not answer.get("ok"):
        return [fail("slack", f"Slack refused POSTROOM_SLACK_BOT_TOKEN: {answer.get('error')}")]
    return [ok("slack", f"bot token valid: {_who(answer)}")]


async def slack_workspaces(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    """auth.test with every installed workspace's bot token, read from the database."""
    assert settings.slack_client_id is not None
    engine = make_engine(settings.resolved_database_url)
    try:
        store = SqlInstallationStore(
            make_session_factory(engine),
            load_keyring(settings),
            client_id=settings.slack_client_id,
        )
        bots = await store.async_bots()
    except (MissingSecretKeys, SecretError) as e:
        return [fail("slack workspaces", str(e))]
    except SQLAlchemyError as e:
        return [fail("slack workspaces", f"cannot read the installations ({type(e).__name__})")]
    finally:
        await engine.dispose()
    if not bots:
        public = (settings.public_url or "https://<host>").rstrip("/")
        return [warn("slack workspaces", f"none installed yet: install at {public}{INSTALL_PATH}")]
    gate = asyncio.Semaphore(_AT_ONCE)

    async def check(name: str, token: str, expires_at: int | None, rotates: bool) -> Finding:
        async with gate:
            answer = await _auth_test(settings, http, name, token)
        if isinstance(answer, Finding):
            return answer
        if answer.get("ok"):
            left = "" if expires_at is None else f", {_hours(expires_at)} left (rotated first)"
            return ok(name, f"bot token valid: {_who(answer)}{left}")
        error = str(answer.get("error"))
        if error == "token_expired" and rotates:
            return warn(name, "bot token expired: exchanged for a new one at its next use")
        return fail(name, f"Slack refused its bot token: {error} (install it again)")

    checks = [
        check(
            _name(bot.enterprise_id, bot.team_id),
            bot.bot_token or "",
            bot.bot_token_expires_at,
            bot.bot_refresh_token is not None,
        )
        for bot in bots
    ]
    return sorted(await asyncio.gather(*checks), key=lambda f: f.check)


async def _auth_test(
    settings: Settings, http: httpx.AsyncClient, check: str, token: str
) -> dict[str, object] | Finding:
    url = settings.slack_api_url.rstrip("/") + "/auth.test"
    answer = await call(http, check, "POST", url, headers={"Authorization": f"Bearer {token}"})
    if isinstance(answer, Finding):
        return answer
    response, data = answer
    return data or {"ok": False, "error": f"HTTP {response.status_code}"}


def _who(answer: dict[str, object]) -> str:
    return f"{answer.get('user', '?')} in {answer.get('team') or answer.get('enterprise_id')}"


def _name(enterprise: str | None, team: str | None) -> str:
    if enterprise and not team:
        return f"slack {enterprise} (org-wide)"
    return f"slack {enterprise}:{team}" if enterprise else f"slack {team}"


def _hours(expires_at: int) -> str:
    return f"{max(0.0, (expires_at - time.time()) / 3600):.1f} h"
