"""CSV import and /export in Telegram against the fake Bot API, on the SQL store: a document
fetched with getFile and its file URL, the preview's buttons, the export sent as a document."""

from __future__ import annotations

import csv
import io

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ChatPlatform, Identity, Post
from tests.fakes.telegram_api import transcript
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, TelegramDriver

CSV = (
    "text,networks,time,media,campaign\n"
    "Launch day! 🚀,x,2026-12-24 09:00 Europe/Berlin,,launch\n"
    "Nope,myspace,2026-12-24 09:00,,\n"
).encode()


async def connected(make_world: MakeWorld, uow: SqlUnitOfWorkFactory) -> World:
    world = await make_world(uow=uow)
    await world.tg.say("/connect")
    await world.tg.tap("X")
    return world


def toast(world: World, query: str) -> str:
    """What the bot answered the callback query `query` with."""
    (answer,) = [
        c
        for c in world.fake.calls_to("answerCallbackQuery")
        if c.params.get("callback_query_id") == query
    ]
    return str(answer.params.get("text", ""))


async def posts_of(world: World, user_id: int = ANA.id) -> list[Post]:
    async with world.uow() as uow:
        profile = await uow.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, str(user_id)))
        if profile is None:
            return []
        return list(await uow.posts.recent(profile.id, origin=None, limit=100))


async def test_a_csv_document_is_previewed_then_imported(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await connected(make_world, uow_factory)
    tg: TelegramDriver = world.tg
    await tg.send_document(CSV, "posts.csv")
    (fetched,) = world.fake.calls_to("getFile")  # then its bytes from the file URL
    assert str(fetched.params["file_id"]).startswith("BQAC-doc")
    preview = tg.last()
    assert preview.text.startswith("📥 Import preview: 1 of 2 rows can be scheduled")
    assert "row 3 · networks: unknown network 'myspace'" in preview.text
    assert preview.labels() == ["📥 Import 1 post", "Cancel"]
    data = str(preview.buttons()[0]["callback_data"])
    await tg.tap("Import 1 post")
    done = world.fake.messages[(ANA.id, preview.message_id)]
    assert done.text.startswith("✅ Imported 1 scheduled post: Thu 24 Dec 2026, 08:00 (UTC)")
    assert done.labels() == []
    (post,) = await posts_of(world)
    assert post.text == "Launch day! 🚀"
    # A second tap on the same (old) message imports nothing more.
    query = await tg.tap_data(data, user=ANA, message=preview)
    assert len(await posts_of(world)) == 1
    assert toast(world, query) == "Already imported: 1 post. See /posts."
    assert world.fake.messages[(ANA.id, preview.message_id)].text == done.text  # unchanged
    assert "[file posts.csv" in transcript(world.fake.log)


async def test_another_members_tap_in_a_group_is_refused(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await connected(make_world, uow_factory)
    tg = world.tg
    # In a group only a file captioned /import is for the bot.
    await tg.send_document(CSV, "posts.csv", chat=GROUP)
    assert world.fake.chat_messages(int(GROUP["id"])) == []
    await tg.send_document(CSV, "posts.csv", caption="/import", chat=GROUP)
    preview = tg.last(int(GROUP["id"]))
    assert preview.text.startswith("📥 Import preview")
    query = await tg.tap("Import", user=BEN, message=preview)
    assert toast(world, query) == "Only the author can do that."
    assert await posts_of(world) == [] and await posts_of(world, BEN.id) == []


async def test_an_oversized_file_is_refused_without_downloading_it(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await connected(make_world, uow_factory)
    await world.tg.send_document(b"text,networks,time\n", "huge.csv", size=5_000_000)
    assert world.tg.last().text.startswith("That file is 5.0 MB; one import takes at most 1 MB")
    assert world.fake.calls_to("getFile") == []


async def test_a_spreadsheet_of_another_kind_is_not_taken_for_media(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await connected(make_world, uow_factory)
    await world.tg.send_document(b"text|networks|time\n", "posts.csv", mime="text/plain")
    assert "It seems to be separated by |" in world.tg.last().text


async def test_export_is_sent_as_a_document(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await connected(make_world, uow_factory)
    await world.tg.say('/post =HYPERLINK("https://evil.example","x")')
    await world.tg.say("/export")
    (call,) = world.fake.calls_to("sendDocument")
    sent = world.tg.last()
    assert sent.filename.startswith("postroom-export-") and sent.filename.endswith(".csv")
    assert sent.text.startswith("📤 Your export: 1 post with 1 network target")
    assert sent.document is not None
    rows = list(csv.DictReader(io.StringIO(sent.document.decode("utf-8-sig"), newline="")))
    assert rows[0]["text"] == '\'=HYPERLINK("https://evil.example","x")'
    await world.tg.say("/export json")
    assert world.tg.last().filename.endswith(".json")
    assert call.files["document"] == sent.document
