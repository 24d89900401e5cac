"""The author cancelling or deleting a post at the moment it is published, on the real database
against the fake Ayrshare: whoever wins, the bot's last words agree with what Ayrshare published.

Each race runs 20 times. The worker is woken by the tap, as the ticker is in production. Run `n`
starts the author's action at moment `n % 4` (with the tap; once the tap is answered, racing the
worker's claim; while the request is out at Ayrshare; after the outcome is recorded), `n // 4`
turns of the event loop later, so the runs land on both sides of every step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

import httpx
import pytest

from core.actions import Action
from core.model import MessageRef, Network, Profile, Route
from core.ports import Outcome, Publisher, PublishRequest, UnitOfWorkFactory
from core.replies import Reply, unseal
from core.states import PostState
from core.views import state_phrase
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import VIDEO, Crashing, World, ayrshare, chat_of

FB, LI = Network.FACEBOOK, Network.LINKEDIN
RUNS = range(20)
Tap = Callable[[], Awaitable[object]]


class Announcing(Crashing):
    """The Ayrshare publisher, telling the test when a publish request is on its way."""

    def __init__(self, inner: Publisher) -> None:
        super().__init__(inner)
        self.sending = asyncio.Event()

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        self.sending.set()
        return await super().publish(request)


@pytest.fixture
def publisher(fake: FakeAyrshare, http: httpx.AsyncClient) -> Announcing:
    return Announcing(ayrshare(fake, http))


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, publisher: Announcing
) -> World:
    return World(uow_factory, clock, {Route.AYRSHARE: publisher}, fake=fake)


class Chat:
    """Ana's chat as a chat adapter shows it: a tap's answer edits the tapped message (or is a
    toast), a typed command's answer is a new message. Keeps a transcript."""

    def __init__(self, world: World, user: str = "ana") -> None:
        self.world = world
        self.user = user
        self.log: list[str] = []

    async def say(self, text: str) -> tuple[Reply, MessageRef]:
        self.log.append(f"{self.user.title()}: {text}")
        reply = await self.world.say(self.user, text)
        assert reply is not None
        ref = await self.world.messenger.send(chat_of(self.user), reply)
        self.log.append(f"Bot: {_flat(reply.text)}")
        return reply, ref

    async def tap(self, data: str, message: MessageRef, label: str) -> Reply:
        self.log.append(f"{self.user.title()} taps [{label}]")
        reply = await self.world.tap(self.user, data, message)
        if reply.toast:
            self.log.append(f"Bot (toast): {reply.toast}")
        if reply.text:
            if reply.edit:
                await self.world.messenger.edit(message, reply)
            else:
                await self.world.messenger.send(chat_of(self.user), reply)
            self.log.append(f"Bot ({'edits that message' if reply.edit else 'new'}): ")
            self.log[-1] += _flat(reply.text)
        return reply

    def showing(self, message: MessageRef) -> Reply:
        shown = self.world.messenger.last(message)
        assert shown is not None
        return shown

    def transcript(self, progress: MessageRef, published: set[Network]) -> str:
        final = self.showing(progress)
        lines = [*self.log, f"Progress message: {_flat(final.text)}"]
        lines += [f"    {f.label}  {f.value}" for f in final.fields]
        lines.append(
            "Ayrshare published: " + (", ".join(sorted(n.label for n in published)) or "nothing")
        )
        return "\n".join(lines)


def _flat(text: str) -> str:
    return text.replace("\n", " / ")


async def _race(world: World, run: int, publish: Tap, act: Tap) -> None:
    """`publish` (a tap, then the worker's pass it wakes) against the author's `act`."""
    assert world.fake is not None
    publisher = world.publishers[Route.AYRSHARE]
    assert isinstance(publisher, Announcing)
    publisher.sending.clear()
    moment, turns = run % 4, run // 4
    held = world.fake.stall_next("/post") if moment == 2 else None
    tapped, done = asyncio.Event(), asyncio.Event()

    async def publishing() -> None:
        await publish()
        tapped.set()
        await world.pipeline.tick()
        done.set()

    async def author() -> None:
        if moment == 1:
            await tapped.wait()
        elif moment == 2:
            await publisher.sending.wait()  # Ayrshare holds its answer meanwhile
        elif moment == 3:
            await done.wait()
        for _ in range(turns):
            await asyncio.sleep(0)
        try:
            await act()
        finally:
            if held is not None:
                held.set()

    async with asyncio.timeout(30):
        await asyncio.gather(publishing(), author())


