"""App Home end to end: published on app_home_opened, its buttons acting through core as
the user who taps them, republished after each action."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.fakes.clock import FixedClock
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL, shown
from tests.slack.test_modal import connect


async def schedule(system: System, clock: FixedClock, text: str) -> None:
    await system.slack.command("post")
    later = int(clock.now().timestamp()) + 3600
    await system.slack.submit(system.slack.opened(), text=text, when=later)


async def test_home_shows_connections_upcoming_results_and_new_post(
    system: System, clock: FixedClock
) -> None:
    slack, fake = system.slack, system.fake
    home = await slack.home_opened()
    assert fake.called("views.publish")[-1].args["user_id"] == ANA.id
    assert "Nothing connected yet." in shown(home)
    assert "Nothing scheduled." in shown(home) and "None yet." in shown(home)

    await connect(system, "Facebook")
    await schedule(system, clock, "Later news")
    await slack.command("post")
    await slack.submit(slack.opened(), text="Now news", networks=["facebook"])
    home = await slack.home_opened()
    text = shown(home)
    assert "Connected: Facebook" in text
    assert "Later news" in text.split("*Upcoming*")[1].split("*Last results*")[0]
    assert "1 of 1 published · “Now news”" in text
    assert len(home["blocks"]) <= 100

    # New post from Home: the modal opens; its post is made in Ana's DM.
    await slack.home_tap(home, "New post")
    assert '"channel": "D0ANA"' in slack.opened()["private_metadata"]


async def test_cancel_from_home_and_republish(system: System, clock: FixedClock) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await schedule(system, clock, "Cancel me")
    home = await slack.home_opened()
    published = len(fake.called("views.publish"))
    await slack.home_tap(home, "Cancel #")
    assert len(fake.called("views.publish")) == published + 1  # republished after the action
    home = fake.homes[ANA.id]
    assert "Nothing scheduled." in shown(home)
    assert "cancelled" in shown(home).lower()


async def test_another_users_cancel_button_is_refused(system: System, clock: FixedClock) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await schedule(system, clock, "Ana's post")
    anas = await slack.home_opened()
    await slack.home_tap(anas, "Cancel #", user=BEN)  # Ana's sealed button, tapped by Ben
    assert "Only the author can do that." in shown(fake.homes[BEN.id])
    assert "Ana's post" in shown(await slack.home_opened())  # still scheduled
    assert fake.in_channel(CHANNEL)[-1].shown.startswith("🕒 Scheduled for")


async def test_connect_links_from_home_are_shown_in_home(system: System) -> None:
    slack, fake = system.slack, system.fake
    home = await slack.home_opened()
    await slack.home_tap(home, "Connect networks")
    home = fake.homes[ANA.id]
    assert "Connect your accounts" in shown(home)
    assert fake.in_channel(CHANNEL) == []


async def test_home_is_republished_after_a_post_from_the_modal(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await slack.home_opened()
    await slack.command("post")
    await slack.submit(slack.opened(), text="Outcome shown", networks=["facebook"])
    assert "1 of 1 published · “Outcome shown”" in shown(fake.homes[ANA.id])


async def scheduled_home(system: System, clock: FixedClock, text: str) -> dict[str, Any]:
    """Ana, Facebook connected, schedules `text` from the modal and opens her Home."""
    await connect(system, "Facebook")
    await schedule(system, clock, text)
    return await system.slack.home_opened()


def publishes(system: System, user: str = ANA.id) -> int:
    return sum(c.args.get("user_id") == user for c in system.fake.called("views.publish"))


def post_id(home: dict[str, Any], text: str) -> int:
    found = re.search(r"#(\d+) · [^\n]*" + re.escape(text), shown(home))
    assert found, shown(home)
    return int(found.group(1))


async def test_home_follows_a_scheduled_post_to_its_outcome(
    system: System, clock: FixedClock
) -> None:
    fake = system.fake
    home = await scheduled_home(system, clock, "Later news")
    assert "Later news" in shown(home).split("*Last results*")[0]
    before = publishes(system)
    clock.advance(timedelta(minutes=61))  # due a minute ago
    await system.services.pipeline.run_until_idle()  # the scheduler publishes it
    await system.service.chat.drain()
    assert publishes(system) == before + 1  # once, at the outcome, with no tap of Ana's
    home = fake.homes[ANA.id]
    assert "Nothing scheduled." in shown(home)
    assert "1 of 1 published · “Later news”" in shown(home)


async def test_home_shows_a_failure_from_a_channel_post(system: System) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "LinkedIn")  # the sandbox fails LinkedIn's first try
    await slack.command("post Went wrong")
    assert ANA.id not in fake.homes
    await slack.tap(fake.last(CHANNEL), "Publish now")
    assert "0 of 1 published · “Went wrong”" in shown(fake.homes[ANA.id])
    await slack.tap(fake.last(CHANNEL), "Retry LinkedIn")  # from the progress message
    assert "1 of 1 published · “Went wrong”" in shown(fake.homes[ANA.id])
    assert fake.homes.keys() == {ANA.id}  # Ben's Home is not his to see it in


async def test_cancels_and_deletes_outside_home_republish_it(
    system: System, clock: FixedClock
) -> None:
    slack, fake = system.slack, system.fake
    await connect(system, "Facebook")
    await schedule(system, clock, "Typed cancel")
    await schedule(system, clock, "Tapped cancel")
    home = await slack.home_opened()
    typed = post_id(home, "Typed cancel")

    await slack.command(f"cancel {typed}")  # a slash command
    assert "Typed cancel" not in shown(fake.homes[ANA.id]).split("*Last results*")[0]
    confirmation = next(m for m in fake.in_channel(CHANNEL) if "Tapped cancel" in m.shown)
    await slack.tap(confirmation, "Cancel")  # the button under the scheduled post's message
    assert "Nothing scheduled." in shown(fake.homes[ANA.id])

    await slack.command("post")
    await slack.submit(slack.opened(), text="Then deleted", networks=["facebook"])
    assert "“Then deleted”" in shown(fake.homes[ANA.id])
    home = fake.homes[ANA.id]
    await slack.command(f"delete {post_id(home, 'Then deleted')}")
    await slack.tap(fake.last(CHANNEL), "Yes, delete")
    assert "Then deleted" not in shown(fake.homes[ANA.id])


async def test_a_foreign_or_repeated_cancel_leaves_home_as_it_was(
    system: System, clock: FixedClock
) -> None:
    slack, fake = system.slack, system.fake
    home = await scheduled_home(system, clock, "Ana's own")
    number = post_id(home, "Ana's own")
    before = publishes(system)
    await slack.command(f"cancel {number}", user=BEN)  # not his post
    assert "Ana's own" in shown(fake.homes[ANA.id])
    assert publishes(system) == before and BEN.id not in fake.homes
    await slack.command(f"cancel {number}")
    await slack.command(f"cancel {number}")  # again: refused, nothing changed
    assert "only scheduled posts can be cancelled" in slack.last_answer()
    assert publishes(system) == before + 1


async def test_a_cancel_in_home_publishes_it_once(system: System, clock: FixedClock) -> None:
    home = await scheduled_home(system, clock, "Cancel me once")
    before = publishes(system)
    await system.slack.home_tap(home, "Cancel #")
    assert publishes(system) == before + 1  # the Home's own answer, not one more for the change
