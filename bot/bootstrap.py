"""The one composition root: `bootstrap(settings, **overrides)` builds the whole object graph."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram.ext import BaseRateLimiter

from adapters.ayrshare.budgeted import Budgeted
from adapters.ayrshare.client import AyrshareClient
from adapters.db.cipher import Keyring
from adapters.db.engine import make_engine, make_session_factory
from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.prometheus import PrometheusTelemetry
from adapters.telegram.application import TelegramApplication, build_application
from adapters.telegram.chat import TelegramChatAdmins
from adapters.telegram.limiter import TelegramRateLimiter
from adapters.telegram.messenger import TelegramMessenger
from adapters.telegram.metered import MeteredRateLimiter
from bot.analytics import AnalyticsServices, build_analytics, build_sources
from bot.engage import EngageServices, build_comment_sources, build_engage
from bot.housekeeping import build_retention
from bot.kit_web import MediaKit, build_mediakit
from bot.media import build_media_host
from bot.ops import count_db_errors
from bot.planning import PlanningServices, build_planning
from bot.settings import Settings
from bot.stars import build_stars, stars_provider
from bot.stripe_web import StripeParts, build_stripe
from bot.wiring import (
    SystemClock,
    add_transfer,
    ayrshare_client,
    build_plans,
    build_policy,
    build_publishers,
    instagram_login,
    load_keyring,
)
from core.analytics_ports import AnalyticsSource, ChartRenderer
from core.approvals.expiry import ApprovalExpiry
from core.billing.lifecycle import Billing
from core.billing.passes import BillingPass
from core.billing_ports import PaymentProvider
from core.chat.entry import Postroom
from core.chat.login import LoginCallback
from core.engage_ports import CommentSource
from core.lifecycle import ConnectionLifecycle
from core.logins import AccountLogin
from core.model import ChatPlatform, Network, Provider, Route
from core.policy import Policy
from core.ports import Clock, MediaHost, Messenger, Publisher, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.publishing.config import PipelineConfig
from core.publishing.pipeline import Pipeline
from core.publishing.plan_gate import PlanGate
from core.publishing.progress import ProgressNotifier
from core.publishing.token_refresh import TokenRefresh
from core.request_budget import RequestBudget
from core.retention import Retention
from core.stars.sales import StarsSales
from core.telemetry import MeteredPublisher

if TYPE_CHECKING:
    from adapters.slack.limiter import ChannelPace

__all__ = ["ChatFactory", "Services", "bootstrap"]

log = logging.getLogger(__name__)

# A chat front end whose messenger calls back into core (the console reads input for
# Postroom; Telegram moves a migrated chat's posts): built once Postroom exists.
ChatFactory = Callable[[Postroom], Messenger]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class TelegramBot:
    """The PTB Application and its messenger; bot.telegram runs them (polling or webhook)."""

    application: TelegramApplication
    messenger: TelegramMessenger


@dataclass
class Services:
    settings: Settings
    http: httpx.AsyncClient | None
    clock: Clock
    uow: UnitOfWorkFactory
    publishers: Mapping[Route, Publisher]
    accounts: Accounts
    postroom: Postroom
    pipeline: Pipeline
    messengers: Mapping[ChatPlatform, Messenger]  # complete and read-only once built
    media_host: MediaHost
    budget: RequestBudget  # the Ayrshare profiles' one request budget (publishing first)
    analytics: AnalyticsServices | None
    telegram: TelegramBot | None
    sql_engine: AsyncEngine | None = None
    sql_keyring: Keyring | None = None
    # Its own registry per bootstrap: /metrics shows this bot's numbers only.
    telemetry: PrometheusTelemetry = field(default_factory=PrometheusTelemetry)
    retention: Retention | None = None  # with a database
    login_callback: LoginCallback | None = None  # with a login configured (Instagram)
    token_refresh: TokenRefresh | None = None
    lifecycle: ConnectionLifecycle | None = None  # link checks and warnings
    # Closed by `aclose` after the HTTP client (the Slack messenger's aiohttp session).
    closing: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    billing: Billing | None = None  # always set by bootstrap
    billing_pass: BillingPass | None = None  # always set by bootstrap
    payments: Mapping[Provider, PaymentProvider] = field(default_factory=dict)
    stars: StarsSales | None = None  # Pro sold in Telegram Stars (POSTROOM_PRO_STARS_PRICE)
    stripe: StripeParts | None = None  # Stripe Checkout, Portal and webhook, when configured
    mediakit: MediaKit | None = None  # /mediakit and the /kit/<slug> pages, over SQL
    approvals: ApprovalExpiry | None = None  # always set by bootstrap: holds overdue approvals
    planning: PlanningServices | None = None  # templates, posting slots, the queue
    engage: EngageServices | None = None  # always set by bootstrap: comments in chat

    @property
    def engine(self) -> AsyncEngine:
        if self.sql_engine is None:
            raise RuntimeError("built over an injected unit of work: there is no database")
        return self.sql_engine

    @property
    def keyring(self) -> Keyring:
        if self.sql_keyring is None:
            raise RuntimeError("built over an injected unit of work: there is no keyring")
        return self.sql_keyring

    async def aclose(self) -> None:
        if self.stripe is not None:
            await self.stripe.api.aclose()
        if self.http is not None:
            await self.http.aclose()
        for close in self.closing:
            await close()
        if self.sql_engine is not None:
            await self.sql_engine.dispose()


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One TLS context for every HTTP client made here: each would load the CA bundle anew
    (about 0.8 MB apiece)."""
    return httpx.create_ssl_context()


