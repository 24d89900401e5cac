"""Long lists paginate in Slack: /postroom posts shows a page with Prev / Next buttons, and a
tap turns the page in place (chat.update), for the list's owner only."""

from __future__ import annotations

from tests.slack.conftest import System
from tests.slack.driver import BEN, CHANNEL


async def test_posts_paginate_in_place_for_their_owner(system: System) -> None:
    slack, fake = system.slack, system.fake
    for n in range(7):  # more than one page (5 a page)
        await slack.command(f"post Draft number {n}")
    await slack.command("posts")
    listing = fake.last(CHANNEL)
    assert listing.shown.startswith("Your posts (7 in this chat) — page 1 of 2")
    labels = [b["text"]["text"] for b in listing.buttons]
    assert "Next »" in labels and "« Prev" not in labels

    before = listing.blocks
    await slack.tap(listing, "Next »", user=BEN)
    assert slack.last_answer() == "Only the author can do that."
    assert listing.blocks == before

    await slack.tap(listing, "Next »")
    assert listing.shown.startswith("Your posts (7 in this chat) — page 2 of 2")
    assert listing.edits == 1 and fake.last(CHANNEL) is listing  # turned in place
    await slack.tap(listing, "« Prev")
    assert listing.shown.startswith("Your posts (7 in this chat) — page 1 of 2")
