"""`postroom doctor` through the CLI, against the fakes served on 127.0.0.1: good and bad
credentials, an unmigrated database, and never a secret in its report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import main
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.instagram_graph_api import ACCESS_TOKEN, FakeInstagramGraphAPI
from tests.fakes.serve import Serve, serving
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

PUBLIC_URL = "https://bot.example"


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Serve ASGI apps on 127.0.0.1, a free port each; the base URL of each."""
    async with serving() as start:
        yield start


@dataclass
class Upstreams:
    telegram: FakeTelegramAPI
    ayrshare: FakeAyrshare
    slack: FakeSlackAPI
    instagram: FakeInstagramGraphAPI


SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # Slack's own example's form
SECRETS = (TOKEN, "test-api-key", BOT_TOKEN, ACCESS_TOKEN, TOKEN.split(":")[1], SIGNING_SECRET)


@pytest.fixture
def configure(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    secret_spec: str,
    serve: Serve,
    fake_slack: FakeSlackAPI,
) -> Callable[..., Awaitable[Upstreams]]:
    async def setup(
        db_url: str,
        *,
        telegram: FakeTelegramAPI | None = None,
        ayrshare: FakeAyrshare | None = None,
        slack_token: str = BOT_TOKEN,
        instagram: FakeInstagramGraphAPI | None = None,
    ) -> Upstreams:
        up = Upstreams(
            telegram or FakeTelegramAPI(),
            ayrshare or FakeAyrshare(),
            fake_slack,
            instagram or FakeInstagramGraphAPI(),
        )
        pem = tmp_path / "ayrshare.pem"
        pem.write_text("-----BEGIN PRIVATE KEY-----\nTEST\n-----END PRIVATE KEY-----\n")
        env = {
            "POSTROOM_DATABASE_URL": db_url,
            "POSTROOM_VAR_DIR": str(tmp_path / "var"),
            "POSTROOM_SECRET_KEYS": secret_spec,
            "POSTROOM_PUBLIC_URL": PUBLIC_URL,
            "POSTROOM_TELEGRAM_TOKEN": TOKEN,
            "POSTROOM_TELEGRAM_API_URL": await serve(up.telegram) + "/bot",
            # Each client holds its own credentials: the fakes check what they are sent.
            "POSTROOM_AYRSHARE_API_KEY": "test-api-key",
            "POSTROOM_AYRSHARE_BASE_URL": await serve(up.ayrshare) + "/api",
            "POSTROOM_AYRSHARE_DOMAIN": "postroom.example",
            "POSTROOM_AYRSHARE_PRIVATE_KEY_FILE": str(pem),
            "POSTROOM_SLACK_BOT_TOKEN": slack_token,
            "POSTROOM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "POSTROOM_SLACK_API_URL": fake_slack.api_url,
            "POSTROOM_INSTAGRAM_ACCESS_TOKEN": ACCESS_TOKEN,
            "POSTROOM_INSTAGRAM_API_URL": await serve(up.instagram),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return up

    return setup


async def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    # The CLI owns its event loop (asyncio.run); the fakes are served from this one.
    code = await asyncio.to_thread(main, ["doctor"])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    for secret in SECRETS:
        assert secret not in out, "a secret reached the report"
    return code, captured.out


def line(out: str, check: str) -> str:
    for text in out.splitlines():
        if text[6:].split("  ")[0] == check:
            return text
    raise AssertionError(f"no {check!r} line in:\n{out}")


async def test_all_good(
    configure: Callable[..., Awaitable[Upstreams]],
    db_url: str,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    up = await configure(db_url)
    up.telegram.webhook = {"url": PUBLIC_URL + "/telegram/webhook"}
    code, out = await doctor(capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "all good"
    assert "reachable, schema current" in line(out, "database")
    assert "token valid: @PostroomBot" in line(out, "telegram")
    assert line(out, "telegram webhook").endswith(PUBLIC_URL + "/telegram/webhook")
    assert "0 update(s) waiting" in line(out, "telegram updates")
    assert "API key valid" in line(out, "ayrshare")
    assert "bot token valid: postroom in Acme" in line(out, "slack")
    assert "access token valid: @postroom.test" in line(out, "instagram")
    # One cheap authenticated call each.
    assert [c.method for c in up.telegram.calls] == ["getMe", "getWebhookInfo"]
    assert [(r.method, r.path) for r in up.ayrshare.requests] == [("GET", "/user")]
    assert [(c.method, c.token) for c in up.slack.calls] == [("auth.test", BOT_TOKEN)]


async def test_bad_credentials_fail_with_the_upstreams_reason(
    configure: Callable[..., Awaitable[Upstreams]],
    db_url: str,
    engine: AsyncEngine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await configure(
        db_url,
        telegram=FakeTelegramAPI(token="999:another-bots-token"),
        ayrshare=FakeAyrshare(api_key="another-key"),
        slack_token="xoxb-another",
        instagram=FakeInstagramGraphAPI(token="another"),
    )
    code, out = await doctor(capsys)
    assert code == 1
    assert line(out, "telegram").startswith("FAIL")
    assert "Telegram refused POSTROOM_TELEGRAM_TOKEN: Unauthorized" in out
    assert line(out, "ayrshare").startswith("FAIL")
    assert "Slack refused POSTROOM_SLACK_BOT_TOKEN: invalid_auth" in out
    assert "Instagram refused POSTROOM_INSTAGRAM_ACCESS_TOKEN: Invalid OAuth" in out
    assert "(code 190)" in out
    assert out.splitlines()[-1].startswith("4 problem(s)")


async def test_an_unmigrated_database_and_a_missing_webhook_fail(
    configure: Callable[..., Awaitable[Upstreams]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    empty = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    up = await configure(empty)
    for n in range(150):  # nobody takes the updates: they pile up at Telegram
        up.telegram.queue_update({"update_id": n + 1})
    code, out = await doctor(capsys)
    assert code == 1
    database = line(out, "database")
    assert database.startswith("FAIL") and "schema is at revision none" in database
    assert "`postroom db upgrade`" in database
    webhook = line(out, "telegram webhook")
    assert webhook.startswith("FAIL") and "registered none" in webhook
    assert line(out, "telegram updates").startswith("warn")
    assert "150 update(s) waiting" in out


async def test_configuration_problems_and_an_unreachable_upstream(
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    engine: AsyncEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in {
        "POSTROOM_DATABASE_URL": db_url,
        "POSTROOM_VAR_DIR": str(tmp_path / "var"),
        "POSTROOM_AYRSHARE_API_KEY": "test-api-key",
        "POSTROOM_AYRSHARE_BASE_URL": "http://127.0.0.1:9/api",  # nobody listens
        "POSTROOM_PUBLIC_URL": "http://bot.example",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POSTROOM_SECRET_KEYS", raising=False)
    code, out = await doctor(capsys)
    assert code == 1
    assert "POSTROOM_SECRET_KEYS is required outside the sandbox" in line(out, "secret keys")
    assert "must be an https:// URL" in line(out, "public url")
    assert line(out, "ayrshare").startswith("FAIL")  # unreachable: said so, no traceback


async def test_an_invalid_setting_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTROOM_AYRSHARE_ANALYTICS_BUDGET", "s3cret-looking-value")
    code = await asyncio.to_thread(main, ["doctor"])
    err = capsys.readouterr().err
    assert code == 2
    assert "POSTROOM_AYRSHARE_ANALYTICS_BUDGET: Input should be a valid integer" in err
    assert "s3cret-looking-value" not in err