async def _settle(world: World, clock: FixedClock) -> None:
    """Long enough for every retry and lookup: nothing stays in between."""
    for _ in range(4):
        clock.advance(timedelta(minutes=5))
        await world.pipeline.run_until_idle()


def _published(world: World, profile: Profile) -> set[Network]:
    """Where the fake Ayrshare has the post live now (published and not deleted since)."""
    copies = world.published_copies(profile)
    assert all(count == 1 for count in copies.values()), copies  # never twice
    assert world.fake is not None
    key = profile.accounts[Route.AYRSHARE].key.value
    by_platform = {"facebook": FB, "linkedin": LI}
    return {
        by_platform[entry["platform"]]
        for record in world.fake.posts_for(key)
        if record["status"] != "deleted"
        for entry in record["postIds"]
        if entry.get("status", "success") == "success"
    }


def _shown(progress: Reply) -> dict[str, str]:
    return {f.label: f.value for f in progress.fields}


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # e.g. "LookupError: post 17 does not exist" from a lost outcome


async def _composed(world: World, chat: Chat, text: str) -> tuple[Profile, int, MessageRef]:
    ana = await world.profile("ana", [FB, LI])
    composer, ref = await chat.say(f"/post {text} media: {VIDEO}")
    action, _ = unseal(composer.buttons[-1][0].callback_data)
    post_id = int(action.partition(":")[2])
    return ana, post_id, ref


async def _cancel_racing(
    world: World,
    clock: FixedClock,
    chat: Chat,
    run: int,
    post: tuple[Profile, int, MessageRef],
    tap: Tap,
) -> tuple[Reply, set[Network], dict[str, str]]:
    """The author's /cancel against `tap`, once everything has settled: its answer, where
    Ayrshare has the post, and what the post's progress message shows."""
    profile, post_id, progress = post
    answers: list[Reply] = []

    async def cancel() -> None:
        answers.append((await chat.say(f"/cancel {post_id}"))[0])

    await _race(world, run, tap, cancel)
    await _settle(world, clock)
    published = _published(world, profile)
    print(f"\n--- /cancel racing, run {run}\n{chat.transcript(progress, published)}")
    [answer] = answers
    return answer, published, _shown(chat.showing(progress))


def _cancel_refusals(post_id: int, *states: str) -> tuple[str, ...]:
    """/cancel's answers when it lost the race: too early, too late, or while it went out."""
    return (
        *(
            f"Post #{post_id} is {state_phrase(PostState(state))}; "
            "only scheduled posts can be cancelled."
            for state in states
        ),
        f"Post #{post_id} is being published, so it can't be cancelled now; "
        "you can delete it from the networks once it is out.",
    )


