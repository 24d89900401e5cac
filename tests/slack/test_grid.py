"""Enterprise Grid: a workspace install is found by org and team id, an org-wide install by
the org alone, for requests and for messages sent with no request."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.workspaces import NOT_INSTALLED, NotInstalled, parse_workspace
from core.model import ChatPlatform, ChatRef
from core.replies import Reply
from tests.slack.conftest import System
from tests.slack.driver import CHANNEL
from tests.slack.installs import ONE, deliver, install, tokens_of

pytestmark = pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")

ORG, BIG = "E0ORG", "E0BIG"  # an org with the app in one workspace; an org-wide install
IN_ORG = f"xoxb-{ORG}-{ONE}-installed"
ORG_WIDE = f"xoxb-{BIG}-installed"


@pytest.fixture
async def grid(many: System) -> System:
    await install(many, f"{ORG}/{ONE}")
    await install(many, f"{BIG}/")
    del many.fake.calls[:]
    return many


def slack_chat(workspace: str) -> ChatRef:
    return ChatRef(ChatPlatform.SLACK, CHANNEL, workspace)


async def test_a_grid_workspace_is_answered_with_its_own_token(
    grid: System, engine: AsyncEngine
) -> None:
    fake, slack = grid.fake, grid.slack
    await slack.command("post Hello", team=ONE, enterprise=ORG)
    assert tokens_of(fake, "auth.test") == [IN_ORG]
    assert tokens_of(fake, "chat.postMessage") == [IN_ORG]
    assert fake.last(CHANNEL).shown.startswith("✍️ New post")
    # The user's profile is the org's workspace's: the same team id outside Grid is another.
    async with engine.connect() as c:
        found = await c.execute(text("SELECT workspace FROM identities"))
        assert found.scalars().all() == [f"{ORG}:{ONE}"]

    del fake.calls[:]
    await slack.command("post Hello", team=ONE)  # no org: not this installation
    assert slack.last_answer() == NOT_INSTALLED
    assert fake.called("chat.postMessage") == []


async def test_an_org_wide_install_serves_every_workspace_of_the_org(grid: System) -> None:
    fake, slack = grid.fake, grid.slack
    for team in ("T0ANY", "T0OTHER"):
        await slack.command("post Hello", team=team, enterprise=BIG, org_wide=True)
    assert tokens_of(fake, "chat.postMessage") == [ORG_WIDE, ORG_WIDE]
    messenger = grid.services.messengers[ChatPlatform.SLACK]
    await messenger.send(slack_chat(f"{BIG}:T0THIRD"), Reply("Digest"))
    await messenger.send(slack_chat(f"{ORG}:{ONE}"), Reply("Digest"))
    assert tokens_of(fake, "chat.postMessage")[2:] == [ORG_WIDE, IN_ORG]
    with pytest.raises(NotInstalled):  # the other org's install does not serve its teams
        await messenger.send(slack_chat(f"{ORG}:T0ANY"), Reply("Digest"))


async def test_uninstalling_an_org_wide_install_stops_every_workspace_of_the_org(
    grid: System,
) -> None:
    fake, messenger = grid.fake, grid.services.messengers[ChatPlatform.SLACK]
    await messenger.send(slack_chat(f"{BIG}:T0ANY"), Reply("Before"))  # cached
    await deliver(grid, {"type": "app_uninstalled"}, "", enterprise=BIG)
    del fake.calls[:]
    for team in ("T0ANY", "T0OTHER"):
        with pytest.raises(NotInstalled):
            await messenger.send(slack_chat(f"{BIG}:{team}"), Reply("After"))
    await messenger.send(slack_chat(f"{ORG}:{ONE}"), Reply("Other org"))
    assert tokens_of(fake, "chat.postMessage") == [IN_ORG]


@pytest.mark.parametrize(
    ("workspace", "parts"),
    [("T1", (None, "T1")), ("E1:T1", ("E1", "T1")), ("E1:", ("E1", None)), ("", (None, None))],
)
def test_workspace_names_read_back(workspace: str, parts: tuple[str | None, str | None]) -> None:
    assert parse_workspace(workspace) == parts
