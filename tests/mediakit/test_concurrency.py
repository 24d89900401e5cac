"""Two changes to one kit at the same moment (two workers, two chats of a profile, Slack's
concurrent requests): neither is lost, and an unpublish stays unpublished."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.db.kits import SqlKitStore
from adapters.db.uow import SqlUnitOfWorkFactory
from core.mediakit.model import Theme
from core.mediakit.ports import KitChanged
from tests.mediakit.support import KitWorld, make_world

ROUNDS = 4  # the race shows in most rounds before the fix; four make it all but certain


async def kit_of(world: KitWorld) -> SqlKitStore:
    assert isinstance(world.uow, SqlUnitOfWorkFactory)
    return SqlKitStore(world.uow.session_factory)


async def test_a_stale_save_is_refused_not_written_over(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")
    await world.say("/mediakit publish")
    store = await kit_of(world)
    (read,) = await store.kits_of(1)
    await store.save(replace(read, published=False))  # the unpublish lands first
    with pytest.raises(KitChanged):
        await store.save(replace(read, theme=Theme("#ff0000", read.theme.radius)))
    (now,) = await store.kits_of(1)
    assert not now.published and now.theme == read.theme
    assert (await world.get("/kit/ana-bakes")).status_code == 404


async def test_unpublish_is_not_undone_by_a_concurrent_theme(world: KitWorld) -> None:
    other = make_world(world.uow, world.clock)  # a second worker on the same database
    store = await kit_of(world)
    try:
        await world.say("/mediakit slug ana-bakes")
        for n in range(ROUNDS):
            await world.say("/mediakit publish")
            colour = f"#ff00{n:02d}"
            down, theme = await asyncio.gather(
                other.say("/mediakit unpublish"), world.say(f"/mediakit theme {colour}")
            )
            assert "Unpublished" in down.text, down.text
            assert f"colour {colour}" in theme.text, theme.text
            (kit,) = await store.kits_of(1)
            assert not kit.published, f"round {n}: the unpublished kit is published again"
            assert kit.theme.primary == colour, kit
            world.clock.advance(timedelta(seconds=3))  # past any worker's head cache
            assert (await other.get("/kit/ana-bakes")).status_code == 404
            assert (await world.get("/kit/ana-bakes")).status_code == 404
    finally:
        await other.http.aclose()
        await other.services.aclose()


async def test_a_theme_and_a_text_at_once_both_stay(world: KitWorld) -> None:
    other = make_world(world.uow, world.clock)
    store = await kit_of(world)
    try:
        await world.say("/mediakit slug ana-bakes")
        for n in range(ROUNDS):
            colour, words = f"#00ff{n:02d}", f"Hello brands {n}"
            await asyncio.gather(
                other.say(f"/mediakit text {words}"), world.say(f"/mediakit theme {colour}")
            )
            (kit,) = await store.kits_of(1)
            assert (kit.text, kit.theme.primary) == (words, colour), f"round {n}: {kit}"
    finally:
        await other.http.aclose()
        await other.services.aclose()
