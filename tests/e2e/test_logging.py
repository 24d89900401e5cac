"""Logs as an operator meets them: quiet when idle, out of the console chat, JSON lines with
post, target and update ids, and never a secret, whoever handles the record."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.telegram.limiter import TelegramRateLimiter
from bot.analytics import AnalyticsJobs
from bot.bootstrap import bootstrap
from bot.logs import QUIET, configure_logging
from bot.settings import Settings
from bot.telegram import TelegramService, webhook_secret
from bot.ticker import Ticker
from core.handlers import OOPS, Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, MessageRef
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.telegram.driver import TelegramDriver, VirtualTime

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.script"

# Real-looking credentials: the shapes Telegram and Ayrshare hand out.
TOKEN = "7351946820:AAHq0mZ8pX4LwzK2vT9sBnY6cR1dE5fG3hJ"
API_KEY = "KX4M2PQ-7RW9T3Z-B8NC5VD-6HJY1LF"
X_KEY = "xk9Lm2Qp7Rs4Tv6Wy8Za1Bc3De5Fg7Hj"
X_SECRET = "Xs0Aq9Bw8Ce7Dr6Ft5Gy4Hu3Ji2Ko1LpMnBvCxZaSdFgHjKlQw"
WEBHOOK_SECRET = "whsec_9fT2kLmQ8rXz4VbN7cD1sE6gH3jK5pW0"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


class Capture(logging.Handler):
    """Every record that reaches the root logger, as any other handler would get it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for r in self.records:
            out += [self.format(r), r.getMessage(), str(r.msg), str(r.args), r.exc_text or ""]
            if r.exc_info and r.exc_info[1] is not None:
                out.append(repr(r.exc_info[1]))
        return out


def _actor(user: str = "ana") -> Actor:
    chat = ChatRef(ChatPlatform.CONSOLE, user, kind=ChatKind.PRIVATE)
    return Actor(Identity(ChatPlatform.CONSOLE, user), chat, user)


def _button(reply: Reply, label: str) -> str:
    for row in reply.buttons:
        for b in row:
            if label.lower() in b.label.lower() and b.url is None:
                return b.callback_data
    raise AssertionError(f"no {label!r} button")


def _json_lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


async def test_idle_the_bot_logs_nothing(
    make_services: BuildServices, tmp_path: Path, restore_logging: None
) -> None:
    """The ticker and the analytics jobs run on APScheduler, which logs two INFO lines per
    run: once a second, 170,000 lines a day. Idle, the log stays empty."""
    services = await make_services(log_file=str(tmp_path / "bot.log"))
    path = configure_logging(services.settings, console=False)
    assert path == tmp_path / "bot.log"
    assert services.analytics is not None
    ticker = Ticker(services.pipeline, interval=0.02)
    jobs = AnalyticsJobs(services.analytics, sync_every=0.02, digest_every=0.02)
    ticker.start()
    jobs.start()
    await asyncio.sleep(0.3)  # ~15 runs of each job
    await jobs.stop()
    await ticker.stop()
    assert path.read_text(encoding="utf-8") == ""


async def test_json_lines_carry_the_post_and_target_and_no_secret_reaches_a_record(
    make_services: BuildServices, tmp_path: Path, restore_logging: None
) -> None:
    fake = FakeAyrshare(api_key=API_KEY)
    services = await make_services(
        fake,
        telegram_token=TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        public_url="https://bot.example",
        ayrshare_x_api_key=X_KEY,
        ayrshare_x_api_secret=X_SECRET,
        log_format="json",
        log_file=str(tmp_path / "bot.jsonl"),
        log_level="DEBUG",
    )
    settings = services.settings
    path = configure_logging(settings, console=False)
    assert path is not None
    capture = Capture()
    logging.getLogger().addHandler(capture)
    try:
        # Error paths: Ayrshare answers 500 to a post (the client logs it, the pipeline
        # retries), then a secret no longer decrypts (the use case logs the traceback).
        await services.postroom.handle_text(_actor(), "/connect")
        (profile,) = fake.profiles.values()
        fake.link(profile.profile_key, "facebook")
        composer = await services.postroom.handle_text(_actor(), "/post Hello")
        assert composer is not None
        fake.fail_next("/post", status=500, body=b'{"status": "error"}')
        message = MessageRef(_actor().chat, "1")
        await services.postroom.handle_tap(_actor(), _button(composer, "Publish now"), message)
        await services.pipeline.run_until_idle()
        async with services.engine.begin() as conn:
            await conn.execute(text("UPDATE provider_accounts SET key_ciphertext = 'v1.t1.AAAA'"))
        broken_reply = await services.postroom.handle_text(_actor(), "/connect")
        assert broken_reply is not None and broken_reply.text == OOPS
        # What libraries say when they fail: a Bot API URL (it carries the token), request
        # headers, an exception quoting a key.
        logging.getLogger("httpx").warning(
            "HTTP Request: POST https://api.telegram.org/bot%s/sendMessage", TOKEN
        )
        logging.getLogger("somelib").error(
            "request failed: %r",
            {"Authorization": f"Bearer {API_KEY}", "Profile-Key": profile.profile_key},
        )
        try:
            raise RuntimeError(f"setWebhook(secret_token={WEBHOOK_SECRET}) with x key {X_KEY}")
        except RuntimeError:
            logging.getLogger("somelib").exception("webhook set-up failed")
    finally:
        logging.getLogger().removeHandler(capture)

    assert settings.secret_keys is not None
    spec = settings.secret_keys.get_secret_value()
    keys = [part.partition(":")[2] for part in spec.split(",")]
    secrets = [TOKEN, TOKEN.partition(":")[2], API_KEY, profile.profile_key, WEBHOOK_SECRET]
    secrets += [X_KEY, X_SECRET, webhook_secret(settings), *keys, "TEST-ONLY-KEY-BODY"]
    written = path.read_text(encoding="utf-8")
    assert len(capture.records) >= 5
    for where in [*capture.texts(), written]:
        for secret in secrets:
            assert secret not in where
    lines = _json_lines(path)
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    (refused,) = [e for e in lines if "/post -> 500" in str(e["message"])]
    assert refused["level"] == "WARNING" and refused["logger"] == "adapters.ayrshare.client"
    assert refused["post_id"] == 1 and refused["target"] == "facebook"
    (broken,) = [e for e in lines if "handling an update" in str(e["message"])]
    assert "SecretError" in str(broken["exception"])
    assert any("Bearer ***" in str(e["message"]) for e in lines)


