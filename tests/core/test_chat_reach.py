"""What a channel or group may reach: only the posts made in it, and in a linked channel none of
the profile's settings or numbers (SQL database)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.actions import Action
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network
from core.replies import Reply, mark
from core.states import PostState
from tests.core.harness import Harness
from tests.core.test_links import channel, code_for, in_channel, tap_in_channel

FB = Network.FACEBOOK
NOT_HERE = "There is no post #1 in this chat; /posts lists the ones here."
PRIVATE_CHAT = "Send the command to me in a private chat."


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


async def _linked_with_a_private_draft(h: Harness) -> None:
    """Ana's scheduled private post #1, and the news channel linked to her profile."""
    await h.connect(FB)
    await h.say("/post My private draft")
    assert (await h.say("/schedule tomorrow 9:00")).text.startswith("🕒 Scheduled")
    assert (await in_channel(h, f"/link {await code_for(h)}")).text.startswith("✅")


async def _post_1(h: Harness) -> PostState:
    async with h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None
    return post.state


async def test_a_linked_channel_cannot_reach_its_owners_private_posts(h: Harness) -> None:
    await _linked_with_a_private_draft(h)
    for typed in (
        "/cancel 1",
        "/delete 1",
        "/retry 1",
        "/retry 1 facebook",
        "/schedule #1 in 3h",
        "/stats 1",
        "/campaign 1 launch",
        "/hide 1",
    ):
        answer = await in_channel(h, typed)
        assert answer.text == NOT_HERE, typed
        assert "private draft" not in answer.text
    # Taps carry the owner's seal in a linked channel (it acts with her profile): a hand-made
    # one on post #1 is refused the same way.
    ana = await h.app.profile_for(h.actor())
    stamp = mark(ana.id, h.clock.now())
    for action in (Action.CANCEL, Action.DELETE, Action.DELETE_CONFIRMED, Action.OPEN):
        tapped = await h.app.handle_tap(channel(), f"{action.data(1)}~{stamp}", None)
        assert tapped.toast == NOT_HERE, action
    published = await h.app.handle_tap(channel(), f"{Action.PUBLISH.data(1)}~{stamp}", None)
    assert published.toast == NOT_HERE
    assert await _post_1(h) is PostState.SCHEDULED
    async with h.uow() as uow:
        assert (await uow.analytics.tags(1)).campaign is None

    # The channel's own posts are its to manage, and all of them stay the owner's.
    composer = await in_channel(h, "/post Channel news")
    question = await tap_in_channel(h, composer, "Discard")
    assert question.text == "Draft discarded."
    await in_channel(h, "/post Channel update")
    asked = await in_channel(h, "/delete 3")
    assert asked.text.startswith("Delete post #3 — “Channel update”?")
    listing = await in_channel(h, "/posts")
    assert "#1" not in listing.text and "#3" in listing.text
    # In her private chat, Ana reaches every post of hers, the channel's too.
    assert (await h.say("/delete 3")).text.startswith("Delete post #3")
    assert (await h.say("/cancel 1")).text.startswith("Cancelled.")


async def test_a_linked_channel_cannot_change_or_read_the_profile(h: Harness) -> None:
    await _linked_with_a_private_draft(h)
    for typed in (
        "/timezone Asia/Tokyo",
        "/timezone",
        "/status",
        "/stats",
        "/stats 30d",
        "/stats t1",
        "/report",
        "/report launch",
        "/track https://www.tiktok.com/@ana/video/7301234567890123456",
        "/hide t1",
        "/campaign t1 launch",
        "/digest here",
        "/digest off",
    ):
        answer = await in_channel(h, typed)
        assert answer.text.startswith("Not in a channel:"), typed
        assert answer.text.endswith(PRIVATE_CHAT), typed
    ana = await h.app.profile_for(h.actor())
    assert ana.timezone == "UTC"
    async with h.uow() as uow:
        assert await uow.analytics.items(ana.id, include_hidden=True) == []
        assert await uow.digests.for_profile(ana.id) == []
    # A hand-made connect or unlink tap with the owner's seal changes nothing either.
    stamp = mark(ana.id, h.clock.now())
    connect = await h.app.handle_tap(channel(), f"{Action.CONNECT.data('linkedin')}~{stamp}", None)
    assert connect.toast == "Connect your networks in a private chat with me."
    unlink = await h.app.handle_tap(channel(), f"{Action.UNLINK.data(1)}~{stamp}", None)
    assert unlink.toast is not None and unlink.toast.startswith("Only the profile's owner")
    ana = await h.app.profile_for(h.actor())
    assert Network.LINKEDIN not in ana.connected()
    assert (await h.app.profile_for(channel())).id == ana.id
    # Private chats are where they belong.
    assert (await h.say("/timezone Asia/Tokyo")).text.startswith("Time zone set to Asia/Tokyo")


async def in_group(h: Harness, text: str) -> Reply:
    """Ana in a group, where she posts with her own profile."""
    team = ChatRef(ChatPlatform.CONSOLE, "team", kind=ChatKind.SHARED)
    reply = await h.app.handle_text(
        Actor(Identity(ChatPlatform.CONSOLE, "ana"), team, "Ana"), text
    )
    assert reply is not None
    return reply


async def test_a_group_reaches_only_the_posts_made_in_it(h: Harness) -> None:
    await h.connect(FB)
    await h.say("/post My private draft")
    for typed in ("/delete 1", "/cancel 1", "/schedule #1 in 2h", "/stats 1", "/hide 1"):
        answer = await in_group(h, typed)
        assert answer.text == NOT_HERE, typed
    assert await _post_1(h) is PostState.DRAFT
    await in_group(h, "/post Team news")
    assert (await in_group(h, "/delete 2")).text.startswith("Delete post #2 — “Team news”?")
    assert (await h.say("/delete 2")).text.startswith("Delete post #2")


async def test_schedule_in_private_picks_a_draft_made_in_private(h: Harness) -> None:
    await h.connect(FB)
    await h.say("/post Made in private")
    assert "Made in the group" in (await in_group(h, "/post Made in the group")).text
    # Her latest post is the group's draft, but a /schedule in private is about private ones.
    scheduled = await h.say("/schedule in 1h")
    assert scheduled.text.startswith("🕒 Scheduled") and "Made in private" in scheduled.text
    async with h.uow() as uow:
        ours, theirs = await uow.posts.get(1), await uow.posts.get(2)
    assert ours is not None and ours.state is PostState.SCHEDULED
    assert theirs is not None and theirs.state is PostState.DRAFT
    # Again: its own latest post (#1, now scheduled) is re-timed, the group's draft left.
    moved = await h.say("/schedule in 3h")
    assert moved.text.startswith("Moved post #1")
    async with h.uow() as uow:
        theirs = await uow.posts.get(2)
    assert theirs is not None and theirs.state is PostState.DRAFT
    assert "Made in the group" in (await in_group(h, "/schedule in 1h")).text
