"""Media from Telegram made fetchable: the bot's own /media route, Ayrshare's upload, albums."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adapters.ayrshare.client import AyrshareClient
from adapters.telegram.albums import QUIET_SECONDS as ALBUM_QUIET_SECONDS
from bot.media import (
    AyrshareMediaHost,
    FileMediaHost,
    SandboxMediaHost,
    build_media_host,
    media_routes,
)
from bot.settings import Settings
from core.errors import PublishError
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import JPEG

PUBLIC = "https://bot.example"
TOKEN_URL = re.compile(re.escape(PUBLIC) + r"/media/([A-Za-z0-9_-]{22})(\.[a-z0-9]+)?")


def _client(host: FileMediaHost) -> httpx.AsyncClient:
    app = Starlette(routes=media_routes(host))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC)


async def test_file_host_serves_each_file_under_a_fresh_unguessable_name(tmp_path: Path) -> None:
    host = FileMediaHost(tmp_path / "media", PUBLIC + "/")
    photo = await host.host(JPEG, filename="AQADlarge.jpg", mime="image/jpeg")
    again = await host.host(JPEG, filename="AQADlarge.jpg", mime="image/jpeg")
    video = await host.host(b"\x00\x00\x00\x18ftypmp42", filename="v.mp4", mime="video/mp4")
    assert photo != again
    match = TOKEN_URL.fullmatch(video)
    assert match is not None and match.group(2) == ".mp4"
    async with _client(host) as client:
        got = await client.get(photo)
        clip = await client.get(video)
    assert got.status_code == 200 and got.content == JPEG
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert clip.headers["content-type"] == "video/mp4"
    assert not list((tmp_path / "media").glob("*.part"))


async def test_file_host_answers_404_for_anything_else(tmp_path: Path) -> None:
    host = FileMediaHost(tmp_path / "media", PUBLIC)
    stored = await host.host(JPEG, filename="a.jpg", mime="image/jpeg")
    (tmp_path / "media" / "notes.txt").write_text("private")
    name = stored.rsplit("/", 1)[1]
    async with _client(host) as client:
        for path in (
            "/media/" + name[:-5] + "x.jpg",  # another token
            "/media/notes.txt",
            "/media/" + name + ".part",
            "/media/..%2F..%2Fsecret.key",
            "/media/",
        ):
            assert (await client.get(path)).status_code == 404, path
        assert (await client.post("/media/" + name)).status_code == 405


async def test_unknown_types_are_stored_without_a_misleading_suffix(tmp_path: Path) -> None:
    host = FileMediaHost(tmp_path, PUBLIC)
    url = await host.host(b"data", filename="x.exe", mime="application/x-msdownload")
    match = TOKEN_URL.fullmatch(url)
    assert match is not None and match.group(2) is None


async def test_sandbox_host_gives_a_stable_url_without_data() -> None:
    host = SandboxMediaHost()
    assert host.needs_data is False
    url = await host.host(b"", filename="AQAD/../x.jpg", mime="image/jpeg")
    assert url == "https://sandbox.postroom.invalid/media/AQAD_.._x.jpg"
    assert url == await host.host(b"", filename="AQAD/../x.jpg", mime="image/jpeg")


def _fake_upload(received: list[Any], *, status: int = 200) -> httpx.AsyncClient:
    async def upload(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        received.append((request.headers.get("authorization"), body))
        if status != 200:
            return JSONResponse({"status": "error", "code": 169, "message": "Plan"}, status)
        name = body.get("fileName", "file")
        return JSONResponse(
            {"id": "m1", "url": f"https://images.ayrshare.com/abc/{name}", "fileName": name}
        )

    app = Starlette(routes=[Route("/api/media/upload", upload, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app))


async def test_ayrshare_host_uploads_a_base64_data_url() -> None:
    received: list[Any] = []
    http = _fake_upload(received)
    client = AyrshareClient(http, base_url="https://api.ayrshare.test/api", api_key="k")
    url = await AyrshareMediaHost(client).host(JPEG, filename="AQAD.jpg", mime="image/jpeg")
    assert url == "https://images.ayrshare.com/abc/AQAD.jpg"
    ((auth, body),) = received
    assert auth == "Bearer k"
    assert body["file"] == "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    await http.aclose()


async def test_ayrshare_upload_refusals_become_publish_errors() -> None:
    http = _fake_upload([], status=403)
    client = AyrshareClient(http, base_url="https://api.ayrshare.test/api", api_key="k")
    with pytest.raises(PublishError):
        await client.upload_media(JPEG, filename="a.jpg", mime="image/jpeg")
    with pytest.raises(PublishError, match="30 MB"):
        await client.upload_media(b"x" * 30_000_001, filename="a.jpg", mime="image/jpeg")
    await http.aclose()


def test_the_media_host_follows_the_configuration(tmp_path: Path) -> None:
    http = httpx.AsyncClient()
    client = AyrshareClient(http, base_url="https://api.ayrshare.test/api", api_key="k")
    sandbox = Settings(var_dir=tmp_path, public_url=PUBLIC)
    assert isinstance(build_media_host(sandbox, None), SandboxMediaHost)
    key = SecretStr("k")
    own = Settings(var_dir=tmp_path, ayrshare_api_key=key, public_url=PUBLIC)
    host = build_media_host(own, client)
    assert isinstance(host, FileMediaHost) and host.directory == tmp_path / "media"
    assert isinstance(build_media_host(Settings(ayrshare_api_key=key), client), AyrshareMediaHost)
    assert media_routes(SandboxMediaHost()) == []


async def test_a_photo_is_downloaded_and_hosted_when_the_host_needs_bytes(
    make_world: MakeWorld, tmp_path: Path
) -> None:
    host = FileMediaHost(tmp_path / "media", PUBLIC)
    world = await make_world(media=host)
    photo = b"\xff\xd8 a real enough photo \xff\xd9"
    await world.tg.send_photo("Fresh", data=photo, unique_id="AQADfresh")
    (get_file,) = world.fake.calls_to("getFile")
    assert get_file.params["file_id"] == "AgAC-AQADfresh"
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None
    (url,) = post.media
    async with _client(host) as client:
        assert (await client.get(url)).content == photo


async def test_a_file_telegram_says_is_too_big_is_refused(
    make_world: MakeWorld, tmp_path: Path
) -> None:
    world = await make_world(media=FileMediaHost(tmp_path, PUBLIC))
    tg = world.tg
    update = tg.message_update("photo_caption")
    del update["message"]["photo"][-1]["file_size"]  # Telegram omits it sometimes
    file_id = update["message"]["photo"][-1]["file_id"]
    world.fake.add_file(file_id, "AQADlarge", b"", size=21_000_000)
    await tg.deliver(update)
    assert tg.last().text.startswith("That photo is too big; Telegram lets bots fetch files up")
    async with world.uow() as uow:
        assert await uow.posts.get(1) is None


async def test_a_telegram_failure_while_downloading_is_explained(
    make_world: MakeWorld, tmp_path: Path
) -> None:
    world = await make_world(media=FileMediaHost(tmp_path, PUBLIC))
    world.fake.fail_next("getFile", code=502, description="Bad Gateway")
    await world.tg.send_photo("Try again")
    assert world.tg.last().text == "I couldn't fetch your photo from Telegram; send it again."


async def test_an_album_becomes_one_post_with_all_its_media(make_world: MakeWorld) -> None:
    world = await make_world()
    tg = world.tg
    await tg.send_photo("Two views", unique_id="AQADone", media_group_id="g1")
    await tg.send_photo(None, unique_id="AQADtwo", media_group_id="g1")
    assert world.fake.calls_to("sendMessage") == []
    for _ in range(2):  # the window after the last item
        await world.album_time.advance(ALBUM_QUIET_SECONDS)
    await world.chat.drain()
    composer = tg.last()
    assert composer.text.startswith("✍️ New post — 9 characters, 2 media")
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.text == "Two views"
    assert post.media == (
        "https://sandbox.postroom.invalid/media/AQADone.jpg",
        "https://sandbox.postroom.invalid/media/AQADtwo.jpg",
    )


async def quiet(world: World) -> None:
    """No more album items: let quiet windows pass until every album is composed."""
    await world.album_time.advance(0)  # a collector just started gets to its first window
    while world.album_time.sleepers:
        await world.album_time.advance(ALBUM_QUIET_SECONDS)
    await world.chat.drain()


async def test_an_album_item_arriving_late_joins_its_album(make_world: MakeWorld) -> None:
    world = await make_world()
    tg, time = world.tg, world.album_time
    await tg.send_photo("Slow album", unique_id="AQADone", media_group_id="g2")
    await tg.send_photo(None, unique_id="AQADtwo", media_group_id="g2")
    # Each item 1.7 s after the one before: longer than Telegram's usual gap, and more than
    # one quiet window after the first item in all.
    for unique_id in ("AQADthree", "AQADfour"):
        await time.advance(1.7)
        await tg.send_photo(None, unique_id=unique_id, media_group_id="g2")
    await time.advance(1.7)
    assert world.fake.calls_to("sendMessage") == []  # still collecting
    await quiet(world)
    [composer] = world.fake.calls_to("sendMessage")
    assert composer.params["text"].startswith("✍️ New post — 10 characters, 4 media")
    async with world.uow() as uow:
        post = await uow.posts.get(1)
        assert await uow.posts.get(2) is None  # one draft, not two
    assert post is not None and [m.rsplit("/", 1)[1] for m in post.media] == [
        "AQADone.jpg",
        "AQADtwo.jpg",
        "AQADthree.jpg",
        "AQADfour.jpg",
    ]


async def test_an_album_item_after_the_quiet_window_is_a_post_of_its_own(
    make_world: MakeWorld,
) -> None:
    world = await make_world()
    tg, time = world.tg, world.album_time
    await tg.send_photo("First", unique_id="AQADone", media_group_id="g3")
    await quiet(world)
    assert len(world.fake.calls_to("sendMessage")) == 1
    await time.advance(60)
    await tg.send_photo(None, unique_id="AQADlate", media_group_id="g3")
    await quiet(world)
    assert len(world.fake.calls_to("sendMessage")) == 2
