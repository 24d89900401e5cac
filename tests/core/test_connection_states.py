"""What Ayrshare reports linked, with link ends, reaches /status and storage (SQL, both DBs)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import ConnectionStatus, Network
from tests.core.harness import START, field_values
from tests.core.pro_world import ProWorld, pro_world

LI, FB = Network.LINKEDIN, Network.FACEBOOK


@pytest.fixture
async def w(uow_factory: SqlUnitOfWorkFactory) -> AsyncIterator[ProWorld]:
    async with pro_world(uow_factory) as world:
        yield world


async def test_status_shows_days_left_from_refresh_days_remaining(w: ProWorld) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li", refreshDaysRemaining=5)
    w.fake.link(user.profile_key, "facebook", "Ana FB")  # no end known
    status = field_values(await w.h.say("/status"))
    assert status["LinkedIn"] == "✅ connected, 5 days left · Ana Li"
    assert status["Facebook"] == "✅ connected · Ana FB"
    stored = await w.connection(LI)
    assert stored is not None and stored.expires_at == START + timedelta(days=5)

    # Read again hours later Ayrshare still says 5 (whole days): the same end is kept.
    w.h.clock.advance(timedelta(hours=3))
    await w.h.say("/status")
    again = await w.connection(LI)
    assert again is not None and again.expires_at == START + timedelta(days=5)
    w.h.clock.advance(timedelta(days=2))
    w.fake.link(user.profile_key, "linkedin", "Ana Li", refreshDaysRemaining=3)
    assert field_values(await w.h.say("/status"))["LinkedIn"].startswith(
        "✅ connected, 3 days left"
    )


@pytest.mark.parametrize(
    "details",
    [
        {"refreshDaysRemaining": "5"},  # digits as text
        {"refreshDaysRemaining": 5.0},
        {"refreshRequired": (START + timedelta(days=5)).isoformat()},
        {"refreshRequired": {"_seconds": int((START + timedelta(days=5)).timestamp())}},
    ],
)
async def test_link_ends_are_read_in_every_shape_seen(
    w: ProWorld, details: dict[str, object]
) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li", **details)
    assert field_values(await w.h.say("/status"))["LinkedIn"].startswith(
        "✅ connected, 5 days left"
    )


@pytest.mark.parametrize("junk", [None, "soon", True, [], {"days": 5}])
async def test_an_unreadable_end_is_no_end(w: ProWorld, junk: object) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li", refreshDaysRemaining=junk)
    assert field_values(await w.h.say("/status"))["LinkedIn"] == "✅ connected · Ana Li"


async def test_an_account_ayrshare_no_longer_lists_becomes_broken(w: ProWorld) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li")
    w.fake.link(user.profile_key, "facebook", "Ana FB")
    await w.h.say("/status")
    w.fake.unlink(user.profile_key, "linkedin")  # revoked at LinkedIn, or expired
    w.h.clock.advance(timedelta(minutes=5))
    status = field_values(await w.h.say("/status"))
    assert status["LinkedIn"] == "⚠️ broken — reconnect"
    assert status["Facebook"] == "✅ connected · Ana FB"
    broken = await w.connection(LI)
    assert broken is not None and broken.status is ConnectionStatus.BROKEN
    assert broken.updated_at == START + timedelta(minutes=5)  # when it broke

    w.h.clock.advance(timedelta(hours=1))
    await w.h.say("/status")  # still broken: the time it broke stays
    still = await w.connection(LI)
    assert still is not None and still.updated_at == START + timedelta(minutes=5)

    # Linked again at Ayrshare: connected again.
    w.fake.link(user.profile_key, "linkedin", "Ana Li", refreshDaysRemaining=60)
    assert field_values(await w.h.say("/status"))["LinkedIn"].startswith(
        "✅ connected, 60 days left"
    )


async def test_a_broken_connection_disconnects_without_asking_ayrshare(w: ProWorld) -> None:
    user = await w.user()
    w.fake.link(user.profile_key, "linkedin", "Ana Li")
    await w.h.say("/status")
    w.fake.unlink(user.profile_key, "linkedin")
    await w.h.say("/status")
    done = await w.h.tap(await w.h.say("/disconnect linkedin"), "Yes, disconnect")
    assert done.text == "LinkedIn disconnected."
    assert w.fake.requests_to("DELETE", "/profiles/social") == []
    assert await w.connection(LI) is None
    assert field_values(await w.h.say("/status"))["LinkedIn"] == "not connected"
