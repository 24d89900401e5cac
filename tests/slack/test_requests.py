"""What reaches POST /slack/events: verified, acknowledged, processed once, or refused."""

from __future__ import annotations

import json
import time

import pytest

from tests.slack.conftest import System
from tests.slack.driver import ANA, CHANNEL, SIGNING_SECRET, signed

FORM = "application/x-www-form-urlencoded"


def nothing_processed(system: System) -> None:
    fake = system.fake
    assert fake.responses == []
    assert [c.method for c in fake.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param({"X-Slack-Request-Timestamp": str(int(time.time()))}, id="no-signature"),
        pytest.param({"X-Slack-Signature": "v0=00"}, id="no-timestamp"),
    ],
)
async def test_requests_without_the_signature_headers_are_refused(
    system: System, headers: dict[str, str]
) -> None:
    body = system.slack.command_body("post Launch day!")
    answer = await system.slack.post(body, FORM, headers=headers)
    assert answer.status_code == 401
    nothing_processed(system)


async def test_a_forged_signature_is_refused(system: System) -> None:
    body = system.slack.command_body("post Launch day!")
    forged = signed(body, secret="not-" + SIGNING_SECRET)
    assert (await system.slack.post(body, FORM, headers=forged)).status_code == 401
    # A valid signature of another body does not cover this one.
    other = signed(system.slack.command_body("posts"))
    assert (await system.slack.post(body, FORM, headers=other)).status_code == 401
    nothing_processed(system)


@pytest.mark.parametrize("offset", [-301, 301])
async def test_a_request_more_than_five_minutes_off_is_refused(
    system: System, offset: int
) -> None:
    body = system.slack.command_body("post Launch day!")
    stale = signed(body, timestamp=int(time.time()) + offset)
    assert (await system.slack.post(body, FORM, headers=stale)).status_code == 401
    nothing_processed(system)


async def test_url_verification_is_answered_with_the_challenge(system: System) -> None:
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2", "type": "url_verification"}
    )
    answer = await system.slack.post(body, "application/json")
    assert answer.status_code == 200
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2"}


async def test_a_repeated_slash_command_is_processed_once(system: System) -> None:
    slack = system.slack
    body = slack.command_body("post Launch day!")
    assert (await slack.post(body, FORM)).status_code == 200
    assert (await slack.post(body, FORM)).status_code == 200  # same trigger_id
    assert len(system.fake.in_channel(CHANNEL)) == 1


def dm_event(text: str, event_id: str = "Ev0PV52K21") -> str:
    return json.dumps(
        {
            "token": "t",
            "team_id": "T0TEAM",
            "api_app_id": "A0POSTROOM",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1795000000,
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": ANA.dm,
                "user": ANA.id,
                "team": "T0TEAM",
                "text": text,
                "ts": "1795000000.000100",
            },
        }
    )


async def test_a_retried_event_is_processed_once(system: System) -> None:
    slack, fake = system.slack, system.fake
    body = dm_event("/post Launch day!")
    assert (await slack.post(body, "application/json")).status_code == 200
    retry = {**signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await slack.post(body, "application/json", headers=retry)).status_code == 200
    (composer,) = fake.in_channel(ANA.dm)
    assert composer.shown.startswith("✍️ New post")
    await slack.post(dm_event("hello", "Ev0OTHER"), "application/json")
    assert "/postroom post" in fake.last(ANA.dm).shown  # chatter in the DM: a hint


async def test_oversize_and_malformed_payloads_get_4xx_and_the_bot_stays_up(
    system: System,
) -> None:
    slack = system.slack
    huge = slack.command_body("post " + "x" * 300_000)
    assert (await slack.post(huge, FORM)).status_code == 413
    for body, kind in [
        ("payload=%7Bnot+json", FORM),
        ("{not json", "application/json"),
        ("payload=%5B1%2C2%5D", FORM),
    ]:
        answer = await slack.post(body, kind)
        assert 400 <= answer.status_code < 500, (body, answer.status_code)
    nothing_processed(system)
    await slack.command("post Still here")
    assert "Still here" in system.fake.last(CHANNEL).shown


async def test_an_unknown_or_broken_button_is_answered_and_changes_nothing(
    system: System,
) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("post Launch day!")
    composer = fake.last(CHANNEL)
    composer.blocks[-1]["elements"][0]["value"] = "zz:1~1.tp03s0"
    await slack.tap(composer, "Publish")
    assert "no longer supported" in slack.last_answer()
    composer.blocks[-1]["elements"][0]["value"] = "x" * 300
    await slack.tap(composer, "Publish")
    assert "This button is broken" in slack.last_answer()
    assert composer.edits == 0


async def test_a_request_from_another_workspace_is_answered_and_not_processed(
    system: System,
) -> None:
    body = system.slack.command_body("post Launch day!").replace("T0TEAM", "T0ELSEWHERE")
    answer = await system.slack.post(body, FORM)
    assert answer.status_code == 200  # a slash command's reply body is shown to the user
    assert answer.text == "This Postroom serves another Slack workspace; nothing was done."
    nothing_processed(system)