@pytest.mark.parametrize("run", RUNS)
async def test_publish_now_racing_cancel(
    world: World, clock: FixedClock, run: int, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(world)
    post = _, post_id, composer = await _composed(world, chat, f"Race {run}")

    async def publish() -> None:
        await chat.tap(f"{Action.PUBLISH}:{post_id}", composer, "🚀 Publish now")

    answer, published, shown = await _cancel_racing(world, clock, chat, run, post, publish)
    if answer.text == f"Cancelled. Post #{post_id} is a draft again.":
        print("outcome: publish+cancel: cancelled")
        assert published == set()
        # The progress message says so too (it is not left "pending").
        assert shown == {"Facebook": "☐ not sent", "LinkedIn": "☐ not sent"}
    else:
        print("outcome: publish+cancel: refused")
        assert answer.text in _cancel_refusals(post_id, "draft", "published")
        assert published == {FB, LI}
        assert shown == {"Facebook": "✅ published", "LinkedIn": "✅ published"}
    _no_errors_logged(caplog)


@pytest.mark.parametrize("run", RUNS)
async def test_retry_racing_cancel(
    world: World,
    clock: FixedClock,
    fake: FakeAyrshare,
    run: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = Chat(world)
    post = _, post_id, progress_ref = await _composed(world, chat, f"Retry race {run}")
    fake.fail_platform("linkedin", 132, "Post text exceeds LinkedIn's limit.")
    await chat.tap(f"{Action.PUBLISH}:{post_id}", progress_ref, "🚀 Publish now")
    await world.pipeline.tick()
    assert "❌" in _shown(chat.showing(progress_ref))["LinkedIn"]
    del fake.platform_errors["linkedin"]

    async def retry() -> None:
        await chat.tap(f"{Action.RETRY}:{post_id}:linkedin", progress_ref, "🔁 Retry LinkedIn")

    answer, published, shown = await _cancel_racing(world, clock, chat, run, post, retry)
    assert shown["Facebook"] == "✅ published"
    if answer.text.startswith("Cancelled"):
        print("outcome: retry+cancel: cancelled")
        assert answer.text == (
            f"Cancelled: post #{post_id} won't be sent to LinkedIn. "
            "It stays published on Facebook."
        )
        assert published == {FB}
        assert shown["LinkedIn"] == "☐ not sent"
    else:
        print("outcome: retry+cancel: refused")
        assert answer.text in _cancel_refusals(post_id, "partial", "published")
        assert published == {FB, LI}
        assert shown["LinkedIn"] == "✅ published"
    _no_errors_logged(caplog)


@pytest.mark.parametrize("run", RUNS)
async def test_publish_now_racing_delete(
    world: World, clock: FixedClock, run: int, caplog: pytest.LogCaptureFixture
) -> None:
    chat = Chat(world)
    ana, post_id, composer = await _composed(world, chat, f"Delete race {run}")
    question, question_ref = await chat.say(f"/delete {post_id}")
    assert (
        unseal(question.buttons[0][0].callback_data)[0] == f"{Action.DELETE_CONFIRMED}:{post_id}"
    )
    answers: list[Reply] = []

    async def publish() -> None:
        await chat.tap(f"{Action.PUBLISH}:{post_id}", composer, "🚀 Publish now")

    async def delete() -> None:
        answers.append(
            await chat.tap(f"{Action.DELETE_CONFIRMED}:{post_id}", question_ref, "🗑 Yes, delete")
        )

    await _race(world, run, publish, delete)
    await _settle(world, clock)

    published = _published(world, ana)
    final = chat.showing(composer)
    print(f"\n--- publish now + yes delete, run {run}\n{chat.transcript(composer, published)}")
    [answer] = answers
    if answer.text == f"Post #{post_id} deleted.":
        print("outcome: publish+delete: deleted")
        assert published == set()
        async with world.uow() as uow:
            assert await uow.posts.get(post_id) is None
        # Its progress message (if Publish now made one) ends with the deletion, never
        # "pending" or "publishing" forever.
        assert final.text in (f"🗑 Post #{post_id} deleted.",) or final.text.startswith(
            "✍️ New post"
        )
        assert not any(mark in f.value for f in final.fields for mark in ("🕒", "⏳"))
    else:
        print("outcome: publish+delete: refused")
        assert answer.toast == (
            f"Post #{post_id} is being published; "
            "you can delete it from the networks once it is out."
        )
        assert published == {FB, LI}
        assert _shown(final) == {"Facebook": "✅ published", "LinkedIn": "✅ published"}
    _no_errors_logged(caplog)


async def test_cancel_and_delete_wait_while_a_retry_after_a_5xx_may_already_be_out(
    world: World, clock: FixedClock, fake: FakeAyrshare
) -> None:
    chat = Chat(world)
    ana, post_id, progress = await _composed(world, chat, "Gateway trouble")
    # Ayrshare publishes it, then its gateway answers 503: the automatic re-send is due.
    fake.fail_next("/post", status=503, body=b"<html>503</html>", process=True)
    await chat.tap(f"{Action.PUBLISH}:{post_id}", progress, "🚀 Publish now")
    await world.pipeline.tick()
    assert _published(world, ana) == {FB, LI}

    cancel, _ = await chat.say(f"/cancel {post_id}")
    assert cancel.text == (
        f"Post #{post_id} can't be cancelled: Facebook, LinkedIn gave no clear answer to its "
        "last try, so it may already be out. It is tried again shortly; you can delete it "
        "from the networks once it is out."
    )
    delete, _ = await chat.say(f"/delete {post_id}")
    assert delete.text == (
        f"Post #{post_id} is being published; you can delete it from the networks once it is out."
    )
    await _settle(world, clock)

    assert _shown(chat.showing(progress)) == {
        "Facebook": "✅ published",
        "LinkedIn": "✅ published",
    }
    assert _published(world, ana) == {FB, LI}
    assert world.posts_sent() == 2  # the re-send was refused as a duplicate and looked up
