"""The notice for a post held because it fell due while the bot was down names the grace in
words ("30 seconds", "15 minutes"), on the SQL store."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.model import Network, Route
from core.ports import UnitOfWorkFactory
from core.publishing.config import PipelineConfig
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import World, ayrshare


@pytest.mark.parametrize(
    ("grace", "words"),
    [
        (timedelta(seconds=30), "more than 30 seconds late"),
        (timedelta(minutes=1), "more than 1 minute late"),
        (timedelta(minutes=15), "more than 15 minutes late"),
    ],
)
async def test_the_grace_is_said_in_words(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
    http: httpx.AsyncClient,
    grace: timedelta,
    words: str,
) -> None:
    world = World(
        uow_factory,
        clock,
        {Route.AYRSHARE: ayrshare(fake, http)},
        fake=fake,
        config=PipelineConfig(missed_grace=grace),
    )
    ana = await world.profile("ana", [Network.FACEBOOK])
    await world.post(ana, Network.FACEBOOK, due=clock.now())
    clock.advance(grace + timedelta(seconds=1))  # the bot was down meanwhile

    await world.pipeline.tick()

    [notice] = world.notices()
    assert f"Posts {words} wait for you" in notice.text
    assert world.posts_sent() == 0
