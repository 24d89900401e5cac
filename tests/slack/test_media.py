"""Files shared in Slack become the post's media: from a DM message (both shapes Slack sends
a file in), the compose modal's file input and the shortcut's message; fetched with the bot
token from their private URL and re-hosted at the bot's /media; other types, oversize,
unreadable and foreign files refused with a reason and nothing posted."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.media import FileMediaHost
from core.model import ChatPlatform, Identity, Post
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, TEAM, FakeSlackAPI
from tests.slack.conftest import System, base_values, running
from tests.slack.driver import ANA, CHANNEL
from tests.slack.test_modal import connect, context, inputs
from tests.slack.test_workers import modal

PUBLIC = "https://bot.example"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(200)


@pytest.fixture
async def hosted(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_slack: FakeSlackAPI
) -> AsyncIterator[tuple[System, FileMediaHost]]:
    """The bot with its own media route (POSTROOM_PUBLIC_URL's /media), so files are fetched."""
    host = FileMediaHost(tmp_path / "media", PUBLIC)
    values = base_values(db_url, tmp_path, fake_slack) | {"slack_bot_token": BOT_TOKEN}
    async with running(values, clock, fake_slack, media_host=host) as system:
        yield system, host


def dm_with_files(files: list[Any], text: str = "", *, subtype: str | None = "file_share") -> str:
    """A message event in Ana's DM carrying files (https://api.slack.com/events/message/file_share;
    newer clients send the same without a subtype)."""
    event: dict[str, Any] = {
        "type": "message",
        "channel_type": "im",
        "channel": ANA.dm,
        "user": ANA.id,
        "team": TEAM,
        "text": text,
        "files": files,
        "ts": "1795000000.000200",
    }
    if subtype:
        event["subtype"] = subtype
    body = {
        "token": "t",
        "team_id": TEAM,
        "api_app_id": "A0POSTROOM",
        "type": "event_callback",
        "event_id": f"Ev0FILES{abs(hash(json.dumps(files))) % 10**8}",
        "event_time": 1795000000,
        "event": event,
    }
    return json.dumps(body)


async def last_post(system: System) -> Post:
    async with system.services.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.SLACK, ANA.id, TEAM))
        assert profile is not None
        (post, *_) = await uow.posts.recent(profile.id, origin=None, limit=1)
    return post


def stored(host: FileMediaHost, url: str) -> bytes:
    assert url.startswith(PUBLIC + "/media/"), url
    return (host.directory / url.rsplit("/", 1)[1]).read_bytes()


def downloads(fake: FakeSlackAPI) -> list[str]:
    return [c.token for c in fake.called("download")]


