"""A Free user connects Instagram and publishes with the token the login stored; a refreshed
token is the one the next post goes out with."""

from __future__ import annotations

from datetime import timedelta

from core.model import MessageRef
from core.replies import Reply
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import FreeBot, actor, free_bot
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import LONG_TOKEN, SIXTY_DAYS

IMAGE = "https://cdn.example.com/media/cat.jpg"


def tap(reply: Reply, label: str) -> str:
    for row in reply.buttons:
        for b in row:
            if label in b.label and b.url is None:
                return b.callback_data
    raise AssertionError(f"no {label!r} in {[b.label for r in reply.buttons for b in r]}")


async def publish(bot: FreeBot, text: str, message: str) -> str:
    composer = await bot.say(f"/post {text}\nmedia: {IMAGE}")
    ref = MessageRef(actor().chat, message)
    await bot.services.postroom.handle_tap(actor(), tap(composer, "Publish now"), ref)
    await bot.services.pipeline.run_until_idle()
    shown = bot.chat.last(ref)
    assert shown is not None
    return shown.text


async def test_connected_free_user_publishes_to_instagram_with_the_stored_token(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        assert (await bot.connect()).status_code == 200
        progress = await publish(bot, "Launch day on Instagram", "1")
        assert progress == "📤 Launch day on Instagram — 1 of 1 published"
        (media,) = bot.publish.media
        assert media.caption.startswith("Launch day on Instagram")
        assert bot.publish.token == LONG_TOKEN

        # 50 days on, housekeeping refreshes the token; the next post goes out with the new one.
        clock.advance(timedelta(seconds=SIXTY_DAYS) - timedelta(days=9))
        assert bot.services.token_refresh is not None
        assert await bot.services.token_refresh.run() == 1
        assert await publish(bot, "Still here", "2") == "📤 Still here — 1 of 1 published"
        assert len(bot.publish.media) == 2
        assert bot.publish.token == f"{LONG_TOKEN}-2"
