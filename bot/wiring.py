"""The parts bot.bootstrap assembles: the system clock, keys, tier policy, publishing, the
Free tier's Instagram Login, CSV import and export."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx

from adapters.ayrshare.budgeted import Budgeted
from adapters.ayrshare.client import AyrshareClient
from adapters.ayrshare.publisher import AyrsharePublisher
from adapters.db.cipher import Keyring, load_or_create_sandbox_keyfile
from adapters.instagram.account import InstagramAccountLogin
from adapters.instagram.login import InstagramLogin
from adapters.instagram.publisher import NOT_SET_UP, InstagramGraphPublisher
from adapters.sandbox.publisher import SandboxPublisher, parse_fail_spec
from bot.ayrshare_web import WEBHOOK_PATH
from bot.logs import REDACT, key_spec_secrets
from bot.settings import Settings
from core.actions import Action
from core.chat.entry import Postroom
from core.model import Route, Tier
from core.policy import Policy
from core.ports import Clock, Publisher, UnitOfWorkFactory
from core.roles import Capability
from core.telemetry import Telemetry
from core.tiers import Plan
from core.transfer.export import ExportCommands
from core.transfer.imports import ImportCommands

log = logging.getLogger(__name__)

INSTAGRAM_CALLBACK = "/oauth/instagram/callback"  # the redirect URI under POSTROOM_PUBLIC_URL
NO_REDIRECT = (
    "Instagram Login needs POSTROOM_PUBLIC_URL and the web app on this server (its redirect "
    "URI is <POSTROOM_PUBLIC_URL>/oauth/instagram/callback)."
)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MissingSecretKeys(RuntimeError):
    """Outside the sandbox, secrets must be encrypted with operator-provided keys."""


def load_keyring(settings: Settings) -> Keyring:
    if settings.secret_keys is not None:
        return Keyring.parse(settings.secret_keys.get_secret_value())
    if not settings.sandbox:
        raise MissingSecretKeys(
            "POSTROOM_SECRET_KEYS is required outside the sandbox (Ayrshare or a Meta app): "
            "generate one with `postroom keys generate`."
        )
    path = settings.var_dir / "secret.key"
    existed = path.exists()
    spec = load_or_create_sandbox_keyfile(path)
    for key in key_spec_secrets(spec):
        REDACT.add(key)
    if not existed:
        log.warning(
            "sandbox: generated a secret key into %s (mode 0600); set "
            "POSTROOM_SECRET_KEYS before using real accounts",
            path,
        )
    return Keyring.parse(spec)


def build_policy(settings: Settings) -> Policy:
    return (
        Policy.default()
        .with_limits(
            Tier.FREE,
            max_scheduled=settings.free_max_scheduled,
            posts_per_month=settings.free_posts_per_month,
        )
        .with_limits(
            Tier.PRO,
            max_scheduled=settings.pro_max_scheduled,
            posts_per_month=settings.pro_posts_per_month,
        )
    )


def ayrshare_client(
    settings: Settings, http: httpx.AsyncClient, telemetry: Telemetry | None = None
) -> AyrshareClient:
    """The one Ayrshare client: publishing, analytics and media uploads all go through it."""
    assert settings.ayrshare_api_key is not None
    return AyrshareClient(
        http,
        base_url=settings.ayrshare_base_url,
        api_key=settings.ayrshare_api_key.get_secret_value(),
        x_api_key=_plain(settings.ayrshare_x_api_key),
        x_api_secret=_plain(settings.ayrshare_x_api_secret),
        telemetry=telemetry,
    )


def build_plans(settings: Settings) -> tuple[Plan, ...]:
    """The plans on sale, with their prices from configuration."""
    return (
        Plan(
            "pro",
            Tier.PRO,
            stars=settings.pro_stars_price,
            stripe_price_id=settings.stripe_price_id,
        ),
    )


def build_publishers(
    settings: Settings,
    client: AyrshareClient | None,
    clock: Clock,
    budgeted: Budgeted | None = None,
    http: httpx.AsyncClient | None = None,
) -> dict[Route, Publisher]:
    if settings.sandbox:
        fail = parse_fail_spec(settings.sandbox_fail)
        return {route: SandboxPublisher(route, fail=fail, clock=clock) for route in Route}
    publishers: dict[Route, Publisher] = {}
    if client is not None:
        publishers[Route.AYRSHARE] = _ayrshare_publisher(settings, client, budgeted)
    if http is not None:
        # The Free tier's direct route publishes for any profile holding an Instagram token;
        # without a Meta app to connect with, Instagram is shown ⛔ with the reason. Without
        # Ayrshare (a Free-tier-only server) Pro's networks say they are not set up here.
        unset = instagram_login_unset(settings)
        publishers[Route.INSTAGRAM_GRAPH] = InstagramGraphPublisher(
            http,
            base_url=settings.instagram_api_url,
            clock=clock,
            app_configured=unset is None,
            not_set_up=unset or NOT_SET_UP,
        )
    return publishers


def _ayrshare_publisher(
    settings: Settings, client: AyrshareClient, budgeted: Budgeted | None
) -> AyrsharePublisher:
    private_key = None
    if settings.ayrshare_private_key_file is not None:
        private_key = settings.ayrshare_private_key_file.read_text()
        for line in private_key.splitlines():
            if not line.startswith("-----"):
                REDACT.add(line.strip())
    return AyrsharePublisher(
        client,
        jwt_domain=settings.ayrshare_domain,
        private_key_pem=private_key,
        budgeted=budgeted,
        # Ayrshare only posts to https URLs: without a public URL, no webhook.
        webhook_url=ayrshare_webhook_url(settings),
        webhook_secret=_plain(settings.ayrshare_webhook_secret),
    )


def instagram_login_unset(settings: Settings) -> str | None:
    """Why Free users cannot log in to Instagram here, or None when they can."""
    if settings.instagram_app_id is None or settings.instagram_app_secret is None:
        return NOT_SET_UP
    if not settings.public_url or not settings.http_port:
        return NO_REDIRECT
    return None


def instagram_login(
    settings: Settings, http: httpx.AsyncClient | None, clock: Clock
) -> InstagramAccountLogin | None:
    """Instagram Login for the Free tier, when a Meta app is configured (not in the sandbox,
    whose Free tier has no direct route)."""
    if http is None or settings.sandbox or instagram_login_unset(settings) is not None:
        return None
    assert settings.instagram_app_id is not None and settings.instagram_app_secret is not None
    assert settings.public_url is not None
    login = InstagramLogin(
        http,
        app_id=settings.instagram_app_id,
        app_secret=settings.instagram_app_secret.get_secret_value(),
        redirect_uri=settings.public_url.rstrip("/") + INSTAGRAM_CALLBACK,
        oauth_url=settings.instagram_oauth_url,
        graph_url=settings.instagram_api_url,
    )
    return InstagramAccountLogin(login, clock)


def ayrshare_webhook_url(settings: Settings) -> str | None:
    """Where Ayrshare posts its social events: the web app's /ayrshare/webhook."""
    if not settings.public_url or not settings.http_port:
        return None
    return settings.public_url.rstrip("/") + WEBHOOK_PATH


def _plain(secret: object) -> str | None:
    getter = getattr(secret, "get_secret_value", None)
    return None if getter is None else str(getter())


def add_transfer(postroom: Postroom, uow: UnitOfWorkFactory, policy: Policy, clock: Clock) -> None:
    """/import (and CSV files sent in chat) and /export, plugged into `postroom`."""
    imports = ImportCommands(uow, policy, clock, postroom.unavailable)
    exports = ExportCommands(uow, clock)
    postroom.add_command(
        "import",
        imports.command,
        "/import — schedule posts from a CSV file (or pasted CSV)",
        capability=Capability.COMPOSE,
    )
    postroom.add_command(
        "export",
        exports.export,
        "/export [json] — your posts and numbers as a file",
        capability=Capability.VIEW,
    )
    postroom.add_tap(Action.IMPORT, imports.tap, capability=Capability.COMPOSE)
    postroom.on_upload(imports.upload)
