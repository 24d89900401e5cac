"""CSV import and /export in Slack against the fake Web API: a CSV shared in the DM
(file_share) fetched with the bot token like media, the preview's buttons, the export shared
with the upload v2 flow; a file over the cap, at a foreign host or someone else's tap refused."""

from __future__ import annotations

import csv
import io
import json

from core.model import ChatPlatform, Identity, Post
from tests.fakes.slack_api import BOT_TOKEN, TEAM
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL
from tests.slack.test_media import dm_with_files
from tests.slack.test_modal import connect

CSV = (
    "text;networks;time\n"
    "From Slack 🎉;facebook;2026-12-24T09:00:00+01:00\n"
    "Bad;facebook;yesterday-ish\n"
).encode()


async def posts_of(system: System) -> list[Post]:
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, ANA.id, TEAM))
        assert profile is not None
        return list(await uow.posts.recent(profile.id, origin=None, limit=100))


async def test_a_csv_shared_in_the_dm_is_previewed_then_imported(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    shared = fake.add_file("posts.csv", "text/csv", CSV)
    await slack.post(dm_with_files([shared]), "application/json")
    assert [c.token for c in fake.called("download")] == [BOT_TOKEN]
    preview = fake.last(ANA.dm)
    assert preview.shown.startswith("📥 Import preview: 1 of 2 rows can be scheduled")
    assert "row 3 · time: I can't read 'yesterday-ish' as a time" in preview.shown
    await slack.tap(preview, "Import 1 post", user=BEN)  # not hers: refused, nothing made
    assert await posts_of(system) == []
    await slack.tap(preview, "Import 1 post")
    assert "✅ Imported 1 scheduled post" in fake.last(ANA.dm).shown
    (post,) = await posts_of(system)
    assert post.text == "From Slack 🎉" and post.scheduled_at is not None
    assert post.scheduled_at.isoformat() == "2026-12-24T08:00:00+00:00"


async def test_a_csv_over_the_cap_is_refused_before_it_is_fetched(system: System) -> None:
    fake = system.fake
    shared = fake.add_file("big.csv", "text/csv", b"text,networks,time\n", size=3_000_000)
    await system.slack.post(dm_with_files([shared]), "application/json")
    assert fake.last(ANA.dm).shown.startswith("That file is 3.0 MB; one import takes at most")
    assert fake.called("download") == []


async def test_a_csv_at_a_host_that_is_not_slacks_is_not_fetched(system: System) -> None:
    fake = system.fake
    shared = fake.add_file("posts.csv", "text/csv", CSV)
    forged = shared | {"url_private_download": "https://evil.example/posts.csv"}
    await system.slack.post(dm_with_files([forged]), "application/json")
    assert fake.last(ANA.dm).shown == "I can't fetch posts.csv from where Slack says it is."
    assert fake.called("download") == []


async def test_export_is_shared_as_a_file(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await slack.command("post =cmd|' /C calc'!A0", channel=ANA.dm)
    await slack.command("export", channel=ANA.dm)
    (shared,) = fake.shared
    assert shared.channel == ANA.dm and shared.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(shared.data.decode("utf-8-sig"), newline="")))
    assert rows[0]["text"] == "'=cmd|' /C calc'!A0"
    assert fake.last(ANA.dm).shown.startswith("📤 Your export: 1 post")
    await slack.command("export json")  # in a channel: shared there, where it was asked
    assert fake.shared[-1].channel == CHANNEL
    data = json.loads(fake.shared[-1].data)
    assert data["posts"] == []  # the channel's posts only: hers were made in her DM
