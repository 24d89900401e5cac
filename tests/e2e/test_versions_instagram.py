"""The Free tier's direct Instagram route publishes Instagram's own version of a post."""

from __future__ import annotations

from core.model import MessageRef
from tests.e2e.conftest import BuildServices
from tests.e2e.drafts_support import find
from tests.e2e.instagram_support import actor, free_bot
from tests.fakes.clock import FixedClock

IMAGE = "https://cdn.example.com/media/cat.jpg"


async def test_instagram_direct_route_publishes_its_own_version(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        assert (await bot.connect()).status_code == 200
        composer = await bot.say(f"/post The main text for everyone\nmedia: {IMAGE}")
        hashtags = " ".join(f"#tag{n}" for n in range(31))
        over = await bot.say(f"/version 1 instagram A first line for Instagram {hashtags}")
        assert over.text.startswith("Instagram allows 30 hashtags; this text has 31.")
        answer = await bot.say("/version 1 ig A first line for Instagram\n#cats #launch")
        assert answer.toast == "Instagram version set"
        assert "• Instagram (40 characters): A first line for Instagram #cats #launch" in (
            answer.text
        )
        ref = MessageRef(actor().chat, "1")
        tap = find(composer, "Publish now").callback_data
        await bot.services.postroom.handle_tap(actor(), tap, ref)
        await bot.services.pipeline.run_until_idle()
        (media,) = bot.publish.media
        assert media.caption == "A first line for Instagram\n#cats #launch"
        shown = bot.chat.last(ref)
        assert shown is not None and shown.text.endswith("— 1 of 1 published")
