"""`postroom doctor` with many Slack workspaces, through the CLI against the fake Slack Web
API: the app's settings, where Slack sends browsers back, and every stored installation's
bot token checked with auth.test, never printed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.db.cipher import Keyring
from adapters.db.engine import make_session_factory
from adapters.db.slack_installations import SqlInstallationStore
from bot.cli import main
from bot.doctor import configuration
from bot.findings import Status
from bot.settings import Settings
from tests.e2e.test_doctor import SIGNING_SECRET, line
from tests.fakes.slack_api import FakeSlackAPI

PUBLIC_URL = "https://bot.example"
CLIENT_ID, CLIENT_SECRET = "1111.2222", "fake-client-secret"
ONE, GRID, ORG = "xoxb-T0ONE-installed", "xoxb-E0ORG-T0TWO-installed", "xoxe.xoxb-E0BIG-1"
REFRESH = "xoxe-1-refresh-of-the-org"


@pytest.fixture
def known(fake_slack: FakeSlackAPI) -> FakeSlackAPI:
    """The fake, knowing the bot tokens `installed` stores."""
    fake_slack.teams |= {ONE: "T0ONE", GRID: "T0TWO", ORG: ""}
    fake_slack.enterprises |= {GRID: "E0ORG", ORG: "E0BIG"}
    return fake_slack


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    secret_spec: str,
    db_url: str,
    known: FakeSlackAPI,
) -> Callable[..., None]:
    def setup(**changes: str | None) -> None:
        values: dict[str, str | None] = {
            "POSTROOM_DATABASE_URL": db_url,
            "POSTROOM_VAR_DIR": str(tmp_path / "var"),
            "POSTROOM_SECRET_KEYS": secret_spec,
            "POSTROOM_PUBLIC_URL": PUBLIC_URL,
            "POSTROOM_SLACK_CLIENT_ID": CLIENT_ID,
            "POSTROOM_SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "POSTROOM_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "POSTROOM_SLACK_API_URL": known.api_url,
        } | changes
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)

    return setup


async def installed(engine: AsyncEngine, secret_spec: str) -> None:
    """A workspace, a workspace of a Grid org, and an org-wide install with an expiring
    token (token rotation), stored as an install through /slack/install stores them."""
    store = SqlInstallationStore(
        make_session_factory(engine), Keyring.parse(secret_spec), client_id=CLIENT_ID
    )
    common = {"app_id": "A0POSTROOM", "user_id": "U0ADMIN", "bot_id": "B0BOT"}
    await store.async_save(Installation(team_id="T0ONE", bot_token=ONE, **common))
    await store.async_save(
        Installation(enterprise_id="E0ORG", team_id="T0TWO", bot_token=GRID, **common)
    )
    await store.async_save(
        Installation(
            enterprise_id="E0BIG",
            team_id=None,
            is_enterprise_install=True,
            bot_token=ORG,
            bot_refresh_token=REFRESH,
            bot_token_expires_at=int(time.time()) + 10 * 3600,
            **common,
        )
    )


async def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = await asyncio.to_thread(main, ["doctor"])  # the CLI owns its event loop
    captured = capsys.readouterr()
    for secret in (ONE, GRID, ORG, REFRESH, CLIENT_SECRET, SIGNING_SECRET):
        assert secret not in captured.out + captured.err, "a secret reached the report"
    return code, captured.out


async def test_every_installation_is_checked_and_all_good(
    env: Callable[..., None],
    engine: AsyncEngine,
    secret_spec: str,
    fake_slack: FakeSlackAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env()
    await installed(engine, secret_spec)
    code, out = await doctor(capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "all good"
    assert "many workspaces: client id 1111.2222" in line(out, "slack app")
    install = line(out, "slack install")
    assert install.startswith("  ok") and f"{PUBLIC_URL}/slack/install" in install
    assert f"redirect URI {PUBLIC_URL}/slack/oauth_redirect" in install
    assert "bot token valid: postroom in Team T0ONE" in line(out, "slack T0ONE")
    assert "bot token valid: postroom in Team T0TWO" in line(out, "slack E0ORG:T0TWO")
    org = line(out, "slack E0BIG (org-wide)")
    assert org.startswith("  ok") and "postroom in Org E0BIG" in org
    assert "h left (rotated first)" in org
    assert sorted(c.token for c in fake_slack.called("auth.test")) == sorted([ONE, GRID, ORG])
    assert fake_slack.called("oauth.v2.access") == []  # a check rotates nothing


async def test_a_revoked_and_an_expired_token_and_doubtful_settings_are_named(
    env: Callable[..., None],
    engine: AsyncEngine,
    secret_spec: str,
    fake_slack: FakeSlackAPI,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env(POSTROOM_PUBLIC_URL=None, POSTROOM_SLACK_SIGNING_SECRET="not-a-signing-secret")
    await installed(engine, secret_spec)
    del fake_slack.teams[GRID]  # revoked at Slack
    fake_slack.expiry[ORG] = 0.0  # past its 12 hours
    code, out = await doctor(capsys)
    assert code == 1
    grid = line(out, "slack E0ORG:T0TWO")
    assert grid.startswith("FAIL") and "Slack refused its bot token: invalid_auth" in grid
    org = line(out, "slack E0BIG (org-wide)")
    assert org.startswith("warn") and "exchanged for a new one at its next use" in org
    assert line(out, "slack T0ONE").startswith("  ok")
    assert line(out, "slack signing secret").startswith("warn")
    assert "POSTROOM_PUBLIC_URL is not set" in line(out, "slack install")
    assert out.splitlines()[-1] == "1 problem(s), 3 warning(s)"


async def test_no_installation_yet_says_where_to_install(
    env: Callable[..., None], engine: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    env()
    code, out = await doctor(capsys)
    assert code == 0, out
    workspaces = line(out, "slack workspaces")
    assert workspaces.startswith("warn")
    assert f"none installed yet: install at {PUBLIC_URL}/slack/install" in workspaces


@pytest.mark.parametrize(
    ("values", "check", "status", "says"),
    [
        (
            {"slack_client_secret": None},
            "slack",
            Status.FAIL,
            "need both POSTROOM_SLACK_CLIENT_ID",
        ),
        ({"slack_signing_secret": None}, "slack", Status.FAIL, "SIGNING_SECRET too"),
        ({"slack_client_id": "postroom"}, "slack app", Status.WARN, "digits.digits"),
        ({"public_url": "http://bot.example"}, "slack install", Status.FAIL, "only redirects"),
        ({"public_url": "https://localhost:8443"}, "slack install", Status.WARN, "not a public"),
        ({"public_url": "https://10.0.0.7"}, "slack install", Status.WARN, "not a public"),
    ],
)
def test_slack_settings_that_cannot_work_are_named(
    values: dict[str, str | None], check: str, status: Status, says: str
) -> None:
    base = {
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
        "slack_signing_secret": SIGNING_SECRET,
        "public_url": PUBLIC_URL,
    }
    settings = Settings.model_validate({k: v for k, v in (base | values).items() if v})
    found = [f for f in configuration(settings) if f.check == check]
    assert found and found[0].status is status and says in found[0].detail, found
