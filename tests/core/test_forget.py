"""/forget through Postroom on the SQL database: the question, Ayrshare first, bad taps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import cast

import pytest

from adapters.ayrshare import AyrshareClient, AyrsharePublisher
from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.sandbox import FailMode, SandboxPublisher
from core.actions import Action
from core.chat.entry import FORGOTTEN, NOT_YOURS
from core.chat.forget import IN_PRIVATE
from core.handlers import OOPS, Actor
from core.model import (
    AccountKey,
    ChatKind,
    ChatPlatform,
    ChatRef,
    Identity,
    Network,
    Profile,
    Route,
    Secret,
    Tier,
)
from core.ports import ProfileRepository, UnitOfWork
from core.replies import Button, Reply, seal
from core.telemetry import MeteredPublisher, NullTelemetry
from tests.core.harness import START, Harness, find_button
from tests.fakes.ayrshare_api import BASE_URL, FakeAyrshare
from tests.fakes.clock import FixedClock

FB, LI = Network.FACEBOOK, Network.LINKEDIN
API_KEY = "sk-test-forget"
YES = "Yes, delete everything"


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


async def stored(h: Harness, user: str = "ana") -> Profile | None:
    async with h.uow() as uow:
        return await uow.profiles.by_identity(h.actor(user).identity)


async def post_count(h: Harness, profile: Profile) -> int:
    async with h.uow() as uow:
        return (await uow.posts.list_for_profile(profile.id, offset=0, limit=1))[1]


def in_chat(user: str, kind: ChatKind) -> Actor:
    chat = ChatRef(ChatPlatform.CONSOLE, f"{kind.value}-1", kind=kind)
    return Actor(Identity(ChatPlatform.CONSOLE, user), chat, user)


async def test_forget_names_what_goes_then_deletes_it_all(h: Harness) -> None:
    await h.compose("Launch day", FB, LI)
    await h.say("/schedule tomorrow 9:00")
    await h.say("/post A draft")
    await h.connect(FB, user="bo")
    await h.say("/post Bo's own", user="bo")
    question = await h.say("/forget")
    assert question.text.startswith("Delete all your data? This cannot be undone.")
    assert "• 2 posts (1 scheduled: they will not go out)" in question.text
    assert "• your connected networks: Facebook, LinkedIn" in question.text
    assert "Posts already published stay on the networks." in question.text
    assert "Ayrshare" not in question.text  # the sandbox keeps no account at a provider
    assert find_button(question, "Keep my data").arg == "status"
    before = await stored(h)
    assert before is not None and await post_count(h, before) == 2  # asking deletes nothing

    done = await h.tap(question, YES)
    assert done.text.startswith("Done: your profile and everything Postroom kept")
    assert done.edit and done.buttons == ()  # the question becomes the answer
    assert await stored(h) is None
    async with h.uow() as uow:
        assert (await uow.posts.list_for_profile(before.id, offset=0, limit=5))[1] == 0
    bo = await stored(h, "bo")
    assert bo is not None and bo.connected() == {FB} and await post_count(h, bo) == 1

    # A new message starts afresh: a new profile, a number never used before, nothing in it.
    status = await h.say("/status")
    fresh = await stored(h)
    assert fresh is not None and fresh.id > bo.id and not fresh.connections
    assert any(f.label == "Scheduled posts" and f.value == "0" for f in status.fields)


async def test_a_repeated_tap_finds_the_data_gone_and_makes_no_profile(h: Harness) -> None:
    await h.say("/post Hello")
    question = await h.say("/forget")
    await h.tap(question, YES)
    again = await h.tap(question, YES)
    assert again.toast == FORGOTTEN
    assert await stored(h) is None  # tapping an old button does not make a profile
    await h.say("/start")  # a message does
    assert (await h.tap(question, YES)).toast == FORGOTTEN  # not the new profile's button


async def test_forget_refuses_foreign_stale_and_malformed_taps(h: Harness) -> None:
    await h.say("/post Hello")
    await h.say("/post Bo's", user="bo")
    question = await h.say("/forget")
    button = find_button(question, YES)
    foreign = await h.app.handle_tap(h.actor("bo"), button.callback_data, h.message_of(question))
    assert foreign.toast == NOT_YOURS
    assert await stored(h) is not None and await stored(h, "bo") is not None

    ana = await stored(h)
    assert ana is not None
    now = h.clock.now()
    for arg, answer in (
        ("soon", "This button is broken. Send /forget again."),
        ("", "This button is broken. Send /forget again."),
        ("²", "This button is broken. Send /forget again."),
        (str(int(now.timestamp()) // 60 + 10**6), "This button is broken. Send /forget again."),
    ):
        forged = seal(Reply("?", buttons=((Button("x", Action.FORGET, arg),),)), ana.id, now)
        data = forged.buttons[0][0].callback_data
        assert (await h.app.handle_tap(h.actor(), data, None)).toast == answer
    oversized = button.callback_data + "9" * 64
    assert (await h.app.handle_tap(h.actor(), oversized, None)).toast is not None
    assert await stored(h) is not None

    h.clock.advance(timedelta(minutes=11))
    stale = await h.tap(question, YES)
    assert stale.toast == "This question is too old; send /forget again."
    assert await stored(h) is not None and await post_count(h, ana) == 1


async def test_forget_takes_no_arguments(h: Harness) -> None:
    await h.say("/post Hello")
    reply = await h.say("/forget everything now")
    assert "with nothing after it" in reply.text and not reply.buttons
    assert await stored(h) is not None


async def test_forget_is_refused_in_groups_and_channels_with_a_way_to_the_private_chat(
    h: Harness,
) -> None:
    await h.say("/post Hello")
    for kind in (ChatKind.SHARED, ChatKind.CHANNEL):
        reply = await h.app.handle_text(in_chat("ana", kind), "/forget")
        assert reply is not None and reply.text == IN_PRIVATE
        (button,) = reply.buttons[0]
        assert button.private == "forget" and not button.taps
    # The deep link opens the private chat with the same question.
    question = await h.say("/start forget")
    assert question.text.startswith("Delete all your data?")
    # The private question's button, tapped in a group (forged), does nothing there.
    data = find_button(question, YES).callback_data
    tapped = await h.app.handle_tap(in_chat("ana", ChatKind.SHARED), data, None)
    assert tapped.toast == IN_PRIVATE
    assert await stored(h) is not None


async def test_forget_is_refused_while_a_post_may_be_going_out(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    h = Harness(uow=uow_factory, fail={FB: FailMode.TIMEOUT})
    question = await h.say("/forget")  # asked before anything is on its way
    composer = await h.compose("Now", FB)
    await h.tap(composer, "Publish now")
    await h.pipeline.tick()  # sent, the answer lost: it may be out
    refused = await h.say("/forget")
    assert "Post #1 is being published right now" in refused.text and not refused.buttons
    tapped = await h.tap(question, YES)
    assert tapped.toast is not None and "Post #1 is being published right now" in tapped.toast
    assert await stored(h) is not None


async def test_a_free_profile_without_ayrshare_is_deleted_here_only(
    uow_factory: SqlUnitOfWorkFactory, fake: FakeAyrshare, ayrshare: AyrsharePublisher
) -> None:
    clock = FixedClock(START)
    sandbox = SandboxPublisher(Route.INSTAGRAM_GRAPH, clock=clock)
    h = Harness(
        uow=uow_factory,
        tier=Tier.FREE,
        clock=clock,
        publishers={Route.AYRSHARE: ayrshare, Route.INSTAGRAM_GRAPH: sandbox},
    )
    await h.connect(Network.INSTAGRAM)
    async with h.uow() as uow:  # the token an Instagram Login connect stores
        profile = await uow.profiles.by_identity(h.actor().identity)
        assert profile is not None
        profile.accounts[Route.INSTAGRAM_GRAPH] = AccountKey("ig-1789", Secret("IGAAtoken"))
        await uow.profiles.save(profile)
        await uow.commit()
    question = await h.say("/forget")
    assert "Instagram" in question.text and "Ayrshare" not in question.text
    done = await h.tap(question, YES)
    assert done.text.startswith("Done:")
    assert fake.requests == []  # nothing to delete at Ayrshare
    assert await stored(h) is None
    await h.say("/start")
    fresh = await stored(h)
    assert fresh is not None and fresh.tier is Tier.FREE and not fresh.accounts


@pytest.fixture
def fake() -> FakeAyrshare:
    return FakeAyrshare(api_key=API_KEY)


@pytest.fixture
async def ayrshare(fake: FakeAyrshare) -> AsyncIterator[AyrsharePublisher]:
    async with fake.http_client() as http:
        client = AyrshareClient(http, base_url=BASE_URL + "/", api_key=API_KEY, timeout=5.0)
        yield AyrsharePublisher(
            client, jwt_domain="acme", private_key_pem="PEM", connect_redirect=None
        )


@pytest.fixture
def pro(uow_factory: SqlUnitOfWorkFactory, ayrshare: AyrsharePublisher) -> Harness:
    # Metered as bootstrap wires it: deleting the account reaches the inner publisher.
    metered = MeteredPublisher(ayrshare, NullTelemetry())
    return Harness(uow=uow_factory, publishers={Route.AYRSHARE: metered})


async def pro_user(h: Harness, fake: FakeAyrshare, user: str = "ana") -> str:
    """A Pro user with an Ayrshare profile and LinkedIn linked there; its profile key."""
    await h.say("/connect", user)
    profile = await stored(h, user)
    assert profile is not None
    key = profile.accounts[Route.AYRSHARE].key.value
    fake.link(key, "linkedin", f"{user} on LinkedIn")
    await h.say("/status", user)
    return key


async def test_pro_forget_deletes_the_ayrshare_profile_first(
    pro: Harness, fake: FakeAyrshare
) -> None:
    key = await pro_user(pro, fake)
    bo_key = await pro_user(pro, fake, "bo")
    question = await pro.say("/forget")
    assert "• your Ayrshare profile, with the accounts linked to it there" in question.text
    assert "LinkedIn" in question.text
    done = await pro.tap(question, YES)
    assert done.text.startswith("Done:")
    (deleted,) = fake.requests_to("DELETE", "/profiles")
    assert deleted.headers["profile-key"] == key
    assert set(fake.profiles) == {bo_key}
    assert await stored(pro) is None and await stored(pro, "bo") is not None


@pytest.mark.parametrize(
    "failure",
    ["server error", "refused", "unreachable"],
)
async def test_pro_forget_deletes_nothing_when_ayrshare_fails(
    pro: Harness, fake: FakeAyrshare, failure: str
) -> None:
    key = await pro_user(pro, fake)
    await pro.say("/post Hello")
    question = await pro.say("/forget")
    if failure == "server error":
        fake.fail_next("/profiles", method="DELETE", status=500, json_body={"status": "error"})
    elif failure == "refused":
        body = {"action": "request", "status": "error", "code": 999, "message": "Not allowed."}
        fake.fail_next("/profiles", method="DELETE", status=400, json_body=body)
    else:
        fake.refuse_connections()
    answer = await pro.tap(question, YES)
    assert answer.text.startswith("Your Ayrshare profile could not be deleted (")
    assert "nothing was deleted here either. Please try again in a minute." in answer.text
    if failure == "refused":
        assert "Not allowed" in answer.text
    profile = await stored(pro)
    assert profile is not None and profile.accounts[Route.AYRSHARE].key.value == key
    assert profile.connected() == {LI} and await post_count(pro, profile) == 1
    assert key in fake.profiles
    # The same button works once Ayrshare does.
    assert (await pro.tap(question, YES)).text.startswith("Done:")
    assert key not in fake.profiles and await stored(pro) is None


class _FailingDelete:
    """A profile repository whose deletion fails when told to: storage gone at the worst
    moment."""

    def __init__(self, inner: ProfileRepository, storage: _StorageFailsOnce) -> None:
        self._inner = inner
        self._storage = storage

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def delete(self, profile_id: int) -> None:
        if self._storage.fail:
            self._storage.fail = False
            raise ConnectionError("the database went away")
        await self._inner.delete(profile_id)


class _StorageFailsOnce:
    """Units of work over the test database; with `fail`, the next profile deletion fails."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self._inner = inner
        self.fail = False

    def __call__(self) -> UnitOfWork:
        uow: UnitOfWork = self._inner()
        uow.profiles = cast(ProfileRepository, _FailingDelete(uow.profiles, self))
        return uow


