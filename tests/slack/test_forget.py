"""/postroom forget through POST /slack/events: refused in a channel with the way to the DM,
asked and confirmed in the DM, the next command a fresh profile."""

from __future__ import annotations

from core.model import ChatPlatform, Identity
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL, TEAM


async def _profile(system: System, user_id: str = ANA.id) -> int | None:
    async with system.services.uow() as uow:
        found = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, user_id, TEAM))
    return None if found is None else found.id


async def test_postroom_forget_is_asked_in_the_dm_and_deletes_the_profile(
    system: System,
) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("post Launch day!")
    await slack.command("posts", user=BEN)
    ana = await _profile(system)
    assert ana is not None

    await slack.command("forget")  # in a channel: only a way to the DM, shown to Ana alone
    offer = fake.answered(CHANNEL)
    assert "only done in a private chat with me" in offer.shown
    assert await _profile(system) == ana
    await slack.tap(offer, "Delete my data")
    question = fake.last(ANA.dm)
    assert question.shown.startswith("Delete all your data? This cannot be undone.")
    assert "1 post" in question.shown

    await slack.tap(question, "Yes, delete everything", user=BEN)
    assert slack.last_answer() == "Only the author can do that."
    await slack.tap(question, "Yes, delete everything")
    assert question.shown.startswith("Done: your profile and everything Postroom kept")
    assert question.buttons == []
    assert await _profile(system) is None and await _profile(system, BEN.id) is not None

    await slack.command("forget", channel=ANA.dm)  # a new profile, asked afresh
    fresh = fake.last(ANA.dm)
    assert "0 posts" in fresh.shown and await _profile(system) not in (None, ana)
