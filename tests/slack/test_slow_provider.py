"""The modal within Slack's 3 s when Ayrshare is slow to say what is linked: views.open and the
submission's answer use the stored connections instead of waiting for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.slack.conftest import System, base_values, running
from tests.slack.driver import ANA, CHANNEL


@pytest.fixture
def ayrshare() -> FakeAyrshare:
    return FakeAyrshare()


@pytest.fixture
async def system(
    engine: AsyncEngine,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    fake_slack: FakeSlackAPI,
    ayrshare: FakeAyrshare,
) -> AsyncIterator[System]:
    """The Slack front end over Ayrshare (its fake) instead of the sandbox."""
    key_file = tmp_path / "ayrshare.pem"
    key_file.write_text("-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n")
    values: dict[str, Any] = base_values(db_url, tmp_path, fake_slack) | {
        "slack_bot_token": BOT_TOKEN,
        "ayrshare_api_key": ayrshare.api_key,
        "ayrshare_base_url": BASE_URL,
        "ayrshare_domain": "postroom.example",
        "ayrshare_private_key_file": key_file,
    }
    async with running(values, clock, fake_slack, http=ayrshare.http_client()) as system:
        yield system


async def linked_facebook(system: System, ayrshare: FakeAyrshare, clock: FixedClock) -> None:
    """Ana connects Facebook (an Ayrshare profile, linked there) and opens the modal once, so
    the connection is stored; later, the connections cache has expired."""
    await system.slack.command("connect", channel=ANA.dm)
    (profile_key,) = ayrshare.profiles
    ayrshare.link(profile_key, "facebook", "Ana on facebook")
    await system.slack.command("post")
    assert len(system.fake.views) == 1
    clock.advance(timedelta(minutes=5))  # past the publisher's cache of GET /user


def options(view: dict[str, Any]) -> list[str]:
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    return [o["text"]["text"] for o in inputs["networks"]["options"]]


async def test_slow_provider_still_opens_the_modal_in_time(
    system: System, ayrshare: FakeAyrshare, clock: FixedClock
) -> None:
    slack, fake = system.slack, system.fake
    await linked_facebook(system, ayrshare, clock)
    held = ayrshare.stall_next("/user", "GET")  # never answers while the trigger lives
    asked = len(ayrshare.requests_to("GET", "/user"))
    try:
        await slack.command("post")
    finally:
        held.set()
    assert len(ayrshare.requests_to("GET", "/user")) == asked + 1  # it was asked, not skipped
    # The fake refuses a trigger older than 3 s: opened, so in time, with what was stored.
    assert len(fake.views) == 2
    assert options(slack.opened()) == ["Facebook"]
    assert list(fake.answers()) == []  # no "could not open in time"


async def test_slow_provider_still_answers_a_submission_with_one_post(
    system: System, ayrshare: FakeAyrshare, clock: FixedClock
) -> None:
    slack, fake = system.slack, system.fake
    await linked_facebook(system, ayrshare, clock)
    view = slack.opened()
    held = ayrshare.stall_next("/user", "GET")
    try:
        answer = await slack.submit(view, text="Slow day", networks=["facebook"])
    finally:
        held.set()
    assert answer.status_code == 200
    assert answer.text == ""  # the modal closes
    (profile_key,) = ayrshare.profiles
    assert [p["post"] for p in ayrshare.posts_for(profile_key)] == ["Slow day"]
    assert "Slow day" in fake.last(CHANNEL).shown
    again = await slack.submit(view, text="Slow day", networks=["facebook"])
    assert again.status_code == 200
    assert len(ayrshare.posts_for(profile_key)) == 1
