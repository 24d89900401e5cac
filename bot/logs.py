"""Log set-up: quiet libraries, a file in console mode, text or JSON lines, no secret ever."""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from core.log_context import MIN_SECRET, is_kept_secret, log_tags

HIDDEN = "***"
LOG_FILE = "postroom.log"  # under POSTROOM_VAR_DIR, in console mode
_MAX_BYTES = 10_000_000  # a log file this big is rotated; 3 old ones are kept
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Libraries that say too much: APScheduler two INFO lines per job run (every second), and a
# warning per run skipped while the last one still runs (the jobs log their own failures);
# httpx and httpcore every request with its URL, and Bot API URLs carry the bot token;
# Alembic every migration step (the runtime says in one line what it migrated).
QUIET = {"apscheduler": logging.ERROR, "httpx": logging.WARNING, "httpcore": logging.WARNING}
QUIET |= {"alembic": logging.WARNING, "telegram.ext": logging.WARNING}
QUIET |= {"aiosqlite": logging.INFO}  # at DEBUG, every statement and its result

# Credentials by their shape, wherever they come from (a library's message, a URL in an
# exception): a Telegram bot token (https://core.telegram.org/bots/api#authorizing-your-bot),
# an Ayrshare API or profile key (groups of capitals and digits joined by dashes), and what
# follows `Bearer`, `Profile-Key` or `secret_token` (in headers, dict reprs, JSON, queries);
# Slack's bot, user, refresh and app-level tokens (xoxb-, xoxp-, xoxe-, xoxe.xoxb-, xapp-,
# https://api.slack.com/authentication/token-types), which slack_sdk's DEBUG log of every
# response body (oauth.v2.access included) would otherwise print.
_SHAPES = re.compile(
    r"(?<![0-9])[0-9]{5,16}:[A-Za-z0-9_-]{30,}"
    r"|\b[A-Z0-9]{6,10}(?:-[A-Z0-9]{6,10}){3,}\b"
    r"|\bxox[abeoprs](?:\.xox[abeoprs])?-[A-Za-z0-9-]{10,}"
    r"|\bxapp-[A-Za-z0-9-]{10,}"
)
_AFTER = re.compile(
    r"(?i)(bearer\s+|(?:profile-key|secret_token)[\"']?\s*[:=]\s*[\"']?)[^\s'\",&}]+"
)
# Candidates for the credentials met at run time (core.log_context.keep_out_of_logs).
_TOKENS = re.compile(rf"[A-Za-z0-9_+/=-]{{{MIN_SECRET},}}")


class Redactor:
    """Blanks out known secrets (from the settings) and secret-shaped strings."""

    def __init__(self) -> None:
        self._known: set[str] = set()
        self._literal: re.Pattern[str] | None = None

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < 6:
            return
        self._known.add(secret)
        ordered = sorted(self._known, key=len, reverse=True)  # longest first: no half-blanks
        self._literal = re.compile("|".join(re.escape(s) for s in ordered))

    def __call__(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(HIDDEN, text)
        text = _AFTER.sub(rf"\1{HIDDEN}", _SHAPES.sub(HIDDEN, text))
        return _TOKENS.sub(_hide_kept, text)


def _hide_kept(match: re.Match[str]) -> str:
    token = match.group(0)
    return HIDDEN if is_kept_secret(token) else token


REDACT = Redactor()
_Factory = Callable[..., logging.LogRecord]
_plain_factory: _Factory | None = None


def _make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record, whoever handles it later: secrets blanked, ids from the task attached."""
    assert _plain_factory is not None
    record = _plain_factory(*args, **kwargs)
    record.postroom_ids = dict(log_tags())
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: logging reports it when it formats the record
        message = str(record.msg)
    clean = REDACT(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info:
        # The traceback as text, blanked; the exception itself (whose message may quote a
        # secret) does not travel on.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text, record.exc_info = REDACT(text), None
    if record.stack_info:
        record.stack_info = REDACT(record.stack_info)
    return record


def _ids(record: logging.LogRecord) -> dict[str, Any]:
    ids = getattr(record, "postroom_ids", None)
    return ids if isinstance(ids, dict) else {}


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [post_id=12 target=instagram]`."""

    def __init__(self) -> None:
        super().__init__(_TEXT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        ids = _ids(record)
        tags = " [" + " ".join(f"{k}={v}" for k, v in ids.items()) + "]" if ids else ""
        return super().formatMessage(record) + tags


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the ids, the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_ids(record),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def settings_secrets(settings: Settings) -> Iterable[str | None]:
    for value in (
        settings.telegram_token,
        settings.telegram_webhook_secret,
        settings.ayrshare_api_key,
        settings.ayrshare_x_api_key,
        settings.ayrshare_x_api_secret,
        settings.instagram_app_secret,
        settings.instagram_access_token,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_client_secret,
        settings.slack_app_token,
        settings.stripe_secret_key,
        settings.stripe_webhook_secret,
    ):
        yield None if value is None else value.get_secret_value()
    if settings.secret_keys is not None:
        yield from key_spec_secrets(settings.secret_keys.get_secret_value())
    if settings.telegram_token is not None:
        from bot.telegram import webhook_secret  # the one derived from the token

        if settings.public_url:
            yield webhook_secret(settings)


def key_spec_secrets(spec: str) -> Iterable[str]:
    """The keys of a POSTROOM_SECRET_KEYS value ("id:base64key,…")."""
    for part in spec.split(","):
        yield part.strip().partition(":")[2]


def log_file(settings: Settings, *, console: bool) -> Path | None:
    """Where logs go: POSTROOM_LOG_FILE ("-" is stderr); by default stderr, except that in
    console mode they go to var/postroom.log, out of the chat's way."""
    if settings.log_file == "-":
        return None
    if settings.log_file:
        return Path(settings.log_file)
    return settings.var_dir / LOG_FILE if console else None


_HANDLER_NAME = "postroom"


def configure_logging(settings: Settings, *, console: bool) -> Path | None:
    """Set up the root logger (again, replacing our handler); returns the log file, if any."""
    global _plain_factory
    if _plain_factory is None:
        _plain_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_make_record)
    for secret in settings_secrets(settings):
        REDACT.add(secret)
    path = log_file(settings, console=console)
    handler: logging.Handler
    if path is None:
        handler = logging.StreamHandler(sys.stderr)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_MAX_BYTES, backupCount=3, encoding="utf-8"
        )
    handler.name = _HANDLER_NAME
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.name == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(max(level, root.level))
    return path
