"""The compose modal end to end through POST /slack/events: opened from /postroom post and
the message shortcut, errors on the field that caused them, one post per view."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.clock import FixedClock
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL
from tests.slack.installs import TWO


async def connect(system: System, *networks: str) -> None:
    """Ana links these networks from her DM (the sandbox connects on a tap)."""
    await system.slack.command("connect", channel=ANA.dm)
    links = system.fake.last(ANA.dm)
    for network in networks:
        await system.slack.tap(links, network)


async def posts(system: System) -> str:
    """Ana's /postroom posts, in her DM."""
    await system.slack.command("posts", channel=ANA.dm)
    return system.fake.last(ANA.dm).shown


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def options(view: dict[str, Any]) -> list[str]:
    return [o["text"]["text"] for o in inputs(view)["networks"]["options"]]


def context(view: dict[str, Any]) -> list[str]:
    return [e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]]


async def test_slash_modal_submission_progress_published(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook", "LinkedIn")
    await slack.command("post")
    view = slack.opened()
    assert view["callback_id"] == "postroom_compose"
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL}
    assert options(view) == ["Facebook", "LinkedIn"]  # only what can be ticked is offered
    assert [o["value"] for o in inputs(view)["networks"]["initial_options"]] == [
        "facebook",
        "linkedin",
    ]
    assert inputs(view)["when"]["type"] == "datetimepicker"
    # The others are shown with the reason, never as options.
    assert "🔒 Connect Instagram first: /connect" in context(view)
    assert len(context(view)) == 4

    answer = await slack.submit(view, text="Launch day! <@U0BOSS>", networks=["facebook"])
    assert answer.text == ""  # an empty 200: the modal closes
    progress = fake.last(CHANNEL)  # the progress message, in the channel it was opened from
    assert "Launch day! &lt;@U0BOSS&gt;" in progress.shown
    assert "1 of 1 published" in progress.shown
    assert progress.edits >= 1  # pending → … → published, edited in place
    assert "*Facebook*\n✅ published" in progress.shown
    assert len(fake.in_channel(CHANNEL)) == 1

    assert "Launch day!" in await posts(system)


async def test_field_errors_and_nothing_saved(system: System, clock: FixedClock) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook", "X")
    await slack.command("post")
    view = slack.opened()

    async def errors(**given: Any) -> dict[str, str]:
        answer = await slack.submit(view, **given)
        body = answer.json()
        assert body["response_action"] == "errors"
        return dict(body["errors"])

    found = await errors(text="a" * 600, networks=["x", "facebook"])
    assert found == {"text": "X allows 280 characters; this post has 600."}
    assert await errors(text="Hello", networks=[]) == {"networks": "Tick at least one network."}
    past = int(clock.now().timestamp()) - 60
    assert list(await errors(text="Hello", networks=["x"], when=past)) == ["when"]
    assert await errors(text=" \u200b ", networks=["x"]) == {"text": "Write something to post."}
    # A network not offered (forged), e.g. one not connected: refused on its field.
    assert list(await errors(text="Hello", networks=["linkedin"])) == ["networks"]
    assert fake.in_channel(CHANNEL) == []
    assert "Hello" not in await posts(system)

    # Fixed, it goes: the same view's next submission.
    await slack.submit(view, text="a" * 200, networks=["x"])
    assert "1 of 1 published" in fake.last(CHANNEL).shown


async def test_scheduled_from_the_modal(system: System, clock: FixedClock) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await slack.command("post")
    later = int(clock.now().timestamp()) + 3600
    await slack.submit(slack.opened(), text="Tomorrow's news", when=later)
    confirmation = fake.last(CHANNEL)
    assert confirmation.shown.startswith("🕒 Scheduled for")
    assert "To: Facebook" in confirmation.shown


async def test_a_view_submitted_twice_makes_one_post(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await slack.command("post")
    view = slack.opened()
    body = slack.submission_body(view, text="Only once", networks=["facebook"])
    again = slack.submission_body(view, text="Only once", networks=["facebook"])
    form = "application/x-www-form-urlencoded"
    first, second = await slack.post(body, form), await slack.post(again, form)
    assert first.status_code == second.status_code == 200
    assert len(fake.in_channel(CHANNEL)) == 1
    assert (await posts(system)).count("Only once") == 1


async def test_an_expired_or_reused_trigger_gets_a_clear_answer(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    now = [1000.0]
    fake.clock = lambda: now[0]
    body = slack.command_body("post")
    now[0] += 3.5  # the request took longer than Slack lets a trigger live
    await slack.post(body, "application/x-www-form-urlencoded")
    assert fake.views == {}
    assert slack.last_answer().startswith("The form could not open in time")

    # A trigger already exchanged (by another worker, say): views.open refuses it too.
    fake.clock = lambda: 2000.0
    body = slack.command_body("post")
    used = body.split("trigger_id=")[1].split("&")[0].replace("%2E", ".")
    client = system.service.messenger.client
    await client.views_open(trigger_id=used, view={"type": "modal", "blocks": []})
    await slack.post(body, "application/x-www-form-urlencoded")
    assert len(fake.views) == 1
    assert len(fake.called("views.open")) == 3
    assert slack.last_answer().startswith("The form could not open in time")
    assert list(fake.answers()).count(slack.last_answer()) == 2


async def test_the_message_shortcut_prefills_the_text(system: System) -> None:
    slack = system.slack
    await connect(system, "Facebook")
    await slack.shortcut("Ben wrote this & that", user=ANA)
    view = slack.opened()
    assert inputs(view)["text"]["initial_value"] == "Ben wrote this & that"
    assert json.loads(view["private_metadata"]) == {"channel": CHANNEL}
    await slack.submit(view)
    assert "Ben wrote this &amp; that" in system.fake.last(CHANNEL).shown


async def test_nothing_connected_answers_instead_of_an_empty_modal(system: System) -> None:
    await system.slack.command("post", user=BEN)
    assert system.fake.views == {}
    assert system.slack.last_answer().startswith("No network can take a post from you yet:")


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_many_workspaces_open_the_modal_with_that_workspaces_token(
    two: System,
) -> None:
    slack, fake = two.slack, two.fake
    await slack.command("connect", channel=ANA.dm, team=TWO)
    await slack.tap(fake.last(ANA.dm), "Facebook", team=TWO)
    await slack.command("post", team=TWO)
    assert fake.called("views.open")[-1].token == "xoxb-T0TWO-installed"
    assert "Facebook" in options(slack.opened())
