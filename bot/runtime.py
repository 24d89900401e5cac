"""Runs everything on one event loop: web app, scheduler tick and chat front ends, with a
clean stop on SIGTERM/SIGINT (the tick in flight finishes, unsent claims are handed back)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING

import uvicorn

from adapters.console.chat import ConsoleChat
from adapters.db.engine import ping
from bot.analytics import AnalyticsJobs
from bot.ayrshare_web import ayrshare_routes
from bot.bootstrap import ChatFactory, bootstrap
from bot.housekeeping import Housekeeping, Pass
from bot.kit_web import kit_routes
from bot.login_web import login_routes
from bot.media import media_routes
from bot.ops import ops_routes
from bot.schema import SchemaOutOfDate, check_schema, prepare_schema
from bot.settings import Settings
from bot.stripe_web import stripe_routes
from bot.telegram import TelegramService
from bot.ticker import Ticker
from bot.web import create_app
from core.model import ChatPlatform

if TYPE_CHECKING:
    from bot.slack import SlackService

__all__ = ["SchemaOutOfDate", "check_schema", "run"]

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runtime owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        except SystemExit:  # uvicorn exits the process when it cannot listen
            where = f"{self.config.host}:{self.config.port}"
            raise ValueError(
                f"the web app cannot listen on {where} (is the port taken?): set "
                "POSTROOM_HTTP_PORT to a free port, or 0 to turn the web app off"
            ) from None


async def run(settings: Settings, *, console: bool | None = None) -> None:
    """The bot until a stop signal (or, for the console, the end of input)."""
    use_console = sys.stdin.isatty() if console is None else console
    chats: dict[ChatPlatform, ChatFactory] = (
        {ChatPlatform.CONSOLE: partial(ConsoleChat, files=settings.var_dir / "exports")}
        if use_console
        else {}
    )
    services = bootstrap(settings, chats=chats)
    chat = services.messengers.get(ChatPlatform.CONSOLE)
    assert chat is None or isinstance(chat, ConsoleChat)
    try:
        await prepare_schema(services.engine, settings.resolved_database_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        ticker = Ticker(services.pipeline)

        async def wake_pipeline() -> None:
            ticker.wake()  # "Publish now" shows progress at once, not at the next tick

        telegram: TelegramService | None = None
        if settings.telegram_token is not None:
            telegram = TelegramService(settings, services, wake=wake_pipeline)
            await telegram.start()
        slack: SlackService | None = None
        slack_set = (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_client_id,
            settings.slack_app_token,
        )
        if any(value is not None for value in slack_set):
            from bot.slack import SlackService  # lazily: a bot without Slack never loads it

            slack = SlackService(settings, services, wake=wake_pipeline)
            await slack.start()
        ticker.start()
        jobs: AnalyticsJobs | None = None
        if services.analytics is not None:
            jobs = AnalyticsJobs(
                services.analytics,
                sync_every=settings.analytics_every.total_seconds(),
                digest_every=settings.digest_every.total_seconds(),
            )
            jobs.start()
        housekeeping: Housekeeping | None = None
        passes: dict[str, Pass] = {}
        if services.retention is not None:
            passes["retention"] = services.retention.run
        if services.token_refresh is not None:
            passes["login token refresh"] = services.token_refresh.run
        if passes:
            every = settings.housekeeping_every.total_seconds()
            housekeeping = Housekeeping(passes, every=every)
            housekeeping.start()
        lifecycle: Housekeeping | None = None
        if services.lifecycle is not None:
            lifecycle = Housekeeping(
                {"connection lifecycle": services.lifecycle.tick},
                every=settings.lifecycle_every.total_seconds(),
            )
            lifecycle.start()
        engage_jobs: Housekeeping | None = None
        if services.engage is not None:
            # Like the analytics sync: what is due lives in the database (comment_checks).
            engage_jobs = Housekeeping(
                {"engage": services.engage.sweep.run},
                every=settings.engage_every.total_seconds(),
            )
            engage_jobs.start()
        billing_jobs: Housekeeping | None = None
        if services.billing_pass is not None:
            billing_jobs = Housekeeping(
                {"billing": services.billing_pass.run},
                every=settings.billing_every.total_seconds(),
            )
            billing_jobs.start()
        approvals: Housekeeping | None = None
        if services.approvals is not None:
            approvals = Housekeeping(
                {"approval expiry": services.approvals.run},
                every=settings.approvals_every.total_seconds(),
            )
            approvals.start()
        server: _Server | None = None
        server_task: asyncio.Task[None] | None = None
        console_task: asyncio.Task[None] | None = None
        if settings.http_port:
            routes = [
                *ops_routes(services.engine, services.telemetry, services.clock),
                *media_routes(services.media_host),
                *login_routes(services.login_callback),
                *stripe_routes(services.stripe),
                *(telegram.routes if telegram else []),
                *(slack.routes if slack else []),
                *ayrshare_routes(settings, services),
                *kit_routes(services.mediakit),
            ]
            app = create_app(lambda: ping(services.engine), routes)
            config = uvicorn.Config(
                app,
                host=settings.http_host,
                port=settings.http_port,
                log_level="warning",
                log_config=None,  # its records go through bot/logs.py like everyone's
                lifespan="off",
            )
            server = _Server(config)
            server_task = asyncio.create_task(server.serve())
            while not server.started and not server_task.done():  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            if server_task.done():
                server_task.result()  # it could not listen: say why
            log.info("web app on http://%s:%s/healthz", settings.http_host, settings.http_port)
        if chat is not None:

            async def wake() -> None:
                ticker.wake()

            chat.after_update = wake
            mode = (
                "sandbox"
                if settings.sandbox
                else "Ayrshare"
                if settings.ayrshare_api_key
                else "Instagram only"
            )
            print(f"Postroom console ({mode}). Try /start; Ctrl-D quits.", flush=True)
            console_task = asyncio.create_task(chat.interact())
            console_task.add_done_callback(lambda _: stop.set())
        await stop.wait()
        log.info("stopping: finishing work in flight")
        if console_task is not None:
            console_task.cancel()
        if housekeeping is not None:
            await housekeeping.stop()
        if lifecycle is not None:
            await lifecycle.stop()
        if billing_jobs is not None:
            await billing_jobs.stop()
        if approvals is not None:
            await approvals.stop()
        if engage_jobs is not None:
            await engage_jobs.stop()
        if jobs is not None:
            await jobs.stop()  # digests in flight finish while the messengers still run
        # The pipeline stops before Telegram: its last outcomes still edit progress messages.
        await ticker.stop()
        if telegram is not None:
            await telegram.stop()
        if slack is not None:
            await slack.stop()
        if server is not None and server_task is not None:
            server.should_exit = True
            await server_task
    finally:
        await services.aclose()
