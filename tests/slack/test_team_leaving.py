"""Leaving a team's Slack channel ends the membership: the member_left_channel event, through
the fake Slack API (review 19 M6)."""

from __future__ import annotations

import itertools
import json

import pytest

from core.model import ChatPlatform, ChatRef
from core.roles import Role
from tests.fakes.slack_api import TEAM
from tests.slack.conftest import System
from tests.slack.driver import BEN, CHANNEL, User
from tests.slack.test_teams import three

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
_N = itertools.count(1)


async def left_channel(system: System, user: User, channel: str = CHANNEL) -> None:
    """member_left_channel as Slack sends it (https://api.slack.com/events/member_left_channel)."""
    n = next(_N)
    body = json.dumps(
        {
            "token": "deprecated-verification-token",
            "team_id": TEAM,
            "api_app_id": "A0POSTROOM",
            "type": "event_callback",
            "event_id": f"Ev0LEFT{n:04d}",
            "event_time": 1795000000,
            "event": {
                "type": "member_left_channel",
                "user": user.id,
                "channel": channel,
                "channel_type": "C",
                "team": TEAM,
                "event_ts": f"1795000000.{n}",
            },
        }
    )
    answer = await system.slack.post(body, "application/json")
    assert answer.status_code == 200, answer.text


async def _ben(system: System) -> tuple[Role, bool]:
    async with system.services.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.SLACK, CHANNEL, TEAM))
        assert team is not None
        members = {m.identity.user: m for m in await uow.teams.members(team.id)}
    return members[BEN.id].role, members[BEN.id].active


async def test_leaving_the_channel_ends_the_membership(system: System) -> None:
    slack = system.slack
    await three(system)
    await left_channel(system, BEN, "C0ELSEWHERE")  # another channel: nothing changes
    assert await _ben(system) == (Role.EDITOR, True)
    await left_channel(system, BEN)
    assert await _ben(system) == (Role.EDITOR, False)
    await slack.command("post From outside", BEN)
    assert slack.last_answer().startswith("You are no longer a member of Launch crew")
    await left_channel(system, BEN)  # again: still left, nothing else
    assert await _ben(system) == (Role.EDITOR, False)
