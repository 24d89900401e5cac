"""Approvals in a Telegram group over the fake Bot API, on SQL (SQLite, or PostgreSQL with
POSTROOM_TEST_DATABASE): a team of three — Ana (group admin, the approver), Ben (editor), Cal
(viewer) — with the round trip, refusals, stale cards, expiry and broken button data."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.actions import Action
from core.model import ChatPlatform, ChatRef, Connection, ConnectionStatus, Network
from core.replies import mark
from core.states import PostState
from tests.fakes.telegram_api import FakeMessage
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, User

CAL = User(3333333, "Cal", "cal_c")
DAN = User(4444444, "Dan", "dan_d")
GROUP_ID = int(GROUP["id"])
FB = Network.FACEBOOK


@pytest.fixture
async def crew(make_world: MakeWorld, uow_factory: SqlUnitOfWorkFactory) -> World:
    """The team of three in the group, Facebook connected, approvals on."""
    world = await make_world(uow=uow_factory)
    tg = world.tg
    world.fake.admins.add((GROUP_ID, ANA.id))
    await tg.say("/team create Launch crew", chat=GROUP)
    await tg.say("/team", user=BEN, chat=GROUP)
    await tg.say("/team", user=CAL, chat=GROUP)
    await tg.say("/team role @ben_b editor", chat=GROUP)
    assert tg.last(GROUP_ID).text == "@ben_b is now editor of Launch crew."
    team_profile = await _team_profile(world)
    async with world.uow() as uow:
        profile = await uow.profiles.get(team_profile)
        assert profile is not None
        profile.connections[FB] = Connection(FB, ConnectionStatus.CONNECTED, "Crew page")
        await uow.profiles.save(profile)
        await uow.commit()
    await tg.say("/approvals on", chat=GROUP)
    assert tg.last(GROUP_ID).text.startswith("Approvals are on for Launch crew")
    return world


async def _team_profile(world: World) -> int:
    async with world.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.TELEGRAM, str(GROUP_ID)))
    assert team is not None
    return team.profile_id


def _toast(world: World) -> str:
    return str(world.fake.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


def _data(message: FakeMessage, label: str) -> str:
    return next(str(b["callback_data"]) for b in message.buttons() if label in str(b["text"]))


async def _state(world: World, post_id: int) -> PostState:
    async with world.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.state


async def _submit(world: World, text: str, user: User = BEN) -> tuple[FakeMessage, FakeMessage]:
    """`user` composes in the group and taps Publish now: (their progress message, the card)."""
    tg = world.tg
    await tg.say(f"/post {text}", user=user, chat=GROUP)
    composer = tg.last(GROUP_ID)
    await tg.tap("Publish now", user=user, message=composer)
    assert _toast(world) == "Sent for approval"
    card = tg.showing("Approve", GROUP_ID)
    assert card is not composer
    return composer, card


async def _reply(world: World, text: str, to: FakeMessage, user: User = ANA) -> None:
    """`user` answers `to` with Telegram's reply (what privacy mode lets through in groups)."""
    update = world.tg.message_update("start", user=user, chat=GROUP)
    update["message"] |= {
        "text": text,
        "entities": [],
        "reply_to_message": world.fake.message_json(to),
    }
    world.fake.note(user.first_name, f"(replying) {text}")
    await world.tg.deliver(update)


async def test_round_trip_refusals_and_a_repeated_tap(crew: World) -> None:
    world, tg = crew, crew.tg
    composer, card = await _submit(world, "Launch day!")
    assert composer.text.startswith("⏸ Awaiting approval — “Launch day!”")
    assert card.text.startswith("🗳 Approval needed: post #1 by Ben\n")
    assert "— Facebook 11/63,206 —\nLaunch day!" in card.text
    assert "Approvers: @ana_posts" in card.text
    approve = _data(card, "Approve")

    for user, role in ((CAL, "a viewer"), (BEN, "an editor")):
        await tg.tap("Approve", user=user, message=card)
        assert _toast(world) == f"You are {role} of Launch crew: only an admin can approve posts."
    assert card.edits == 0 and await _state(world, 1) is PostState.AWAITING_APPROVAL

    await tg.tap("Approve", user=ANA, message=card)
    assert _toast(world) == "Approved"
    assert "✅ Approved by Ana: publishing now." in card.text and card.buttons() == []
    # The wake after the tap ran the pipeline: the author's message shows it went out.
    assert await _state(world, 1) is PostState.PUBLISHED
    assert "1 of 1 published" in composer.text

    edits = card.edits
    await tg.tap_data(approve, user=ANA, message=card)  # a second tap (an old client)
    assert _toast(world) == "Already decided: post #1 was approved."
    assert card.edits == edits


