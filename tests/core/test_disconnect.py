"""/disconnect through Postroom on the SQL database: confirmation, held posts, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from adapters.ayrshare import AyrshareClient, AyrsharePublisher
from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.sandbox import FailMode
from core.model import AccountKey, Network, Post, Route, Secret, Tier
from core.states import TargetState
from tests.core.harness import Harness, find_button
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare

FB, LI = Network.FACEBOOK, Network.LINKEDIN
API_KEY = "sk-test-disconnect"


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


async def _post(h: Harness, post_id: int) -> Post:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


async def _connected(h: Harness, user: str = "ana") -> frozenset[Network]:
    profile = await h.app.profile_for(h.actor(user))
    return profile.connected()


async def test_disconnect_asks_first_then_holds_the_posts_scheduled_there(h: Harness) -> None:
    await h.compose("Launch day", FB, LI)
    await h.say("/schedule tomorrow 9:00")
    await h.say("/post Only on LinkedIn")  # a draft: nothing to hold
    question = await h.say("/disconnect linkedin")
    assert question.text.startswith("Disconnect LinkedIn?")
    assert "Scheduled to LinkedIn: #1." in question.text
    assert await _connected(h) == {FB, LI}  # asking changes nothing

    done = await h.tap(question, "Yes, disconnect LinkedIn")
    assert done.text.startswith("LinkedIn disconnected.")
    assert "Held for LinkedIn (back to draft there): #1." in done.text
    assert await _connected(h) == {FB}
    post = await _post(h, 1)
    assert post.targets[LI].state is TargetState.DRAFT  # held, not failed
    assert post.targets[FB].state is TargetState.SCHEDULED  # the rest goes out as planned

    again = await h.tap(question, "Yes, disconnect LinkedIn")  # the same button twice
    assert again.toast == "LinkedIn is already disconnected."
    assert (await h.say("/disconnect linkedin")).text.startswith("LinkedIn is not connected.")


async def test_disconnect_refuses_bad_input_and_other_peoples_buttons(h: Harness) -> None:
    await h.connect(FB)
    await h.connect(FB, user="bo")
    assert "I don't know the network 'myspace'" in (await h.say("/disconnect myspace")).text
    assert (await h.say("/disconnect")).text.startswith("Which network?")
    assert (await h.say("/disconnect linkedin")).text.startswith("LinkedIn is not connected.")

    question = await h.say("/disconnect facebook")
    button = find_button(question, "Yes, disconnect")
    foreign = await h.app.handle_tap(h.actor("bo"), button.callback_data, h.message_of(question))
    assert foreign.toast == "Only the author can do that."
    assert await _connected(h, "bo") == {FB} and await _connected(h) == {FB}

    h.clock.advance(timedelta(minutes=11))  # the question is stale
    stale = await h.tap(question, "Yes, disconnect")
    assert stale.toast == "This question is too old; send /disconnect facebook again."
    assert await _connected(h) == {FB}


async def test_disconnect_refuses_while_a_post_may_be_going_out_there(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    h = Harness(uow=uow_factory, fail={FB: FailMode.TIMEOUT})
    composer = await h.compose("Now", FB)
    await h.tap(composer, "Publish now")
    await h.pipeline.tick()  # sent, the answer lost: it may be out
    assert (await _post(h, 1)).targets[FB].may_be_out
    question = await h.say("/disconnect facebook")
    refused = await h.tap(question, "Yes, disconnect")
    assert refused.toast is not None and "#1 is being published to Facebook" in refused.toast
    assert await _connected(h) == {FB}


async def test_free_disconnect_deletes_the_instagram_graph_connection(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    h = Harness(uow=uow_factory, tier=Tier.FREE)
    await h.connect(Network.INSTAGRAM)
    async with h.uow() as uow:  # the token an Instagram Login connect stores
        stored = await uow.profiles.by_identity(h.actor().identity)
        assert stored is not None
        stored.accounts[Route.INSTAGRAM_GRAPH] = AccountKey("ig-1789", Secret("IGAAtoken"))
        await uow.profiles.save(stored)
        await uow.commit()
    done = await h.tap(await h.say("/disconnect instagram"), "Yes, disconnect")
    assert done.text == "Instagram disconnected."
    assert await _connected(h) == frozenset()
    profile = await h.app.profile_for(h.actor())
    assert Route.INSTAGRAM_GRAPH not in profile.accounts


@pytest.fixture
def fake() -> FakeAyrshare:
    return FakeAyrshare(api_key=API_KEY)


@pytest.fixture
async def pro(
    fake: FakeAyrshare, uow_factory: SqlUnitOfWorkFactory
) -> AsyncIterator[tuple[Harness, FakeAyrshare]]:
    async with fake.http_client() as http:
        client = AyrshareClient(http, base_url=BASE_URL + "/", api_key=API_KEY, timeout=5.0)
        ayrshare = AyrsharePublisher(
            client, jwt_domain="acme", private_key_pem="PEM", connect_redirect=None
        )
        h = Harness(uow=uow_factory, publishers={Route.AYRSHARE: ayrshare})
        yield h, fake


async def test_pro_disconnect_unlinks_at_ayrshare(pro: tuple[Harness, FakeAyrshare]) -> None:
    h, fake = pro
    await h.say("/connect")  # makes the Ayrshare user profile
    (user,) = fake.profiles.values()
    fake.link(user.profile_key, "linkedin", "Ana Li")
    fake.link(user.profile_key, "facebook", "Ana FB")
    await h.say("/status")  # learns what is linked there
    assert await _connected(h) == {FB, LI}

    done = await h.tap(await h.say("/disconnect linkedin"), "Yes, disconnect")
    assert done.text == "LinkedIn disconnected."
    assert set(user.linked) == {"facebook"}  # unlinked at Ayrshare, not only here
    assert await _connected(h) == {FB}
    status = await h.say("/status")
    assert any(f.label == "LinkedIn" and f.value == "not connected" for f in status.fields)


async def test_pro_disconnect_changes_nothing_when_ayrshare_refuses(
    pro: tuple[Harness, FakeAyrshare],
) -> None:
    h, fake = pro
    await h.say("/connect")
    (user,) = fake.profiles.values()
    fake.link(user.profile_key, "linkedin", "Ana Li")
    await h.say("/status")
    question = await h.say("/disconnect linkedin")
    del user.linked["linkedin"]  # unlinked at Ayrshare meanwhile: it answers with an error
    refused = await h.tap(question, "Yes, disconnect")
    assert refused.toast is not None and "unlinking the network" in refused.toast
    assert await _connected(h) == {LI}
