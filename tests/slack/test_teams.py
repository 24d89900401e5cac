"""A team of three in a Slack channel through the fake Slack API: a workspace admin (users.info)
makes the team, members start as viewers, roles decide commands and taps."""

from __future__ import annotations

import pytest

from core.model import ChatPlatform, ChatRef
from tests.fakes.slack_api import TEAM
from tests.slack.conftest import System
from tests.slack.driver import ANA, BEN, CHANNEL, User
from tests.slack.installs import ONE, TWO

CAL = User("U0CAL", "cal")
# slack_sdk's own call (aiohttp.BasicAuth for oauth.v2.access's client credentials).
pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")


async def three(system: System) -> None:
    slack, fake = system.slack, system.fake
    fake.admins.add(ANA.id)
    await slack.command("team create Launch crew", BEN)
    assert slack.last_answer() == "Only an admin of this chat can make it a team."
    await slack.command("team create Launch crew", ANA)
    assert slack.last_answer().startswith("✅ Launch crew is a team profile now")
    assert [c.args.get("user") for c in fake.called("users.info")][-2:] == [BEN.id, ANA.id]
    await slack.command("team", BEN)
    await slack.command("team", CAL)
    await slack.command("team role @ben editor", ANA)
    assert slack.last_answer() == "@ben is now editor of Launch crew."


async def test_a_team_of_three_in_a_channel(system: System) -> None:
    slack = system.slack
    await three(system)
    await slack.command("team", CAL)
    assert slack.last_answer().splitlines()[:4] == [
        "👥 Launch crew — 3 member(s)",
        "• @ana — admin",
        "• @ben — editor",
        "• @cal — viewer",
    ]
    await slack.command("team role @cal admin", BEN)
    assert slack.last_answer() == (
        "You are an editor of Launch crew: only an admin can manage the team."
    )
    await slack.command("team role <@U0BEN|ben> viewer", ANA)  # a pasted mention works too
    assert slack.last_answer() == "@ben is now viewer of Launch crew."
    await slack.command("team role @ben editor", ANA)
    await slack.command("team remove @ana", ANA)
    assert "last admin" in slack.last_answer()
    await slack.command("post From the crew", CAL)
    assert slack.last_answer().startswith("You are a viewer of Launch crew")
    await slack.command("connect", BEN)
    assert slack.last_answer() == (
        "You are an editor of Launch crew: only an admin can connect accounts."
    )

    await slack.command("post From the crew", BEN)
    async with system.services.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.SLACK, CHANNEL, TEAM))
        assert team is not None
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert [p.text for p in posts] == ["From the crew"]


async def test_a_workspace_owner_counts_as_a_chat_admin(system: System) -> None:
    await system.slack.command("team create", BEN)
    assert system.slack.last_answer() == "Only an admin of this chat can make it a team."
    system.fake.owners.add(BEN.id)
    await system.slack.command("team create", BEN)
    # Named after the channel when no name is given.
    assert system.slack.last_answer().startswith("✅ general is a team profile now")


async def test_the_user_who_installed_the_app_starts_as_admin(two: System) -> None:
    installer = User("U0ADMIN", "admin")  # authed_user of the fake's oauth.v2.access
    await two.slack.command("team create Ones", BEN, team=ONE)
    assert two.slack.last_answer() == "Only an admin of this chat can make it a team."
    await two.slack.command("team create Ones", installer, team=ONE)
    assert two.slack.last_answer().startswith("✅ Ones is a team profile now")
    # Another workspace's channel of the same id is another chat: no team there.
    await two.slack.command("team", installer, team=TWO)
    assert two.slack.last_answer().startswith("This chat has no team profile yet")


async def test_the_compose_modal_in_the_team_channel_posts_for_the_team(system: System) -> None:
    slack, fake = system.slack, system.fake
    await three(system)
    async with system.services.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.SLACK, CHANNEL, TEAM))
    assert team is not None
    await slack.command(f"start connect-{team.id}", ANA, channel=ANA.dm)
    await slack.tap(fake.last(ANA.dm), "Facebook")

    await slack.command("post", CAL)
    assert slack.last_answer().startswith("No network can take a post from you yet:")
    assert "You are a viewer of Launch crew" in slack.last_answer()

    await slack.command("post", BEN)
    view = slack.opened()
    networks = next(b["element"] for b in view["blocks"] if b.get("block_id") == "networks")
    assert [o["value"] for o in networks["options"]] == ["facebook"]  # the team's
    answer = await slack.submit(view, text="Crew news", networks=["facebook"], user=BEN)
    assert answer.text == ""
    async with system.services.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert [p.text for p in posts] == ["Crew news"]


async def test_the_compose_modal_never_gets_an_editors_post_past_approvals(system: System) -> None:
    slack, fake = system.slack, system.fake
    await three(system)
    async with system.services.uow() as uow:
        team = await uow.teams.team_in_chat(ChatRef(ChatPlatform.SLACK, CHANNEL, TEAM))
    assert team is not None
    await slack.command(f"start connect-{team.id}", ANA, channel=ANA.dm)
    await slack.tap(fake.last(ANA.dm), "Facebook")
    await slack.command("approvals on", ANA)

    await slack.command("post", BEN)
    view = slack.opened()
    answer = await slack.submit(view, text="Crew news", networks=["facebook"], user=BEN)
    body = answer.json()
    assert body["response_action"] == "errors"
    assert "reviews posts first" in str(body["errors"])
    async with system.services.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert posts == []  # nothing saved, nothing scheduled past the approvers

    # The admin approves: their own post from the modal goes out as before.
    await slack.command("post", ANA)
    answer = await slack.submit(slack.opened(), text="Admin news", networks=["facebook"], user=ANA)
    assert answer.text == ""
    async with system.services.uow() as uow:
        posts, _ = await uow.posts.list_for_profile(team.profile_id, offset=0, limit=5)
    assert [p.text for p in posts] == ["Admin news"]