async def test_when_storage_fails_after_ayrshare_the_key_is_dropped_and_forget_works_again(
    uow_factory: SqlUnitOfWorkFactory, ayrshare: AyrsharePublisher, fake: FakeAyrshare
) -> None:
    storage = _StorageFailsOnce(uow_factory)
    h = Harness(uow=storage, publishers={Route.AYRSHARE: ayrshare})
    key = await pro_user(h, fake)
    await h.say("/post Hello")
    question = await h.say("/forget")
    storage.fail = True
    answer = await h.tap(question, YES)
    assert answer.text == (
        "Your Ayrshare profile is deleted, but deleting the rest here failed on our side. "
        "Please send /forget again in a minute."
    )
    assert key not in fake.profiles
    profile = await stored(h)
    assert profile is not None and Route.AYRSHARE not in profile.accounts  # key dropped
    assert await post_count(h, profile) == 1
    # Again: nothing left to ask Ayrshare (whose answer about a deleted profile is an error).
    assert (await h.tap(await h.say("/forget"), YES)).text.startswith("Done:")
    assert len(fake.requests_to("DELETE", "/profiles")) == 1 and await stored(h) is None


async def test_when_storage_fails_with_nothing_at_a_provider_nothing_is_deleted(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    storage = _StorageFailsOnce(uow_factory)
    h = Harness(uow=storage)
    await h.say("/post Hello")
    question = await h.say("/forget")
    storage.fail = True
    assert (await h.tap(question, YES)).toast == OOPS
    profile = await stored(h)
    assert profile is not None and await post_count(h, profile) == 1