async def test_changes_noted_by_a_reply_then_a_new_round_then_approved(crew: World) -> None:
    world, tg = crew, crew.tg
    composer, card = await _submit(world, "Launch day! Link in bio")
    first = _data(card, "Approve")
    await tg.tap("Request changes", user=ANA, message=card)
    assert _toast(world) == "Changes requested: now send the note"
    assert "Ana: what should change?" in card.text
    await _reply(world, "Say which app, please", to=card)
    assert tg.last(GROUP_ID).text.startswith("📝 Noted for post #1")
    assert "“Say which app, please”" in composer.text
    assert await _state(world, 1) is PostState.DRAFT
    said = len(world.fake.chat_messages(GROUP_ID))
    await _reply(world, "and thanks", to=card)  # the note was taken: chatter again
    assert len(world.fake.chat_messages(GROUP_ID)) == said

    await tg.say("/posts", user=BEN, chat=GROUP)
    await tg.tap("Open #1", user=BEN, chat_id=GROUP_ID)
    detail = tg.last(GROUP_ID)
    assert "changes requested by Ana: “Say which app, please”" in detail.text
    await tg.tap("Edit", user=BEN, message=detail)
    await tg.tap("Publish now", user=BEN, message=detail)  # the composer, opened in place
    second = tg.showing("Approve", GROUP_ID)
    assert second is not card and "(round 2)" in second.text.splitlines()[0]

    await tg.tap_data(first, user=ANA, message=card)
    assert _toast(world) == (
        "This card is out of date: post #1 was changed and sent again. Decide on the newest card."
    )
    await tg.tap("Approve", user=ANA, message=second)
    assert await _state(world, 1) is PostState.PUBLISHED


async def test_reject_and_the_decisions_in_the_post_detail(crew: World) -> None:
    world, tg = crew, crew.tg
    composer, card = await _submit(world, "Too early")
    await tg.tap("Reject", user=ANA, message=card)
    assert "✖ Rejected by Ana. It stays a draft and is not sent." in composer.text
    await tg.say("/posts", chat=GROUP)
    await tg.tap("Open #1", chat_id=GROUP_ID)
    detail = tg.last(GROUP_ID).text
    assert "sent for approval by Ben" in detail and "✖ rejected by Ana" in detail
    assert await _state(world, 1) is PostState.DRAFT


async def test_no_self_approval(crew: World) -> None:
    world, tg = crew, crew.tg
    await tg.say("/approvals on no-self-approval", chat=GROUP)
    world.fake.admins.add((GROUP_ID, DAN.id))
    await tg.say("/team", user=DAN, chat=GROUP)  # a group admin: a team admin
    _, card = await _submit(world, "Ana's own", user=ANA)
    await tg.tap("Approve", user=ANA, message=card)
    assert _toast(world).startswith("This team has no self-approval")
    assert await _state(world, 1) is PostState.AWAITING_APPROVAL
    await tg.tap("Approve", user=DAN, message=card)
    assert await _state(world, 1) is PostState.PUBLISHED


async def test_cards_go_stale_when_the_post_is_withdrawn_or_deleted(crew: World) -> None:
    world, tg = crew, crew.tg
    _, card = await _submit(world, "First")
    approve = _data(card, "Approve")
    await tg.say("/cancel 1", user=BEN, chat=GROUP)
    assert tg.last(GROUP_ID).text.startswith("Withdrawn: post #1 is a draft again")
    assert "Withdrawn by its author" in card.text and card.buttons() == []
    await tg.tap_data(approve, user=ANA, message=card)
    assert _toast(world) == "Already decided: post #1 was withdrawn by its author."

    _, card2 = await _submit(world, "Second")
    approve2 = _data(card2, "Approve")
    await tg.say("/delete 2", user=BEN, chat=GROUP)
    await tg.tap("Yes, delete", user=BEN, chat_id=GROUP_ID)
    assert "🗑 Deleted by its author." in card2.text and card2.buttons() == []
    await tg.tap_data(approve2, user=ANA, message=card2)
    assert _toast(world) == "There is no post #2 (it may have been deleted)."


async def test_an_approval_expires_when_its_time_passes(crew: World) -> None:
    world, tg = crew, crew.tg
    await tg.say("/post Tonight at eight", user=BEN, chat=GROUP)
    composer = tg.last(GROUP_ID)
    await tg.tap("Schedule", user=BEN, message=composer)
    await tg.tap("In 1 h", user=BEN, message=composer)
    card = tg.showing("Approve", GROUP_ID)
    assert "Scheduled for" in card.text.splitlines()[1]
    world.clock.advance(timedelta(minutes=61))
    assert world.services.approvals is not None
    assert await world.services.approvals.run() == 1
    assert "⌛ Not approved before its time: held as a draft." in card.text
    assert "⌛ Not approved before its time" in composer.text
    notice = tg.last(GROUP_ID)
    assert notice.text.startswith("⌛ Post #1:") and notice is not composer
    assert await _state(world, 1) is PostState.DRAFT
    await world.pipeline.run_until_idle()
    assert await _state(world, 1) is PostState.DRAFT  # held: never sent late


@pytest.mark.parametrize(
    ("body", "toast"),
    [
        (f"{Action.APPROVE.value}:1", "This approval button is broken."),
        (f"{Action.REJECT.value}:1:zz", "This approval button is broken."),
        (f"{Action.APPROVE.value}:1:7", "This card does not match any approval round"),
        (f"{Action.APPROVE.value}:1:{'1' * 60}", "This button is broken."),  # over 64 bytes
    ],
)
async def test_malformed_and_oversized_button_data(crew: World, body: str, toast: str) -> None:
    world, tg = crew, crew.tg
    _, card = await _submit(world, "Launch day!")
    data = f"{body}~{mark(await _team_profile(world), world.clock.now())}"
    await tg.tap_data(data, user=ANA, message=card)
    assert _toast(world).startswith(toast), _toast(world)
    assert card.edits == 0 and await _state(world, 1) is PostState.AWAITING_APPROVAL
