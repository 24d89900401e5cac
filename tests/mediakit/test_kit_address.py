"""The address /mediakit gives for a kit's page: the public URL when set, else the web app's
local address from the settings (said to be local only), else the bare path."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from tests.fakes.clock import FixedClock
from tests.mediakit.support import PUBLIC, make_world


@pytest.mark.parametrize(
    ("settings", "address", "note"),
    [
        ({}, f"{PUBLIC}/kit/", None),
        ({"public_url": None, "http_port": 8080}, "http://127.0.0.1:8080/kit/", "local only"),
        (
            {"public_url": None, "http_host": "0.0.0.0", "http_port": 9000},
            "http://127.0.0.1:9000/kit/",
            "local only",
        ),
        (
            {"public_url": None, "http_host": "::1", "http_port": 8081},
            "http://[::1]:8081/kit/",
            "local only",
        ),
        ({"public_url": None, "http_port": 0}, "Published: /kit/", "web app is off"),
    ],
)
async def test_publish_and_the_detail_show_the_whole_address(
    uow_factory: SqlUnitOfWorkFactory,
    clock: FixedClock,
    settings: dict[str, object],
    address: str,
    note: str | None,
) -> None:
    world = make_world(uow_factory, clock, **settings)
    try:
        slug = (await world.say("/mediakit")).text.split("Page ", 1)[1].split(":", 1)[0]
        published = (await world.say("/mediakit publish")).text
        assert f"{address}{slug}\n" in published, published
        if note is None:
            assert "POSTROOM_PUBLIC_URL" not in published
        else:
            assert note in published
        # The kit's detail (the card) names the same address.
        assert (
            f"{address.removeprefix('Published: ')}{slug}" in (await world.say("/mediakit")).text
        )
    finally:
        await world.http.aclose()
        await world.services.aclose()
