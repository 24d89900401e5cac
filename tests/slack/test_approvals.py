"""Approvals in a Slack channel through POST /slack/events and the fake Slack Web API, on the
test database: a team of three — Ana (workspace admin, the approver), Ben (editor), Cal
(viewer)."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from core.actions import Action
from core.model import ChatPlatform, ChatRef, Connection, ConnectionStatus, Network
from core.replies import mark
from core.states import PostState
from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import TEAM, Posted
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL, User

CAL = User("U0CAL", "cal")
FB = Network.FACEBOOK


@pytest.fixture
async def crew(system: System) -> System:
    slack, fake = system.slack, system.fake
    fake.admins.add(ANA.id)
    await slack.command("team create Launch crew")
    await slack.command("team", user=BEN)
    await slack.command("team", user=CAL)
    await slack.command("team role @ben editor")
    assert slack.last_answer() == "@ben is now editor of Launch crew."
    async with system.services.uow() as uow:
        profile = await uow.profiles.get(await _team_profile(system))
        assert profile is not None
        profile.connections[FB] = Connection(FB, ConnectionStatus.CONNECTED, "Crew page")
        await uow.profiles.save(profile)
        await uow.commit()
    await slack.command("approvals on")
    assert slack.last_answer().startswith("Approvals are on for Launch crew")
    return system


async def _team_profile(system: System) -> int:
    async with system.services.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.SLACK, CHANNEL, TEAM))
    assert team is not None
    return team.profile_id


async def _state(system: System, post_id: int) -> PostState:
    async with system.services.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post.state


async def _submit(system: System, text: str) -> tuple[Posted, Posted]:
    slack, fake = system.slack, system.fake
    await slack.command(f"post {text}", user=BEN)
    composer = fake.last(CHANNEL)
    await slack.tap(composer, "Publish now", user=BEN)
    card = fake.last(CHANNEL)
    assert card is not composer and "Approval needed" in card.shown
    return composer, card


def _forged(card: Posted, label: str, value: str) -> Posted:
    """The card as a modified client would send it: the button carrying `value`."""
    forged = copy.deepcopy(card)
    forged.button(label)["value"] = value
    return forged


async def test_round_trip_with_changes_a_note_and_a_non_approver(crew: System) -> None:
    system, slack, fake = crew, crew.slack, crew.fake
    composer, card = await _submit(system, "Launch day!")
    assert "Awaiting approval" in composer.shown
    assert "post #1 by ben" in card.shown and "Facebook 11/63,206" in card.shown
    before = copy.deepcopy(card.blocks)
    first = card.button("Approve")["value"]

    await slack.tap(card, "Approve", user=CAL)
    assert (
        slack.last_answer() == "You are a viewer of Launch crew: only an admin can approve posts."
    )
    assert card.blocks == before and card.edits == 0

    await slack.tap(card, "Request changes")
    assert "what should change?" in card.shown and card.buttons == []
    await slack.command("note 1 Name the app in the first line")
    assert "Name the app in the first line" in composer.shown  # the author's message
    assert await _state(system, 1) is PostState.DRAFT

    await slack.command("posts", user=BEN)
    listing = fake.last(CHANNEL)  # it has buttons: in the channel, edited as tapped
    await slack.tap(listing, "Open #1", user=BEN)
    assert "changes requested by ana: “Name the app in the first line”" in listing.shown
    await slack.tap(listing, "Edit", user=BEN)
    await slack.tap(listing, "Publish now", user=BEN)
    second = fake.last(CHANNEL)
    assert second is not card and "(round 2)" in second.shown

    await slack.tap(_forged(second, "Approve", first), "Approve")
    assert slack.last_answer().startswith("This card is out of date: post #1 was changed")
    stale_view = copy.deepcopy(second)  # as a second client still shows it
    await slack.tap(second, "Approve")
    assert await _state(system, 1) is PostState.PUBLISHED
    # The message Ben published from is the post's progress message now.
    assert "1 of 1 published" in listing.shown
    await slack.tap(stale_view, "Approve")
    assert slack.last_answer() == "Already decided: post #1 was approved."


async def test_reject_and_expiry(crew: System, clock: FixedClock) -> None:
    system, slack, fake = crew, crew.slack, crew.fake
    composer, card = await _submit(system, "Too early")
    await slack.tap(card, "Reject")
    assert "Rejected by ana" in composer.shown and card.buttons == []
    assert await _state(system, 1) is PostState.DRAFT

    await slack.command("post Tonight", user=BEN)
    later = fake.last(CHANNEL)
    await slack.tap(later, "Schedule", user=BEN)
    await slack.tap(later, "In 1 h", user=BEN)
    card2 = fake.last(CHANNEL)
    assert "Scheduled for" in card2.shown
    clock.advance(timedelta(minutes=61))
    assert system.services.approvals is not None
    assert await system.services.approvals.run() == 1
    assert "Not approved before its time" in card2.shown and card2.buttons == []
    assert await _state(system, 2) is PostState.DRAFT


@pytest.mark.parametrize(
    ("body", "answer"),
    [
        (f"{Action.APPROVE.value}:1", "This approval button is broken."),
        (f"{Action.APPROVE.value}:1:9", "This card does not match any approval round"),
        (f"{Action.APPROVE.value}:1:{'1' * 60}", "This button is broken."),
    ],
)
async def test_malformed_and_oversized_button_data(crew: System, body: str, answer: str) -> None:
    system, slack = crew, crew.slack
    _, card = await _submit(system, "Launch day!")
    data = f"{body}~{mark(await _team_profile(system), system.services.clock.now())}"
    await slack.tap(_forged(card, "Approve", data), "Approve")
    assert slack.last_answer().startswith(answer), slack.last_answer()
    assert card.edits == 0 and await _state(system, 1) is PostState.AWAITING_APPROVAL
