"""Smoke: templates, slots and the queue as /postroom subcommands through POST /slack/events."""

from __future__ import annotations

from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN


async def test_templates_slots_and_queue_in_slack(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("connect", channel=ANA.dm)
    await slack.tap(fake.last(ANA.dm), "Facebook")
    await slack.command("slots add mon 25:00", channel=ANA.dm)
    assert "hours go up to 23" in slack.last_answer()
    await slack.command("slots add mon 09:00", channel=ANA.dm)
    assert "• Mon 09:00 — next Mon 30 Nov 09:00" in slack.last_answer()
    await slack.command("post Launch {date} at {link}", channel=ANA.dm)
    await slack.command("templates save launch", channel=ANA.dm)
    assert "Saved draft #1 as the template 'launch'." in slack.last_answer()
    await slack.command("templates save launch", channel=ANA.dm)
    assert "You already have a template called 'launch'." in slack.last_answer()
    await slack.command("templates use launch link=https://example.com/l", channel=ANA.dm)
    composer = fake.last(ANA.dm)
    assert composer.shown.startswith("✍️ New post")
    assert "Launch 2026-11-24 at https://example.com/l" in composer.shown
    await slack.tap(composer, "Add to queue")
    assert "Added to the queue: slot Mon 09:00." in composer.shown
    await slack.command("queue", channel=ANA.dm)
    listing = fake.last(ANA.dm)
    assert "1. Mon 30 Nov 09:00 · #2 Launch 2026-11-24" in listing.shown
    await slack.tap(listing, "⬇ #2", user=BEN)
    assert slack.last_answer() == "Only the author can do that."
    await slack.tap(listing, "Pause queue")
    assert "Queue paused. Held (not sent, keeping their slots): #2." in listing.shown
    await slack.tap(listing, "Resume queue")
    assert "Queue resumed.\nScheduled again: #2." in listing.shown
