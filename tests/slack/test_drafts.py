"""Drafts and per-network versions through Slack (a smoke test over the fake Slack API):
/postroom drafts, a network's own text from the composer's buttons, answered in the DM."""

from __future__ import annotations

from core.model import ChatPlatform, Identity, Network
from tests.fakes.slack_api import TEAM
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL
from tests.slack.test_flow import connect_in_dm
from tests.slack.test_media import dm_with_files


async def test_drafts_and_a_version_from_slack(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect_in_dm(system)
    await slack.command("post Launch day in the channel")
    composer = fake.last(CHANNEL)
    await slack.tap(composer, "Edit…")
    await slack.tap(composer, "Edit for LinkedIn", user=BEN)
    assert slack.last_answer() == "Only the author can do that."
    await slack.tap(composer, "Edit for LinkedIn")
    assert "(in a group, type it as a command)" in composer.shown
    await slack.command("version 1 linkedin A longer launch note for LinkedIn")
    assert (
        "• LinkedIn (33 characters): A longer launch note for LinkedIn" in fake.last(CHANNEL).shown
    )

    # In the DM, the next message answers the prompt.
    await slack.command("post A draft from my DM", channel=ANA.dm)
    dm_composer = fake.last(ANA.dm)
    await slack.tap(dm_composer, "Edit…")
    await slack.tap(dm_composer, "Edit for Facebook")
    await slack.post(dm_with_files([], "Facebook gets this", subtype=None), "application/json")
    assert "• Facebook (18 characters): Facebook gets this" in fake.last(ANA.dm).shown

    await slack.command("drafts", channel=ANA.dm)
    listing = fake.last(ANA.dm).shown
    assert "Your drafts (2)" in listing and "1 own text" in listing
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, ANA.id, TEAM))
        assert profile is not None
        one, two = await uow.posts.get(1), await uow.posts.get(2)
    assert one is not None and one.versions() == {
        Network.LINKEDIN: "A longer launch note for LinkedIn"
    }
    assert two is not None and two.versions() == {Network.FACEBOOK: "Facebook gets this"}
