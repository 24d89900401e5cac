"""Builds the object graph from settings: storage, publishers, core services, messengers."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.ayrshare.client import AyrshareClient
from adapters.ayrshare.publisher import AyrsharePublisher
from adapters.db.cipher import Keyring, load_or_create_sandbox_keyfile
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.sandbox.publisher import SandboxPublisher, parse_fail_spec
from bot.analytics import AnalyticsServices, build_analytics
from bot.media import SandboxMediaHost, build_media_host
from bot.settings import Settings
from core.accounts import Accounts
from core.app import Postroom
from core.model import ChatPlatform, Route, Tier
from core.pipeline import Pipeline, PipelineConfig
from core.policy import Policy
from core.ports import Clock, MediaHost, Messenger, Publisher
from core.progress import ProgressNotifier

log = logging.getLogger(__name__)


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
            "POSTROOM_SECRET_KEYS is required when Ayrshare is configured: "
            "generate one with `postroom keys generate`."
        )
    path = settings.var_dir / "secret.key"
    existed = path.exists()
    spec = load_or_create_sandbox_keyfile(path)
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


def build_publishers(
    settings: Settings, http: httpx.AsyncClient, clock: Clock
) -> dict[Route, Publisher]:
    if settings.sandbox:
        fail = parse_fail_spec(settings.sandbox_fail)
        return {route: SandboxPublisher(route, fail=fail, clock=clock) for route in Route}
    assert settings.ayrshare_api_key is not None
    client = AyrshareClient(
        http,
        base_url=settings.ayrshare_base_url,
        api_key=settings.ayrshare_api_key.get_secret_value(),
        x_api_key=_plain(settings.ayrshare_x_api_key),
        x_api_secret=_plain(settings.ayrshare_x_api_secret),
    )
    private_key = None
    if settings.ayrshare_private_key_file is not None:
        private_key = settings.ayrshare_private_key_file.read_text()
    # The free tier's direct Instagram Graph route is not wired here yet: core answers
    # "not set up on this server" for it rather than guessing.
    return {
        Route.AYRSHARE: AyrsharePublisher(
            client, jwt_domain=settings.ayrshare_domain, private_key_pem=private_key
        )
    }


def _plain(secret: object) -> str | None:
    getter = getattr(secret, "get_secret_value", None)
    return None if getter is None else str(getter())


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    http: httpx.AsyncClient
    clock: Clock
    keyring: Keyring
    uow: SqlUnitOfWorkFactory
    publishers: Mapping[Route, Publisher]
    accounts: Accounts
    postroom: Postroom
    pipeline: Pipeline
    messengers: dict[ChatPlatform, Messenger] = field(default_factory=dict)
    media_host: MediaHost = field(default_factory=SandboxMediaHost)
    analytics: AnalyticsServices | None = None

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.engine.dispose()


def build(
    settings: Settings,
    *,
    http: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
    messengers: dict[ChatPlatform, Messenger] | None = None,
) -> Services:
    """The whole object graph; tests pass fakes for `http` (ASGI transports) and `clock`."""
    clock = clock or SystemClock()
    http = http or httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0))
    keyring = load_keyring(settings)
    engine = make_engine(settings.resolved_database_url)
    uow = SqlUnitOfWorkFactory(make_session_factory(engine), keyring)
    publishers = build_publishers(settings, http, clock)
    accounts = Accounts(
        uow,
        publishers,
        clock,
        default_tier=settings.resolved_default_tier,
        default_timezone=settings.default_timezone,
    )
    policy = build_policy(settings)
    messengers = messengers if messengers is not None else {}
    notifier = ProgressNotifier(uow, messengers)
    postroom = Postroom(
        uow=uow,
        publishers=publishers,
        accounts=accounts,
        policy=policy,
        clock=clock,
        sandbox=settings.sandbox,
        notifier=notifier,
    )
    worker = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    config = PipelineConfig(worker=worker, missed_grace=settings.missed_grace)
    pipeline = Pipeline(uow, publishers, accounts, notifier, clock, config)
    return Services(
        settings,
        engine,
        http,
        clock,
        keyring,
        uow,
        publishers,
        accounts,
        postroom,
        pipeline,
        messengers,
        media_host=build_media_host(settings, http),
        analytics=build_analytics(
            settings,
            uow=uow,
            postroom=postroom,
            policy=policy,
            clock=clock,
            http=http,
            messengers=messengers,
            worker=worker,
        ),
    )
