"""Refusals read as English and say why: counted nouns, "a draft", and the reason a typed
date or time is not in the calendar (SQL database)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from core.model import Network, Tier
from core.policy import Policy
from tests.core.harness import Harness

FB = Network.FACEBOOK


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory)


async def test_limits_of_one_are_counted_in_the_singular(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    policy = Policy.default().with_limits(Tier.PRO, max_scheduled=1)
    h = Harness(uow=uow_factory, policy=policy)
    await h.compose("One", FB)
    assert (await h.say("/schedule in 1h")).text.startswith("🕒 Scheduled")
    await h.say("/post Two")
    refused = await h.say("/schedule #2 in 2h")
    assert refused.text == (
        "You already have 1 scheduled post; the Pro limit is 1. Publish or /cancel one first."
    )


async def test_a_monthly_limit_of_one_is_counted_in_the_singular(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    policy = Policy.default().with_limits(Tier.PRO, posts_per_month=1)
    h = Harness(uow=uow_factory, policy=policy)
    first = await h.compose("One", FB)
    assert (await h.tap(first, "Publish now")).toast == "Publishing…"
    await h.pipeline.run_until_idle()
    monthly = await h.tap(await h.say("/post Two"), "Publish now")
    assert monthly.toast == (
        "You have used your 1 post of this month on Pro. The count resets on the 1st."
    )


async def test_cancelling_a_draft_says_it_is_a_draft(h: Harness) -> None:
    await h.compose("Not scheduled", FB)
    assert (await h.say("/cancel 1")).text == (
        "Post #1 is a draft; only scheduled posts can be cancelled."
    )


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("2027-02-29 10:00", "2027 has no 29 February (it is not a leap year)"),
        ("2027-04-31 10:00", "April has 30 days, so there is no 31 April"),
        ("2027-13-01 10:00", "there is no month 13; months go from 01 to 12"),
        ("tomorrow 24:00", "hours go up to 23 (midnight is 00:00)"),
        ("today 18:75", "minutes go up to 59"),
        ("2026-12-01 13pm", "with pm the hour is 1 to 12"),
        ("24:00", "hours go up to 23 (midnight is 00:00)"),
    ],
)
async def test_a_time_not_in_the_calendar_is_refused_with_the_reason(
    h: Harness, typed: str, why: str
) -> None:
    await h.compose("When?", FB)
    assert (await h.say(f"/schedule {typed}")).text == f"“{typed}” can't be a time: {why}."
    assert (await h.say("/digest time 24:00")).text == (
        "'24:00' can't be a time: hours go up to 23 (midnight is 00:00)."
    )


async def test_a_bad_post_number_shows_the_command_that_was_typed(h: Harness) -> None:
    await h.compose("Mine", FB)
    for typed, example in (
        ("/draft abc", "(e.g. /draft 12)"),
        ("/delete abc", "(e.g. /delete 12)"),
        ("/retry abc", "(e.g. /retry 12)"),
        ("/cancel abc", "(e.g. /cancel 12)"),
    ):
        text = (await h.say(typed)).text
        assert text == f"I need a post number here, not 'abc' {example}.", (typed, text)


async def test_a_post_that_is_not_there_is_worded_neutrally(h: Harness) -> None:
    # Never made (ids are not reused, so it may also have been deleted): not "no longer".
    for typed in ("/draft 999", "/edit #999 Hi", "/version 999 x Hi", "/cancel 999"):
        said = (await h.say(typed)).text
        assert said == "There is no post #999 (it may have been deleted).", (typed, said)
