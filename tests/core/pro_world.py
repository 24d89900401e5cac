"""A Pro harness over the fake Ayrshare and the SQL database, for the connection lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from adapters.ayrshare import AyrshareClient, AyrsharePublisher
from adapters.ayrshare.budgeted import Budgeted
from core.model import Connection, Network, Route
from core.ports import UnitOfWorkFactory
from tests.core.harness import START, Harness
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare, FakeProfile
from tests.fakes.clock import FixedClock

API_KEY = "sk-test-lifecycle"


@dataclass
class ProWorld:
    h: Harness
    fake: FakeAyrshare
    publisher: AyrsharePublisher

    async def user(self, name: str = "ana") -> FakeProfile:
        """The Ayrshare user profile behind `name` (made by /connect on first use)."""
        profile = await self.h.app.profile_for(self.h.actor(name))
        if Route.AYRSHARE not in profile.accounts:
            await self.h.say("/connect", name)
            profile = await self.h.app.profile_for(self.h.actor(name))
        return self.fake.profiles[profile.accounts[Route.AYRSHARE].key.value]

    async def connection(self, network: Network, name: str = "ana") -> Connection | None:
        profile = await self.h.app.profile_for(self.h.actor(name))
        return profile.connections.get(network)


@asynccontextmanager
async def pro_world(uow: UnitOfWorkFactory) -> AsyncIterator[ProWorld]:
    fake = FakeAyrshare(api_key=API_KEY)
    clock = FixedClock(START)
    async with fake.http_client() as http:
        client = AyrshareClient(http, base_url=BASE_URL + "/", api_key=API_KEY, timeout=5.0)
        # No answer cache: each test step sees what the fake says at that moment.
        publisher = AyrsharePublisher(
            client,
            jwt_domain="acme",
            private_key_pem="PEM",
            budgeted=Budgeted(clock=clock),
            connections_ttl=START - START,
        )
        h = Harness(uow=uow, publishers={Route.AYRSHARE: publisher}, clock=clock)
        yield ProWorld(h, fake, publisher)