async def test_a_photo_shared_in_the_dm_becomes_the_posts_media(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, host = hosted
    slack, fake = system.slack, system.fake
    photo = fake.add_file("launch.jpg", "image/jpeg", JPEG)
    await slack.post(dm_with_files([photo], "Launch day!"), "application/json")
    composer = fake.last(ANA.dm)
    assert composer.shown.startswith("✍️ New post")
    assert downloads(fake) == [BOT_TOKEN]  # the private URL, with the bot token
    (url,) = (await last_post(system)).media
    assert url.endswith(".jpg") and stored(host, url) == JPEG  # re-hosted under /media


async def test_a_partial_file_object_without_subtype_is_completed_with_files_info(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, host = hosted
    fake = system.fake
    clip = fake.add_file("clip.mp4", "video/mp4", MP4)
    partial = {"id": clip["id"], "file_access": "check_file_info"}
    await system.slack.post(dm_with_files([partial], subtype=None), "application/json")
    assert [c.args["file"] for c in fake.called("files.info")] == [clip["id"]]
    (url,) = (await last_post(system)).media
    assert url.endswith(".mp4") and stored(host, url) == MP4


@pytest.mark.parametrize(
    ("name", "mime", "size", "said"),
    [
        ("report.pdf", "application/pdf", None, "report.pdf is a application/pdf; I can publish"),
        ("noise.bin", "", None, "noise.bin is a file of unknown type; I can publish"),
        ("huge.mp4", "video/mp4", 40_000_000, "huge.mp4 is 40.0 MB; the most I take is 30 MB"),
    ],
)
async def test_other_types_and_oversize_files_are_refused_before_any_download(
    hosted: tuple[System, FileMediaHost], name: str, mime: str, size: int | None, said: str
) -> None:
    system, _ = hosted
    fake = system.fake
    found = fake.add_file(name, mime, b"%PDF-1.4 not media", size=size)
    await system.slack.post(dm_with_files([found], "With this"), "application/json")
    assert fake.last(ANA.dm).shown.startswith(said)
    assert downloads(fake) == [] and "With this" not in await posts_text(system)


async def posts_text(system: System) -> str:
    await system.slack.command("posts", channel=ANA.dm)
    return system.fake.last(ANA.dm).shown


async def test_unreadable_foreign_and_misplaced_files_are_refused(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, _ = hosted
    fake, slack = system.fake, system.slack
    elsewhere = fake.add_file("theirs.jpg", "image/jpeg", JPEG, team="T0OTHER")
    await slack.post(dm_with_files([elsewhere], "Not mine"), "application/json")
    # Slack answers another workspace's file with its sign-in page, not the bytes.
    assert fake.last(ANA.dm).shown == "Slack wouldn't give me theirs.jpg; share it again."
    misplaced = {
        **fake.add_file("a.jpg", "image/jpeg", JPEG),
        "url_private": "https://evil.example/a.jpg",
    }
    del misplaced["url_private_download"]
    await slack.post(dm_with_files([misplaced], "Sneaky"), "application/json")
    assert fake.last(ANA.dm).shown == "I can't fetch a.jpg from where Slack says it is."
    assert downloads(fake) == [BOT_TOKEN]  # only the first, to the fake's own file host
    gone = {"id": "F0GONE", "file_access": "check_file_info"}
    await slack.post(dm_with_files([gone], "Deleted"), "application/json")
    assert fake.last(ANA.dm).shown.startswith("Slack wouldn't show me that file")
    too_many = [fake.add_file(f"{i}.jpg", "image/jpeg", JPEG) for i in range(11)]
    await slack.post(dm_with_files(too_many, "Eleven"), "application/json")
    assert fake.last(ANA.dm).shown.startswith("That is 11 files; no network takes more than 10")
    for text in ("Not mine", "Sneaky", "Deleted", "Eleven"):
        assert text not in await posts_text(system)


async def test_a_file_shared_with_a_command_other_than_post_is_not_fetched(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, _ = hosted
    photo = system.fake.add_file("x.jpg", "image/jpeg", JPEG)
    await system.slack.post(dm_with_files([photo], "/status"), "application/json")
    assert downloads(system.fake) == []
    assert system.fake.last(ANA.dm).shown.startswith("Your Postroom status")  # answered


async def test_the_modals_file_input_attaches_photos(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, host = hosted
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook", "Instagram")
    await slack.command("post")
    view = slack.opened()
    element = inputs(view)["media"]
    assert element["type"] == "file_input" and element["max_files"] == 10
    assert "jpg" in element["filetypes"] and "mp4" in element["filetypes"]

    # Instagram takes nothing without media: said on the file input, nothing saved.
    answer = await slack.submit(view, text="Gallery", networks=["instagram"])
    assert answer.json()["errors"] == {
        "media": "Instagram needs a photo or video. Add one, or untick Instagram."
    }
    pdf = fake.add_file("deck.pdf", "application/pdf", b"%PDF")
    answer = await slack.submit(view, text="Gallery", networks=["instagram"], files=[pdf])
    assert answer.json()["errors"]["media"].startswith("deck.pdf is a application/pdf")
    assert downloads(fake) == [] and fake.in_channel(CHANNEL) == []

    photos = [fake.add_file(f"p{i}.png", "image/png", JPEG) for i in range(2)]
    tags = " ".join(f"#t{i}" for i in range(31))  # Instagram's caption takes 30 hashtags
    answer = await slack.submit(view, text=tags, networks=["instagram"], files=photos[:1])
    assert answer.json()["errors"] == {"text": "Instagram allows 30 hashtags; this post has 31."}
    answer = await slack.submit(view, text="Gallery", networks=["instagram"], files=photos)
    assert answer.text == ""  # closed: the post is made
    assert "1 of 1 published" in fake.last(CHANNEL).shown
    media = (await last_post(system)).media
    assert [stored(host, u) for u in media] == [JPEG, JPEG]
    assert all(u.endswith(".png") for u in media)


async def test_the_shortcut_brings_the_messages_files(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, host = hosted
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    photo = fake.add_file("team <photo>.jpg", "image/jpeg", JPEG)
    await slack.shortcut("Look at this", files=[photo])
    view = slack.opened()
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL, "files": [photo["id"]]}
    assert "📎 Attached from the message: team &lt;photo&gt;.jpg" in context(view)
    await slack.submit(view)
    assert [c.args["file"] for c in fake.called("files.info")] == [photo["id"]]
    (url,) = (await last_post(system)).media
    assert stored(host, url) == JPEG


async def test_in_the_sandbox_nothing_is_downloaded(system: System) -> None:
    photo = system.fake.add_file("launch.jpg", "image/jpeg", JPEG)
    await system.slack.post(dm_with_files([photo], "Sandbox"), "application/json")
    (url,) = (await last_post(system)).media
    assert url.startswith("https://sandbox.postroom.invalid/media/")
    assert downloads(system.fake) == []


async def test_files_slower_than_the_forms_time_are_refused_on_the_field(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, _ = hosted
    view = await modal(system)
    slack, fake = system.slack, system.fake
    fake.hold_downloads = asyncio.Event()  # Slack's file host does not answer in time
    photo = fake.add_file("slow.jpg", "image/jpeg", JPEG)
    answer = await slack.submit(view, text="Slow", networks=["facebook"], files=[photo])
    fake.hold_downloads.set()
    assert answer.json()["errors"]["media"].startswith("Your files took too long to fetch")
    assert fake.in_channel(CHANNEL) == [] and "Slow" not in await posts_text(system)


async def test_a_file_bigger_than_it_said_is_cut_off_while_downloading(
    hosted: tuple[System, FileMediaHost],
) -> None:
    system, host = hosted
    fake = system.fake
    # Slack's object says 1 kB; the bytes keep coming past the 30 MB the bot holds.
    liar = fake.add_file("liar.mp4", "video/mp4", bytes(30_000_001), size=1000)
    await system.slack.post(dm_with_files([liar], "Too big"), "application/json")
    assert fake.last(ANA.dm).shown.startswith("liar.mp4 is too big; the most I take is 30 MB")
    assert downloads(fake) == [BOT_TOKEN] and not list(host.directory.glob("*"))
    assert "Too big" not in await posts_text(system)
