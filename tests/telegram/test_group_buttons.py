"""Groups over the fake Bot API: every button answers only the member it was made for and only
for the post it was made for, and a group sees only the posts made in it (drafts from a private
chat stay private)."""

from __future__ import annotations

from datetime import timedelta

from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.telegram.messenger import chat_ref
from core.actions import Action
from core.handlers import Actor
from core.model import ChatPlatform, Identity
from core.states import PostState
from tests.fakes.telegram_api import transcript
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, TelegramDriver, User

NOT_YOURS = "Only the author can do that."
GROUP_ID = int(GROUP["id"])


async def _connect(tg: TelegramDriver, *labels: str) -> None:
    await tg.say("/connect")
    for label in labels:
        await tg.tap(label)


def _toast(world: World) -> str:
    return str(world.fake.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


async def _profile_id(world: World, user: User) -> int:
    who = Actor(Identity(ChatPlatform.TELEGRAM, str(user.id)), chat_ref(user.id))
    return (await world.postroom.profile_for(who)).id


async def test_page_buttons_answer_only_their_owner_and_list_only_the_groups_posts(
    world: World,
) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    await tg.say("/post Secret launch plans")  # a draft in Ana's private chat: #1
    for n in range(1, 7):
        await tg.say(f"/post Team update {n}", chat=GROUP)
    await tg.say("/posts", chat=GROUP)
    listing = tg.last(GROUP_ID)
    assert listing.text.startswith("Your posts (6 in this chat) — page 1 of 2")
    assert "Secret" not in listing.text
    before = listing.text

    for _ in range(2):  # Ben taps Ana's page button, twice
        await tg.tap("Next", user=BEN, message=listing)
        assert _toast(world) == NOT_YOURS
    assert (listing.text, listing.edits) == (before, 0)
    await tg.tap("Next", message=listing)
    assert "page 2 of 2" in listing.text and "Secret" not in listing.text
    await tg.tap_data(await world.sealed(f"{Action.PAGE}:x"), user=ANA, message=listing)
    assert _toast(world).startswith("I need a page number here, not 'x'")
    # Unsealed: an old message's button.
    await tg.tap_data(Action.PAGE.data(0), user=ANA, message=listing)
    assert "too old to use" in _toast(world)
    assert "page 2 of 2" in listing.text

    # /schedule in the group takes the group's newest draft, never the private one.
    await tg.say("/schedule in 1h", chat=GROUP)
    async with world.uow() as uow:
        private, newest = await uow.posts.get(1), await uow.posts.get(7)
    assert private is not None and private.state is PostState.DRAFT
    assert newest is not None and newest.state is PostState.SCHEDULED
    assert "Secret" not in tg.last(GROUP_ID).text

    await tg.say("/post Ben's own idea", user=BEN)  # Ben's draft, in his private chat
    await tg.say("/schedule in 1h", user=BEN, chat=GROUP)
    assert tg.last(GROUP_ID).text.startswith("No draft to schedule in this chat.")
    await tg.say("/posts", user=BEN, chat=GROUP)
    assert tg.last(GROUP_ID).text.startswith("No posts yet in this chat.")
    print("\n" + transcript(world.fake.log))


async def test_digest_buttons_in_a_group_answer_only_their_owner(
    make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory
) -> None:
    world = await make_world(uow=uow_factory)  # digest subscriptions live in the database
    tg = world.tg
    await tg.say("/digest", user=BEN, chat=GROUP)
    status = tg.last(GROUP_ID)
    sent = len(world.fake.chat_messages(GROUP_ID))
    for label in ("On here", "Now"):
        await tg.tap(label, user=ANA, message=status)
        assert _toast(world) == NOT_YOURS
    assert status.edits == 0 and len(world.fake.chat_messages(GROUP_ID)) == sent
    ana, ben = await _profile_id(world, ANA), await _profile_id(world, BEN)
    async with world.uow() as uow:
        assert await uow.digests.for_profile(ana) == []
        assert await uow.digests.for_profile(ben) == []

    await tg.tap("On here", user=BEN, message=status)
    assert status.text.startswith("📬 Digest on in this chat")
    await tg.say("/digest", user=BEN, chat=GROUP)
    status = tg.last(GROUP_ID)
    for label in ("Weekly", "Off"):
        await tg.tap(label, user=ANA, message=status)
        assert _toast(world) == NOT_YOURS
    assert status.edits == 0
    async with world.uow() as uow:
        (sub,) = await uow.digests.for_profile(ben)
        assert await uow.digests.for_profile(ana) == []
    assert sub.enabled and not sub.weekly
    await tg.tap("Weekly", user=BEN, message=status)
    assert "Mondays" in status.text
    print("\n" + transcript(world.fake.log))


async def test_an_old_cancel_button_never_cancels_the_next_post(world: World) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    await tg.say("/post First plan", chat=GROUP)
    await tg.tap("Schedule", chat_id=GROUP_ID)
    await tg.tap("In 1 h", chat_id=GROUP_ID)
    first = tg.showing("Cancel", GROUP_ID)
    old_cancel = next(b for b in first.buttons() if "Cancel" in str(b["text"]))
    await tg.tap("Cancel", message=first)
    assert first.text == "Cancelled. Post #1 is a draft again."
    await tg.tap("Delete", message=first)
    await tg.tap("Yes, delete", message=first)
    assert first.text == "Post #1 deleted."

    world.clock.advance(timedelta(minutes=1))
    await tg.say("/post Second plan", chat=GROUP)
    await tg.tap("Schedule", chat_id=GROUP_ID)
    await tg.tap("In 1 h", chat_id=GROUP_ID)
    second = tg.showing("Cancel", GROUP_ID)
    shown, edits = second.text, second.edits
    for _ in range(2):  # the deleted post's Cancel, as an old copy of the message shows it
        world.fake.note("Ana", "taps [✖ Cancel] on an old copy of the first message")
        await tg.tap_data(str(old_cancel["callback_data"]), user=ANA, message=first)
        # In a group, a post that is gone reads like one made elsewhere: neither is here.
        assert _toast(world) == "There is no post #1 in this chat; /posts lists the ones here."
    await tg.tap("Cancel", user=BEN, message=second)
    assert _toast(world) == NOT_YOURS
    assert (second.text, second.edits) == (shown, edits)
    async with world.uow() as uow:
        post = await uow.posts.get(2)
    assert post is not None and post.state is PostState.SCHEDULED  # not #1 again, not cancelled
    print("\n" + transcript(world.fake.log))
