"""Every /postroom subcommand the issue names answers through Slack, from core's one command
table, within Block Kit's limits (the fake refuses anything over them)."""

from __future__ import annotations

import re

import pytest

from tests.slack.conftest import System

# /postroom <sub> for each command of issue 16's list (core's, and the analytics plugins').
SUBCOMMANDS = [
    "connect",
    "status",
    "post Launch day",
    "posts",
    "schedule tomorrow 9:00",
    "stats",
    "stats 30d",
    "report",
    "track",
    "campaign",
    "hide 1",
    "unhide 1",
    "digest on",
    "digest off",
    "digest here",
    "digest time 08:30",
    "digest weekly",
    "digest now",
    "tier",
    "timezone Europe/Berlin",
    "upgrade",
    "disconnect facebook",
    "help",
]


def said(system: System) -> str:
    """Everything the last command put in front of the user: the answers only they see and
    what was posted in the channel."""
    answers = "\n".join(system.fake.answers())
    posted = "\n".join(m.shown for m in system.fake.messages.values())
    return f"{answers}\n{posted}"


@pytest.mark.parametrize("text", SUBCOMMANDS)
async def test_each_subcommand_is_answered(system: System, text: str) -> None:
    await system.slack.command(text)
    shown = said(system)
    assert shown.strip(), f"/postroom {text}: no answer"
    assert "I don't know /" not in shown
    assert system.fake.called("chat.postMessage") or system.fake.responses


async def test_help_names_every_command_as_a_postroom_subcommand(system: System) -> None:
    await system.slack.command("")
    shown = system.slack.last_answer()
    assert shown.startswith("What I can do:")
    for sub in ("post", "posts", "schedule", "connect", "status", "disconnect", "stats", "digest"):
        assert f"/postroom {sub}" in shown, sub
    # A bare /name is no command in Slack: only /postroom is registered (the manifest).
    assert re.findall(r"(?<![\w/])/(?!postroom\b)[a-z]+\b", shown) == []
