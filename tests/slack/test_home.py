"""App Home end to end: published on app_home_opened, its buttons acting through core as
the user who taps them, republished after each action."""

from __future__ import annotations

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
