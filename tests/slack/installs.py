"""Installing the app in workspaces through /slack/install, as a browser and Slack do."""

from __future__ import annotations

import itertools
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import httpx

from adapters.slack.workspaces import BOT_SCOPES
from tests.fakes.slack_api import FakeSlackAPI
from tests.slack.driver import signed

if TYPE_CHECKING:
    from tests.slack.conftest import System

ONE, TWO = "T0ONE", "T0TWO"


async def begin(http: httpx.AsyncClient) -> str:
    """Open the install page: the state in Slack's authorize URL (its cookie is kept)."""
    page = await http.get("/slack/install")
    assert page.status_code == 200, page.text
    start = page.text.index("https://slack.com/oauth/v2/authorize?")
    url = page.text[start : page.text.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlsplit(url).query)
    assert query["scope"] == [",".join(BOT_SCOPES)]
    return query["state"][0]


async def install(system: System, place: str) -> None:
    """Install in `place`: a team id, `<org id>/<team id>` (Grid) or `<org id>/` (org-wide)."""
    http = system.slack.client
    state = await begin(http)
    done = await http.get(
        "/slack/oauth_redirect", params={"code": f"code-{place}", "state": state}
    )
    assert done.status_code == 200, done.text


def tokens_of(fake: FakeSlackAPI, method: str) -> list[str]:
    return [c.token for c in fake.called(method)]


async def deliver(system: System, event: dict[str, Any], team: str, enterprise: str = "") -> None:
    """An Events API delivery from `team` (of org `enterprise` on Grid), signed."""
    body: dict[str, Any] = {
        "type": "event_callback",
        "team_id": team,
        "api_app_id": "A0POSTROOM",
        "event": event,
        "event_id": f"Ev0{next(_events):06d}",
        "event_time": int(time.time()),
    }
    if enterprise:
        body["enterprise_id"] = enterprise
    raw = json.dumps(body)
    answer = await system.slack.post(raw, "application/json", signed(raw))
    assert answer.status_code == 200, answer.text


_events = itertools.count(1)
