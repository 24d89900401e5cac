"""End to end through POST /slack/events on the real wiring and database: signed slash
commands and taps in, the fake Slack Web API out."""

from __future__ import annotations

import re
from typing import Any

from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL


async def connect_in_dm(system: System) -> None:
    """Ana asks to connect in the channel; the links are offered only in her DM."""
    slack, fake = system.slack, system.fake
    await slack.command("connect")
    offer = fake.answered(CHANNEL)  # ephemeral: only Ana sees it
    assert "in a private chat with me" in offer.shown
    assert fake.in_channel(CHANNEL) == []  # nothing public in the channel
    await slack.tap(offer, "Connect in private")
    assert slack.last_answer() == "I answered in our DM."
    links = fake.last(ANA.dm)
    assert "Connect your accounts" in links.shown
    await slack.tap(links, "Facebook")
    await slack.tap(links, "LinkedIn")
    assert links.edits == 2  # each tap updated the one message in place


async def test_post_publish_fail_retry_from_a_channel(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("")
    assert slack.last_answer().startswith("What I can do:\n/postroom post &lt;text&gt;")

    await connect_in_dm(system)
    await slack.command("post Launch day! <@U0BOSS> & <!here>")
    composer = fake.last(CHANNEL)  # in the channel: core edits it when tapped
    assert composer.shown.startswith("✍️ New post — 31 characters")
    # Escaped for mrkdwn in the blocks and in the notification text: no mention, no @here.
    assert "Launch day! &lt;@U0BOSS&gt; &amp; &lt;!here&gt;" in composer.shown
    assert "<@" not in composer.text and "<!" not in composer.text
    ticked = [b["text"]["text"] for b in composer.buttons if b["text"]["text"].startswith("☑")]
    assert ticked == ["☑ Facebook", "☑ LinkedIn"]

    # Ben sees the buttons too; his tap is refused to him alone and changes nothing.
    before = composer.blocks
    await slack.tap(composer, "Publish now", user=BEN)
    assert slack.last_answer() == "Only the author can do that."
    assert composer.blocks == before and composer.edits == 0

    await slack.tap(composer, "Publish now")
    # The composer became the progress message, updated in place per network.
    assert len(fake.in_channel(CHANNEL)) == 1
    assert "1 of 2 published" in composer.shown
    assert "Facebook" in composer.shown and "LinkedIn" in composer.shown
    assert [b["text"]["text"] for b in composer.buttons] == ["🔁 Retry LinkedIn"]
    # pending → publishing → one published with its link, one failed with the reason.
    steps = [fields(blocks) for blocks in composer.history[1:]] + [fields(composer.blocks)]
    assert steps[0] == ["*Facebook*\n🕒 pending", "*LinkedIn*\n🕒 pending"]
    assert steps[1] == ["*Facebook*\n⏳ publishing…", "*LinkedIn*\n⏳ publishing…"]
    facebook, linkedin = steps[-1]
    assert re.fullmatch(
        r"\*Facebook\*\n✅ published · <https://www\.facebook\.com/\S+\|view>", facebook
    )
    assert linkedin.startswith("*LinkedIn*\n❌ LinkedIn rejected the post")

    await slack.tap(composer, "Retry LinkedIn")
    assert "2 of 2 published" in composer.shown
    assert fields(composer.blocks)[1].startswith("*LinkedIn*\n✅ published · <https://")
    assert composer.buttons == []
    assert [c.method for c in fake.calls].count("chat.postMessage") == 2  # DM links, composer


async def test_a_slash_command_in_a_dm_is_a_private_chat(system: System) -> None:
    slack, fake = system.slack, system.fake
    await slack.command("connect", channel=ANA.dm)
    links = fake.last(ANA.dm)  # the connect buttons right here, no detour
    assert "Connect your accounts" in links.shown
    assert not list(fake.answers())


async def test_a_channel_the_bot_is_not_in_gets_a_way_out(system: System) -> None:
    slack, fake = system.slack, system.fake
    fake.members = {ANA.dm}
    await slack.command("post Hello")
    composer, note = fake.answered(CHANNEL, -2), fake.answered(CHANNEL, -1)
    assert composer.shown.startswith("✍️ New post") and "Hello" in composer.shown
    assert "add me with /invite @Postroom" in note.shown
    # A tap on the ephemeral composer replaces it through the tap's response_url (chat.update
    # cannot change an ephemeral message).
    await slack.tap(composer, "Facebook")
    hook, body = fake.responses[-1]
    assert hook.startswith("tap") and body["replace_original"] is True
    assert "☑ Facebook" in [b["text"]["text"] for b in fake.answered(CHANNEL).buttons]
    await slack.command("posts")  # the draft was kept
    assert "Hello" in fake.answered(CHANNEL, -2).shown
    assert fake.in_channel(CHANNEL) == [] and fake.called("chat.update") == []


def fields(blocks: list[dict[str, Any]]) -> list[str]:
    return [f["text"] for b in blocks for f in b.get("fields", [])]


async def test_a_post_made_in_a_channel_without_the_bot_shows_its_progress_in_the_dm(
    system: System,
) -> None:
    slack, fake = system.slack, system.fake
    fake.members = {ANA.dm}
    await connect_in_dm(system)
    await slack.command("post Hello")
    composer = fake.answered(CHANNEL, -2)  # ephemeral: the bot may not post in the channel
    await slack.tap(composer, "Publish now")
    # The channel refused the progress message: it is in Ana's DM, kept current there.
    progress = fake.last(ANA.dm)
    assert "1 of 2 published" in progress.shown
    assert [b["text"]["text"] for b in progress.buttons] == ["🔁 Retry LinkedIn"]
    assert fake.in_channel(CHANNEL) == []
    await slack.tap(progress, "Retry LinkedIn")
    assert "2 of 2 published" in progress.shown and progress.buttons == []
    assert fake.last(ANA.dm) is progress  # the one progress message, edited in place
