"""Import and export run over the SQL store (SQLite, or PostgreSQL per POSTROOM_TEST_DATABASE):
one transaction for a whole import, campaign tags and metrics are the database's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.handlers import Upload
from core.model import Tier
from core.policy import Policy
from core.replies import Reply
from tests.core.harness import Harness

MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_h(uow_factory: SqlUnitOfWorkFactory) -> MakeHarness:
    def make(tier: Tier = Tier.PRO, policy: Policy | None = None) -> Harness:
        return Harness(tier=tier, uow=uow_factory, policy=policy)

    return make


@pytest.fixture
def h(make_h: MakeHarness) -> Harness:
    return make_h()


Send = Callable[..., Awaitable[Reply]]


async def send_file(
    h: Harness, data: bytes | str, user: str = "ana", name: str = "posts.csv"
) -> Reply:
    """`user` sends a file; the answer is shown in their chat (its buttons can be tapped)."""
    raw = data.encode() if isinstance(data, str) else data
    actor = h.actor(user)
    reply = await h.app.handle_upload(actor, Upload(name, raw, "text/csv"))
    assert reply is not None
    if reply.text:
        await h.messenger.send(actor.chat, reply)
    return reply