async def test_json_lines_carry_the_telegram_update_id(
    db_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    clock: FixedClock,
    secret_spec: str,
    restore_logging: None,
) -> None:
    settings = Settings.model_validate(
        {
            "database_url": db_url,
            "var_dir": tmp_path / "var",
            "secret_keys": secret_spec,
            "telegram_token": "123456789:AAF-test-token_for-the-fake",
            "log_format": "json",
            "log_file": str(tmp_path / "bot.jsonl"),
        }
    )
    path = configure_logging(settings, console=False)
    assert path is not None
    fake = FakeTelegramAPI()
    time = VirtualTime()
    services = bootstrap(
        settings,
        clock=clock,
        telegram_transport=fake.transport(),
        telegram_rate_limiter=TelegramRateLimiter(clock=time.clock, sleep=time.sleep),
    )
    service = TelegramService(settings, services, poll_timeout=1)
    await service.start()
    try:
        driver = TelegramDriver(fake, service.application, service.chat)
        update = driver.message_update("start")
        fake.queue_update(update)
        fake.queue_update(update)  # Telegram delivers it again: noted and ignored
        for _ in range(500):
            if "arrived again" in path.read_text(encoding="utf-8"):
                break
            await asyncio.sleep(0.01)
    finally:
        await service.stop()
        await services.aclose()
    (again,) = [e for e in _json_lines(path) if "arrived again" in str(e["message"])]
    assert again["update_id"] == update["update_id"]


def _cli(cwd: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POSTROOM_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_in_console_mode_logs_go_to_a_file_unless_asked(tmp_path: Path) -> None:
    """The console is a chat: the bot's replies only. Logs (here the sandbox's warning about
    the key it generated) go to var/postroom.log; POSTROOM_LOG_FILE=- asks for stderr."""
    done = _cli(tmp_path, "console", "--script", str(DEMO))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "You're on Pro (sandbox)." in done.stdout
    log = (tmp_path / "var" / "postroom.log").read_text(encoding="utf-8")
    assert "WARNING bot.wiring: sandbox: generated a secret key" in log
    (tmp_path / "elsewhere").mkdir()
    again = _cli(tmp_path / "elsewhere", "console", "--script", str(DEMO), POSTROOM_LOG_FILE="-")
    assert again.returncode == 0, again.stderr
    assert "WARNING bot.wiring: sandbox: generated a secret key" in again.stderr


# Slack's token shapes (https://api.slack.com/authentication/token-types).
SLACK_BOT = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_SIGNING = "8f14e45fceea167a5a36dedd4bea2543"
SLACK_CLIENT = "3c59dc048e8850243be8079a5c74d079"
SLACK_APP = "xapp-1-A0POSTROOM-1234567890-abcdef0123456789"


def test_slack_settings_and_token_shapes_never_reach_a_record(
    tmp_path: Path, restore_logging: None
) -> None:
    settings = Settings(
        _env_file=None,
        var_dir=tmp_path,
        log_file=str(tmp_path / "bot.log"),
        log_level="DEBUG",
        slack_bot_token=SLACK_BOT,
        slack_signing_secret=SLACK_SIGNING,
        slack_client_secret=SLACK_CLIENT,
        slack_app_token=SLACK_APP,
    )
    configure_logging(settings, console=False)
    capture = Capture()
    logging.getLogger().addHandler(capture)
    try:
        for secret in (SLACK_BOT, SLACK_SIGNING, SLACK_CLIENT, SLACK_APP):
            logging.getLogger("slack_sdk").warning("secret %s here", secret)
        # Tokens met only at run time, by their shape: what oauth.v2.access answers.
        body = (
            '{"access_token": "xoxb-9999999999-8888888888-ZyXwVuTsRqPoNmLk",'
            ' "refresh_token": "xoxe-1-My0xLTQ5MzI1Njc4OTAtMTIzNDU2Nzg5MA",'
            ' "user": "xoxp-7777777777-6666666666-5555555555-abcdef0123",'
            ' "rotating": "xoxe.xoxb-1-MS0yLTQ5MzI1Njc4OTAtMTIzNDU2",'
            ' "app": "xapp-1-A0OTHER-9876543210-fedcba9876543210"}'
        )
        logging.getLogger("slack_sdk.web").debug("Received the following response: %s", body)
    finally:
        logging.getLogger().removeHandler(capture)
    texts = "\n".join(capture.texts())
    assert [r.getMessage() for r in capture.records[:4]] == ["secret *** here"] * 4
    for leaked in (SLACK_BOT, SLACK_SIGNING, SLACK_CLIENT, SLACK_APP, "xox", "xapp"):
        assert leaked not in texts
    assert '"access_token": "***"' in texts
