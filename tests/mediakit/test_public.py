"""What the public page may show: measured numbers only, the networks connected now, no time
zone; at once after /hide or /disconnect; any capitals in the address; misses without a read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from core.replies import Reply
from tests.mediakit.support import KitWorld, with_numbers


async def published(world: KitWorld, slug: str = "ana-bakes") -> None:
    await world.say(f"/mediakit slug {slug}")
    await world.say("/mediakit publish")


def nets(page: str) -> str:
    return page[page.find('<ul class="nets">') : page.find("</ul>")]


async def disconnect(world: KitWorld, network: str) -> None:
    asked: Reply = await world.say(f"/disconnect {network}")
    yes = [b for row in asked.buttons for b in row if "isconnect" in b.label]
    assert yes, asked
    done = await world.tap(yes[0])
    assert "isconnected" in done.text or "removed" in done.text.lower(), done.text


async def test_numbers_typed_in_with_track_are_not_on_the_page(world: KitWorld) -> None:
    await with_numbers(world)
    await published(world)
    before = (await world.get("/kit/ana-bakes")).text
    typed = await world.say("/track https://www.youtube.com/watch?v=abc views=99999999")
    assert "entered by hand" in typed.text, typed.text
    world.clock.advance(timedelta(seconds=61))
    page = (await world.get("/kit/ana-bakes")).text
    assert "99,999,999" not in page and "youtube.com" not in page
    assert "100,007,799" not in page  # nor in the 30 days' views
    assert "7,800" in before and "7,800" in page  # the measured views, as before
    card = await world.say("/mediakit")
    assert "99,999,999" not in card.text and "100,007,799" not in card.text


async def test_a_disconnected_network_leaves_the_page(world: KitWorld) -> None:
    await with_numbers(world)
    await published(world)
    assert "TikTok" in nets((await world.get("/kit/ana-bakes")).text)
    await disconnect(world, "tiktok")
    world.clock.advance(timedelta(seconds=61))  # past the page minute: not the cache's doing
    page = (await world.get("/kit/ana-bakes")).text
    assert "TikTok" not in nets(page) and "12,800" not in page
    assert "4,200 followers" in page  # Instagram stays, and is the whole total
    assert "17,000" not in page


async def test_the_page_does_not_name_the_owners_time_zone(world: KitWorld) -> None:
    await with_numbers(world)
    await world.say("/timezone Europe/Lisbon")
    await published(world)
    page = (await world.get("/kit/ana-bakes")).text
    footer = page[page.find("<footer") :]
    assert "Lisbon" not in page and "Europe" not in page, footer
    assert " UTC</time>" in footer, footer


async def test_hide_and_disconnect_change_the_page_at_once(world: KitWorld) -> None:
    await with_numbers(world)
    await published(world)
    assert "Sourdough batch" in (await world.get("/kit/ana-bakes")).text
    for n in (1, 2, 3):
        await world.say(f"/hide {n}")
    page = (await world.get("/kit/ana-bakes")).text  # within the page minute
    assert "Sourdough batch" not in page and "Croissant" not in page
    for n in (1, 2, 3):
        await world.say(f"/unhide {n}")
    assert "Sourdough batch" in (await world.get("/kit/ana-bakes")).text
    await disconnect(world, "tiktok")
    assert "TikTok" not in nets((await world.get("/kit/ana-bakes")).text)


async def test_an_address_in_capitals_redirects_to_the_page(world: KitWorld) -> None:
    await world.say("/mediakit slug Ana-Bakes")
    await world.say("/mediakit publish")
    moved = await world.get("/kit/Ana-Bakes")
    assert moved.status_code == 308 and moved.headers["location"] == "/kit/ana-bakes"
    assert moved.headers["x-frame-options"] == "DENY"
    assert (await world.get(moved.headers["location"])).status_code == 200
    odd = await world.get("/kit/NOBODY%3Cx%3E")  # quoted again, never a way out of /kit/
    assert odd.status_code == 308 and odd.headers["location"] == "/kit/nobody%3Cx%3E"
    assert (await world.get(odd.headers["location"])).status_code == 404


async def test_unknown_addresses_cost_no_database_read(world: KitWorld) -> None:
    await published(world)
    assert (await world.get("/kit/ana-bakes")).status_code == 200
    statements: list[str] = []

    def seen(*args: object) -> None:
        statements.append(str(args[2]))

    bound = world.uow.session_factory.kw["bind"]  # the test database's engine
    assert isinstance(bound, AsyncEngine)
    engine = bound.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for n in range(50):
            assert (await world.get(f"/kit/nobody-{n}")).status_code == 404
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # At most the list of published addresses, read again after its two seconds.
    assert len(statements) <= 1, statements
    world.clock.advance(timedelta(seconds=3))
    await world.say("/mediakit slug ana-cakes")  # a change drops the list: seen at once
    assert (await world.get("/kit/ana-cakes")).status_code == 200
    assert (await world.get("/kit/ana-bakes")).status_code == 404
