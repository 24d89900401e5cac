"""Two workers behind one Slack request URL on one database: a retried event and a view
submitted twice are each taken once, whichever worker gets them; the keys expire after a day."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.fakes.clock import FixedClock
from tests.fakes.slack_api import BOT_TOKEN, FakeSlackAPI
from tests.slack.conftest import System, base_values, running
from tests.slack.driver import ANA, CHANNEL, shown, signed
from tests.slack.test_modal import connect, posts
from tests.slack.test_requests import dm_event

JSON, FORM = "application/json", "application/x-www-form-urlencoded"


@pytest.fixture
async def workers(
    engine: AsyncEngine, db_url: str, tmp_path: Path, clock: FixedClock, fake_slack: FakeSlackAPI
) -> AsyncIterator[tuple[System, System]]:
    """Two bootstraps with the same settings (keys, database, Slack app), as two processes."""
    values = base_values(db_url, tmp_path, fake_slack) | {"slack_bot_token": BOT_TOKEN}
    async with (
        running(values | {"worker_id": "w1"}, clock, fake_slack) as one,
        running(values | {"worker_id": "w2"}, clock, fake_slack) as two,
    ):
        yield one, two


async def modal(system: System) -> dict[str, Any]:
    """Ana, Facebook connected, opens the compose modal; the view Slack shows her."""
    await connect(system, "Facebook")
    await system.slack.command("post")
    return system.slack.opened()


def retried(body: str) -> dict[str, str]:
    return {**signed(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


async def test_a_retried_event_reaching_another_worker_is_processed_once(
    workers: tuple[System, System],
) -> None:
    one, two = workers
    body = dm_event("/post Launch day!", "Ev0TWOWORKERS")
    assert (await one.slack.post(body, JSON)).status_code == 200
    assert (await two.slack.post(body, JSON, headers=retried(body))).status_code == 200
    (composer,) = one.fake.in_channel(ANA.dm)
    assert composer.shown.startswith("✍️ New post")

    # Both at once (Slack gave up on the first before it was acked): still once.
    body = dm_event("/post Second", "Ev0BOTHATONCE")
    await asyncio.gather(one.slack.post(body, JSON), two.slack.post(body, JSON, retried(body)))
    assert [m.shown.count("Second") for m in one.fake.in_channel(ANA.dm)] == [0, 1]


async def test_a_repeated_slash_command_on_another_worker_is_processed_once(
    workers: tuple[System, System],
) -> None:
    one, two = workers
    body = one.slack.command_body("post Launch day!")  # the same trigger_id twice
    await one.slack.post(body, FORM)
    await two.slack.post(body, FORM)
    assert len(one.fake.in_channel(CHANNEL)) == 1


async def test_a_view_submitted_to_two_workers_makes_one_post(
    workers: tuple[System, System],
) -> None:
    one, two = workers
    view = await modal(one)
    first = await one.slack.submit(view, text="Only once", networks=["facebook"])
    again = await two.slack.submit(view, text="Only once", networks=["facebook"])
    assert first.text == again.text == ""  # both close the modal
    assert len(one.fake.in_channel(CHANNEL)) == 1
    assert (await posts(two)).count("Only once") == 1

    # At the same moment, to both: one post.
    await one.slack.command("post")
    view = one.slack.opened()
    bodies = [s.slack.submission_body(view, text="Racing", networks=["facebook"]) for s in workers]
    await asyncio.gather(one.slack.post(bodies[0], FORM), two.slack.post(bodies[1], FORM))
    assert (await posts(one)).count("Racing") == 1


async def test_a_view_refused_by_one_worker_is_fixed_on_another(
    workers: tuple[System, System],
) -> None:
    one, two = workers
    view = await modal(one)
    refused = await one.slack.submit(view, text="Fixed later", networks=[])
    assert refused.json()["response_action"] == "errors"  # nothing recorded: it may come again
    await two.slack.submit(view, text="Fixed later", networks=["facebook"])
    await one.slack.submit(view, text="Fixed later", networks=["facebook"])
    assert (await posts(one)).count("Fixed later") == 1


async def test_delivery_keys_expire_after_a_day(
    workers: tuple[System, System], clock: FixedClock
) -> None:
    one, two = workers
    body = dm_event("/post Day one", "Ev0DAYOLD")
    await one.slack.post(body, JSON)
    await two.slack.post(body, JSON, headers=retried(body))
    assert len(one.fake.in_channel(ANA.dm)) == 1
    clock.advance(timedelta(hours=25))
    await one.slack.post(dm_event("hello", "Ev0NEXTDAY"), JSON)  # its record prunes old keys
    await two.slack.post(body, JSON)  # a day later the id is forgotten: taken as new
    assert [m.shown.count("Day one") for m in one.fake.in_channel(ANA.dm)] == [1, 0, 1]


async def test_an_outcome_on_another_worker_republishes_the_home(
    workers: tuple[System, System], clock: FixedClock
) -> None:
    one, two = workers
    view = await modal(one)
    later = int(clock.now().timestamp()) + 60
    await one.slack.submit(view, text="Sent by the other", when=later)
    await one.slack.home_opened()  # published by worker one
    clock.advance(timedelta(minutes=2))
    await two.services.pipeline.run_until_idle()  # worker two's scheduler publishes it
    await two.service.chat.drain()
    home = one.fake.homes[ANA.id]
    assert "1 of 1 published · “Sent by the other”" in shown(home)
    assert "Nothing scheduled." in shown(home)
