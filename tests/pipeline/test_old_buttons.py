"""Old and foreign buttons over SQL storage (SQLite and PostgreSQL): post numbers are never
reused, and a button acts only for its owner and only on the post it was made for."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from core.actions import Action
from core.handlers import Actor
from core.model import ChatPlatform, Identity, Network, Route
from core.ports import UnitOfWorkFactory
from core.replies import Button, Reply, mark
from core.states import PostState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import World, ayrshare, chat_of

FB = Network.FACEBOOK


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: ayrshare(fake, http)}, fake=fake)


def button(reply: Reply | None, label: str) -> Button:
    assert reply is not None
    found = [b for row in reply.buttons for b in row if label.lower() in b.label.lower()]
    assert found, f"no {label!r} in {[b.label for row in reply.buttons for b in row]}"
    return found[0]


async def test_an_old_cancel_button_never_cancels_a_newer_post(
    world: World, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    await world.profile("ben", [FB])
    first = await world.say("ana", "/post First plan")
    scheduled = await world.say("ana", "/schedule in 1h")
    old_cancel = button(scheduled, "Cancel").callback_data
    cancelled = await world.tap("ana", old_cancel)
    assert cancelled.text == "Cancelled. Post #1 is a draft again."
    question = await world.tap("ana", button(cancelled, "Delete").callback_data)
    gone = await world.tap("ana", button(question, "Yes, delete").callback_data)
    assert gone.text == "Post #1 deleted."

    clock.advance(timedelta(minutes=1))
    second = await world.say("ana", "/post Second plan")
    assert second is not None and first is not None
    await world.say("ana", "/schedule in 2h")
    async with world.uow() as uow:
        listed, _ = await uow.posts.list_for_profile(ana.id, offset=0, limit=5)
    (newer,) = listed
    assert newer.id == 2 and newer.state is PostState.SCHEDULED  # not #1 again

    for _ in range(2):  # the old button, tapped again and again
        answer = await world.tap("ana", old_cancel)
        assert (answer.toast, answer.text) == (
            "There is no post #1 (it may have been deleted).",
            "",
        )
    # A button sealed before #2 existed (a restored backup, a hand-made query) is refused too.
    before = clock.now() - timedelta(minutes=1)
    stale = await world.tap("ana", f"{Action.CANCEL}:{newer.id}~{mark(ana.id, before)}")
    assert stale.toast == "This button was made for an earlier post #2, which no longer exists."
    # Another member's tap on Ana's button, and malformed or unsealed data.
    foreign = await world.tap("ben", f"{Action.CANCEL}:{newer.id}~{mark(ana.id, clock.now())}")
    assert foreign.toast == "Only the author can do that."
    assert (await world.tap("ana", f"{Action.CANCEL}:two")).toast == (
        "I need a post number here, not 'two' (e.g. /cancel 12)."
    )
    unsealed = await world.app.handle_tap(_actor("ana"), f"{Action.CANCEL}:{newer.id}", None)
    assert unsealed.toast is not None and "too old to use" in unsealed.toast
    assert (await world.get(newer.id)).state is PostState.SCHEDULED

    mine = await world.tap("ana", f"{Action.CANCEL}:{newer.id}~{mark(ana.id, clock.now())}")
    assert mine.text == "Cancelled. Post #2 is a draft again."


def _actor(user: str) -> Actor:
    return Actor(Identity(ChatPlatform.TELEGRAM, user), chat_of(user), user)


async def test_page_buttons_are_their_owners(world: World) -> None:
    await world.profile("ana", [FB])
    await world.profile("ben", [FB])
    for n in range(6):
        await world.say("ana", f"/post Update {n}")
    listing = await world.say("ana", "/posts")
    assert listing is not None and "page 1 of 2" in listing.text
    nxt = button(listing, "Next").callback_data
    refused = await world.tap("ben", nxt)
    assert (refused.toast, refused.text) == ("Only the author can do that.", "")
    paged = await world.tap("ana", nxt)
    assert paged.edit and "page 2 of 2" in paged.text
