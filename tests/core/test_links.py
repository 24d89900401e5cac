"""Linking a channel to a profile through Postroom, on the SQL database."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.channel_links import digest
from core.handlers import Actor
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network
from core.replies import CODE_END, CODE_START, Reply
from core.states import PostState
from tests.core.harness import Harness, find_button

FB = Network.FACEBOOK
CODE = re.compile(f"{CODE_START}/link ([A-Za-z0-9_-]{{16}}){CODE_END}")  # inline code


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


def channel(name: str = "news") -> Actor:
    """A channel posting as itself, as the Telegram adapter reports channel posts."""
    chat = ChatRef(ChatPlatform.CONSOLE, f"#{name}", kind=ChatKind.CHANNEL)
    return Actor(Identity(ChatPlatform.CONSOLE, f"#{name}"), chat, name.title())


async def in_channel(h: Harness, text: str, name: str = "news") -> Reply:
    reply = await h.app.handle_text(channel(name), text)
    assert reply is not None
    if reply.text:
        await h.messenger.send(channel(name).chat, reply)
    return reply


async def tap_in_channel(h: Harness, reply: Reply, label: str, name: str = "news") -> Reply:
    button = find_button(reply, label)
    return await h.app.handle_tap(channel(name), button.callback_data, h.message_of(reply))


async def code_for(h: Harness, user: str = "ana") -> str:
    reply = await h.say("/link", user)
    found = CODE.search(reply.text)
    assert found is not None, reply.text
    return found.group(1)


async def test_a_linked_channel_publishes_with_its_owners_networks(h: Harness) -> None:
    await h.connect(FB)
    before = await in_channel(h, "/post Before linking")
    assert "☐ Facebook" in str(before.buttons)  # the channel's own profile has nothing
    refused = await tap_in_channel(h, before, "Publish now")
    assert refused.toast == "Tick at least one network first."
    code = await code_for(h)
    linked = await in_channel(h, f"/link {code}")
    assert linked.text.startswith("✅ This channel is linked")
    composer = await in_channel(h, "/post Channel news")
    assert "☑ Facebook" in str(composer.buttons)
    assert (await tap_in_channel(h, composer, "Publish now")).toast == "Publishing…"
    await h.pipeline.run_until_idle()
    ana = await h.app.profile_for(h.actor())
    async with h.uow() as uow:
        post = await uow.posts.get(2)
    assert post is not None and post.state is PostState.PUBLISHED
    assert post.profile_id == ana.id and post.origin == channel().chat
    # Nothing leaks to another channel: it still has its own, unconnected profile.
    other = await in_channel(h, "/post Elsewhere", name="other")
    assert "☐ Facebook" in str(other.buttons)
    assert (await tap_in_channel(h, other, "Publish now", name="other")).toast == (
        "Tick at least one network first."
    )
    assert (await h.app.profile_for(channel("other"))).id not in (ana.id,)


async def test_link_codes_are_stored_hashed(h: Harness) -> None:
    code = await code_for(h)
    async with h.uow() as uow:
        assert await uow.links.code(code) is None
        stored = await uow.links.code(digest(code))
    assert stored is not None and stored.used_at is None
    assert stored.expires_at - stored.created_at == timedelta(minutes=10)


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("abc", "That is not a link code"),
        ("abcdefghijklmno!", "That is not a link code"),
        ("abcdefghijklmnop extra", "That is not a link code"),
        ("abcdefghijklmnop", "I don't know that code"),  # well-formed, never issued
    ],
)
async def test_malformed_and_unknown_codes_are_refused(
    h: Harness, typed: str, answer: str
) -> None:
    await h.connect(FB)
    await code_for(h)
    assert (await in_channel(h, f"/link {typed}")).text.startswith(answer)
    composer = await in_channel(h, "/post Still unlinked")
    assert "☐ Facebook" in str(composer.buttons)


async def test_a_used_code_links_once(h: Harness) -> None:
    await h.connect(FB)
    code = await code_for(h)
    await in_channel(h, f"/link {code}")
    again = await in_channel(h, f"/link {code}", name="other")
    assert again.text.startswith("That code was used already")
    assert "☐ Facebook" in str((await in_channel(h, "/post x", name="other")).buttons)
    # The owner's fresh code on the channel already linked to them changes nothing.
    same = await in_channel(h, f"/link {await code_for(h)}")
    assert same.text == "This channel is already linked to that profile."


async def test_an_expired_code_is_refused(h: Harness) -> None:
    await h.connect(FB)  # linked, the channel's composer would tick Ana's Facebook
    code = await code_for(h)
    h.clock.advance(timedelta(minutes=10))
    late = await in_channel(h, f"/link {code}")
    assert late.text.startswith("That code has expired; codes last 10 minutes.")
    composer = await in_channel(h, "/post Still unlinked")
    assert "☐ Facebook" in str(composer.buttons)


async def test_another_profiles_code_cannot_take_a_linked_channel(h: Harness) -> None:
    await h.connect(FB)
    await in_channel(h, f"/link {await code_for(h)}")
    bens = await code_for(h, "ben")
    taken = await in_channel(h, f"/link {bens}")
    assert taken.text.startswith("This channel is linked to another profile.")
    ana = await h.app.profile_for(h.actor())
    assert (await h.app.profile_for(channel())).id == ana.id
    # Ben's code was not spent on the refusal: it links a channel of his own.
    mine = await in_channel(h, f"/link {bens}", name="bens")
    assert mine.text.startswith("✅")


async def test_codes_belong_in_channels_only(h: Harness) -> None:
    code = await code_for(h)
    assert (await h.say(f"/link {code}")).text.startswith("Post that code in the channel")
    group = Actor(
        Identity(ChatPlatform.CONSOLE, "ana"),
        ChatRef(ChatPlatform.CONSOLE, "team", kind=ChatKind.SHARED),
        "Ana",
    )
    in_group = await h.app.handle_text(group, f"/link {code}")
    assert in_group is not None and in_group.text.startswith("Linking is for channels.")
    # The code is still good for a channel.
    assert (await in_channel(h, f"/link {code}")).text.startswith("✅")
    # A bare /link in a channel: the code is given in a private chat, one tap away.
    bare = await in_channel(h, "/link")
    assert [b.private for row in bare.buttons for b in row] == ["link", "connect"]


async def test_only_the_owner_unlinks(h: Harness) -> None:
    await h.connect(FB)
    await in_channel(h, f"/link {await code_for(h)}")
    assert (await in_channel(h, "/unlink")).text.startswith("Only the owner")
    assert (await h.say("/unlink", "ben")).text.startswith("No channel is linked")
    listing = await h.say("/unlink")
    assert "• News" in listing.text
    button = find_button(listing, "Unlink News")
    forged = await h.app.handle_tap(h.actor("ben"), button.callback_data, h.message_of(listing))
    assert forged.toast == "Only the author can do that."
    assert (await h.app.profile_for(channel())).id == (await h.app.profile_for(h.actor())).id
    done = await h.tap(listing, "Unlink News")
    assert done.edit and done.text.startswith("News is unlinked")
    assert (await h.tap(listing, "Unlink News")).toast == "That channel is no longer linked."
    # Back to its own profile: new posts have no networks; the linked time's posts stay Ana's.
    assert "☐ Facebook" in str((await in_channel(h, "/post After")).buttons)


async def test_one_code_posted_in_two_channels_at_once_links_one(h: Harness) -> None:
    code = await code_for(h)
    first, second = await asyncio.gather(
        h.app.handle_text(channel("one"), f"/link {code}"),
        h.app.handle_text(channel("two"), f"/link {code}"),
    )
    answers = sorted(r.text[:1] for r in (first, second) if r is not None)
    assert answers[0] != answers[1] and "✅" in answers
    ana = (await h.app.profile_for(h.actor())).id
    owners = [(await h.app.profile_for(channel(n))).id for n in ("one", "two")]
    assert owners.count(ana) == 1


async def test_start_link_gives_a_code(h: Harness) -> None:
    reply = await h.say("/start link")
    assert CODE.search(reply.text)
