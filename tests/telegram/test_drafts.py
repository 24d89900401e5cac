"""Drafts and per-network versions through the Telegram front end (the driver against the
fake Bot API), on the real wiring, the test database and the fake Ayrshare API."""

from __future__ import annotations

from core.model import Network
from core.publishing.keys import idempotency_key
from tests.telegram.driver import ANA, BEN, GROUP
from tests.telegram.test_e2e import System, system  # noqa: F401 (the fixture)

LONG = "Launch day! " + "Our new app is live and it does a lot of things. " * 8


async def test_versions_and_drafts_from_telegram(system: System) -> None:  # noqa: F811
    fake, ayrshare, tg = system.fake, system.ayrshare, system.tg
    await tg.say("/connect")
    (profile_key,) = ayrshare.profiles
    for platform in ("facebook", "linkedin", "twitter"):
        ayrshare.link(profile_key, platform)
    await tg.say("/post An older draft")
    await tg.say(f"/post {LONG}")
    composer = tg.last()
    assert "✂️ Edit for X" in composer.labels()
    await tg.tap("Edit for X", message=composer)
    assert composer.text.startswith("Send X's own text for post #2")  # edited in place
    await tg.say("Launch day! Our app is live 🚀")  # plain text: X's version
    updated = tg.last()
    assert "Versions:\n• X (29 characters): Launch day! Our app is live 🚀" in updated.text
    assert "X allows" not in updated.text

    await tg.say("/drafts")
    listing = tg.last()
    assert listing.text.startswith("Your drafts (2) — page 1 of 1")
    assert listing.text.splitlines()[1:] == [
        "#2 “Launch day! Our new app is live and it…” · Facebook, LinkedIn, X · 1 own text · "
        "edited Tue 24 Nov 10:00",
        "#1 “An older draft” · Facebook, LinkedIn, X · edited Tue 24 Nov 10:00",
    ]
    await tg.tap("Open #1", message=listing)
    assert "An older draft" in listing.text  # the list became draft #1's composer

    # Ben cannot touch Ana's drafts.
    await tg.say("/version 2 x Ben's words", user=BEN)
    assert tg.last(BEN.id).text == "Only the author can do that."

    await tg.tap("Publish now", message=updated)
    progress = fake.messages[(ANA.id, updated.message_id)]
    assert progress.text.startswith("📤 Launch day!") and "3 of 3 published" in progress.text
    bodies = {tuple(r.json["platforms"]): r.json for r in ayrshare.requests_to("POST", "/post")}
    assert set(bodies) == {("facebook", "linkedin"), ("twitter",)}
    assert bodies[("twitter",)]["post"] == "Launch day! Our app is live 🚀"
    key = idempotency_key(2, [Network.X], 0)
    assert bodies[("twitter",)]["idempotencyKey"] == key
    await tg.say("/schedule tomorrow 9:00")  # the opened draft #1
    assert "An older draft" in tg.last().text and tg.last().text.startswith("🕒 Scheduled")

    # In a group, the prompt says to answer with the command (chatter does not reach us).
    await tg.say("/post Group post", chat=GROUP)
    group_composer = tg.last(int(GROUP["id"]))
    await tg.tap("Edit…", message=group_composer)
    await tg.tap("Edit for Facebook", message=group_composer)
    assert "(in a group, type it as a command)" in group_composer.text
    await tg.say("/version 3 facebook Words for the group's Facebook", chat=GROUP)
    assert "• Facebook (30 characters): Words for the group's Facebook" in (
        tg.last(int(GROUP["id"])).text
    )