def bootstrap(
    settings: Settings,
    *,
    # Time and storage.
    clock: Clock | None = None,
    sleep: Sleep | None = None,  # analytics waits: its share of the rate limit, backoff
    uow: UnitOfWorkFactory | None = None,
    # Outside worlds: one HTTP client for the providers (tests pass ASGI transports; base
    # URLs come from `settings`), publishers, analytics sources, media host, charts.
    http: httpx.AsyncClient | None = None,
    publishers: Mapping[Route, Publisher] | None = None,
    sources: Mapping[Route, AnalyticsSource] | None = None,
    comment_sources: Mapping[Route, CommentSource] | None = None,
    media_host: MediaHost | None = None,
    charts: ChartRenderer | None = None,
    budget: RequestBudget | None = None,
    payments: Mapping[Provider, PaymentProvider] | None = None,  # the ways to pay for a plan
    # Core.
    policy: Policy | None = None,
    pipeline_config: PipelineConfig | None = None,
    rng: random.Random | None = None,  # the pipeline's backoff jitter
    bot_username: str | None = None,
    sandbox: bool | None = None,  # core's sandbox wording; default: no Ayrshare key
    # Chats: ready messengers, front ends built on Postroom, Telegram's transport.
    messengers: Mapping[ChatPlatform, Messenger] | None = None,
    chats: Mapping[ChatPlatform, ChatFactory] | None = None,
    telegram_transport: httpx.AsyncBaseTransport | None = None,
    telegram_rate_limiter: BaseRateLimiter[Any] | None = None,
    slack_pace: ChannelPace | None = None,  # Slack's per-channel pace and 429 waits
) -> Services:
    """Everything the bot runs on, from `settings`; each keyword replaces one part (tests)."""
    clock = clock or SystemClock()
    sleep = sleep or asyncio.sleep
    policy = policy or build_policy(settings)
    worker = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
    telemetry = PrometheusTelemetry()

    # --- storage ---------------------------------------------------------------------------
    engine: AsyncEngine | None = None
    keyring: Keyring | None = None
    if uow is None:
        keyring = load_keyring(settings)
        engine = make_engine(settings.resolved_database_url)
        count_db_errors(engine, telemetry)
        uow = SqlUnitOfWorkFactory(make_session_factory(engine), keyring)

    # --- providers: one Ayrshare client and one per-profile budget for all of its uses -----
    if http is None and not settings.sandbox:
        http = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=10.0), verify=shared_tls())
    client: AyrshareClient | None = None
    if settings.ayrshare_api_key is not None:
        assert http is not None
        client = ayrshare_client(settings, http, telemetry)
    config = pipeline_config or PipelineConfig(worker=worker, missed_grace=settings.missed_grace)
    budget = budget or RequestBudget(
        config.profile_requests,
        config.profile_window,
        analytics_share=settings.ayrshare_analytics_budget,
    )
    # Chat-side requests (connections, deletes, links, accounts, uploads) on the same budget.
    budgeted = Budgeted(budget, clock=clock, sleep=sleep)
    if publishers is None:
        # Each publish request timed and its outcomes counted for /metrics.
        built = build_publishers(settings, client, clock, budgeted, http)
        publishers = {route: MeteredPublisher(p, telemetry) for route, p in built.items()}
    if sources is None:
        sources = build_sources(settings, client, budget, clock, sleep, http)
    if media_host is None:
        media_host = build_media_host(settings, client, budgeted)

    # --- core --------------------------------------------------------------------------------
    accounts = Accounts(
        uow,
        publishers,
        clock,
        default_tier=settings.resolved_default_tier,
        default_timezone=settings.default_timezone,
    )
    # Core holds a read-only view; the chats section below completes it before anyone sends.
    chat_out: dict[ChatPlatform, Messenger] = dict(messengers or {})
    closing: list[Callable[[], Awaitable[None]]] = []
    view: Mapping[ChatPlatform, Messenger] = MappingProxyType(chat_out)
    notifier = ProgressNotifier(uow, view)
    # Telegram's PTB Application first: selling in Stars goes through its bot.
    application: TelegramApplication | None = None
    if settings.telegram_token is not None and ChatPlatform.TELEGRAM not in chat_out:
        application = build_application(
            settings.telegram_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            polling=not settings.public_url,
            transport=telegram_transport,
            # Every Bot API request counted for /metrics, retries after a 429 included.
            rate_limiter=MeteredRateLimiter(
                telegram_rate_limiter or TelegramRateLimiter(), telemetry
            ),
            ssl_context=shared_tls(),
        )
    payments = dict(payments or {})
    bot = None if application is None else application.bot
    if Provider.TELEGRAM_STARS not in payments and (
        stars_pay := stars_provider(settings, bot, clock)
    ):
        payments[Provider.TELEGRAM_STARS] = stars_pay
    billing = Billing(
        uow,
        clock,
        policy,
        view,
        base=settings.resolved_default_tier,
        plans=build_plans(settings),
        notifier=notifier,
    )
    stripe = build_stripe(settings, billing, uow, clock)
    if stripe is not None and Provider.STRIPE not in payments:
        payments[Provider.STRIPE] = stripe.provider
    postroom = Postroom(
        uow=uow,
        publishers=publishers,
        accounts=accounts,
        policy=policy,
        clock=clock,
        bot_username=bot_username,
        sandbox=settings.sandbox if sandbox is None else sandbox,
        notifier=notifier,
        billing=billing,
        payments=payments,
    )
    # Before sending, the tier derived again: a plan that ended since the billing pass does
    # not publish where only that plan reached.
    gate = PlanGate(policy, billing.base, billing.refresh)
    pipeline = Pipeline(uow, publishers, accounts, notifier, clock, config, rng, budget, gate)
    # The Free tier's Instagram Login: /connect links to it, the web app's callback completes
    # it, housekeeping refreshes its tokens.
    logins: dict[Network, AccountLogin] = {}
    if (instagram := instagram_login(settings, http, clock)) is not None:
        logins[instagram.network] = instagram
        postroom.add_login(instagram)
    login_callback = LoginCallback(uow, logins, policy, clock, view) if logins else None
    token_refresh = TokenRefresh(uow, list(logins.values()), clock) if logins else None
    lifecycle = ConnectionLifecycle(uow, publishers, policy, view, clock)

    # --- chats ---------------------------------------------------------------------------------
    telegram: TelegramBot | None = None
    if application is not None:
        messenger = TelegramMessenger(application.bot, on_migrated=postroom.chat_moved)
        telegram = TelegramBot(application, messenger)
        postroom.add_chat_admins(ChatPlatform.TELEGRAM, TelegramChatAdmins(application.bot))
        chat_out[ChatPlatform.TELEGRAM] = messenger
    slack_out = settings.slack_bot_token is not None or settings.slack_client_id is not None
    if slack_out and ChatPlatform.SLACK not in chat_out:
        from bot.slack import slack_messenger  # lazily: a bot without Slack never loads it

        slack = slack_messenger(settings, slack_pace, engine=engine, keyring=keyring)
        chat_out[ChatPlatform.SLACK] = slack
        closing.append(slack.aclose)
    for platform, make in (chats or {}).items():
        chat_out[platform] = make(postroom)
    stars = None
    if application is not None:
        stars = build_stars(
            settings,
            bot=application.bot,
            uow=uow,
            accounts=accounts,
            billing=billing,
            clock=clock,
            postroom=postroom,
        )

    # --- analytics -----------------------------------------------------------------------------
    analytics = build_analytics(
        settings,
        uow=uow,
        postroom=postroom,
        policy=policy,
        clock=clock,
        messengers=view,
        worker=worker,
        sources=sources,
        charts=charts,
        sleep=sleep,
    )
    # After analytics: the chat menus list /import and /export after its commands.
    add_transfer(postroom, uow, policy, clock)
    mediakit = build_mediakit(settings, uow, postroom, clock)
    # Templates, posting slots and the queue: their commands come after analytics' in menus.
    planning = build_planning(postroom, uow=uow, clock=clock, policy=policy, notifier=notifier)
    # --- engage: comments pulled, pushed, answered -------------------------------------------
    if comment_sources is None:
        comment_sources = build_comment_sources(settings, client, budgeted, http)
    engage = build_engage(
        uow=uow,
        postroom=postroom,
        policy=policy,
        clock=clock,
        messengers=view,
        sources=comment_sources,
    )
    return Services(
        settings,
        http,
        clock,
        uow,
        publishers,
        accounts,
        postroom,
        pipeline,
        view,
        media_host,
        budget,
        analytics,
        telegram,
        sql_engine=engine,
        sql_keyring=keyring,
        telemetry=telemetry,
        retention=None if engine is None else build_retention(settings, engine, clock, media_host),
        login_callback=login_callback,
        token_refresh=token_refresh,
        lifecycle=lifecycle,
        closing=closing,
        billing=billing,
        billing_pass=BillingPass(billing, uow, clock),
        payments=payments,
        stars=stars,
        stripe=stripe,
        mediakit=mediakit,
        approvals=ApprovalExpiry(uow, clock, notifier),
        planning=planning,
        engage=engage,
    )
