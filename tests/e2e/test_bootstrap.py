"""bootstrap: the one composition root. Messengers are complete and read-only when it returns,
front ends are built on its Postroom, and one budget serves every Ayrshare use."""

from __future__ import annotations

import io

import httpx
import pytest

from adapters.console.chat import ConsoleChat
from adapters.instagram.publisher import NOT_SET_UP
from bot.bootstrap import bootstrap
from bot.settings import Settings
from bot.wiring import ayrshare_client, build_publishers
from core.chat.entry import Postroom
from core.model import ChatPlatform, Network, Route
from tests.analytics.support import START, FakeCharts
from tests.fakes.clock import FixedClock
from tests.fakes.memory_store import InMemoryUnitOfWorkFactory
from tests.fakes.messenger import RecordingMessenger


async def test_messengers_are_passed_in_complete_and_read_only() -> None:
    recording = RecordingMessenger()
    out = io.StringIO()
    made: list[Postroom] = []

    def console(postroom: Postroom) -> ConsoleChat:
        made.append(postroom)
        return ConsoleChat(postroom, out=out)

    services = bootstrap(
        Settings(),
        clock=FixedClock(START),
        uow=InMemoryUnitOfWorkFactory(),
        charts=FakeCharts(),
        messengers={ChatPlatform.TELEGRAM: recording},
        chats={ChatPlatform.CONSOLE: console},
    )
    assert made == [services.postroom]  # the front end is built on the Postroom it serves
    assert set(services.messengers) == {ChatPlatform.TELEGRAM, ChatPlatform.CONSOLE}
    assert services.messengers[ChatPlatform.TELEGRAM] is recording
    with pytest.raises(TypeError):
        services.messengers[ChatPlatform.SLACK] = recording  # type: ignore[index]

    # The console bootstrap built answers from that Postroom.
    chat = services.messengers[ChatPlatform.CONSOLE]
    assert isinstance(chat, ConsoleChat)
    await chat.run_lines(["/start"], echo=False)
    assert "You're on Pro (sandbox)." in out.getvalue()
    # No storage of its own was opened over the injected unit of work.
    with pytest.raises(RuntimeError, match="no database"):
        _ = services.engine
    await services.aclose()


def test_one_budget_sized_by_the_settings() -> None:
    services = bootstrap(
        Settings(ayrshare_analytics_budget=120),
        uow=InMemoryUnitOfWorkFactory(),
        charts=FakeCharts(),
    )
    assert (services.budget.limit, services.budget.analytics_share) == (300, 120)
    assert services.http is None  # the sandbox opens no HTTP client


async def test_instagram_graph_publisher_is_wired_outside_the_sandbox_but_shown_unset() -> None:
    settings = Settings(ayrshare_api_key="sk-test-wiring")
    async with httpx.AsyncClient() as http:
        client = ayrshare_client(settings, http)
        publishers = build_publishers(settings, client, FixedClock(START), http=http)
    assert set(publishers) == {Route.AYRSHARE, Route.INSTAGRAM_GRAPH}
    # No Meta app to connect with: Instagram stays ⛔ with the reason, but a profile that
    # already holds a token is published for.
    assert publishers[Route.INSTAGRAM_GRAPH].unavailable(Network.INSTAGRAM) == NOT_SET_UP
