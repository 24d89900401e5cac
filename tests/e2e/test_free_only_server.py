"""A server with a Meta app and no Ayrshare key is a real Free-tier server, not the sandbox:
Instagram goes out through the Graph API, Pro's networks say they are not set up here."""

from __future__ import annotations

from core.model import MessageRef, Network, Route, Tier
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import actor, free_bot
from tests.e2e.test_instagram_free_flow import IMAGE, tap
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import LONG_TOKEN


async def test_a_meta_app_alone_runs_the_free_tier_for_real(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock, with_ayrshare=False, default_tier=None) as bot:
        settings = bot.services.settings
        assert not settings.sandbox
        assert set(bot.services.publishers) == {Route.INSTAGRAM_GRAPH}

        # A new user is Free (the sandbox would make everyone Pro) and connects Instagram.
        assert (await bot.connect()).status_code == 200
        profile = await bot.profile()
        assert profile.tier is Tier.FREE
        assert Network.INSTAGRAM in profile.connected()

        composer = await bot.say(f"/post Hello from a Free-only server\nmedia: {IMAGE}")
        ref = MessageRef(actor().chat, "1")
        await bot.services.postroom.handle_tap(actor(), tap(composer, "Publish now"), ref)
        await bot.services.pipeline.run_until_idle()
        shown = bot.chat.last(ref)
        assert shown is not None
        assert shown.text == "📤 Hello from a Free-only server — 1 of 1 published"
        (media,) = bot.publish.media
        assert bot.publish.token == LONG_TOKEN
        assert media.caption.startswith("Hello from a Free-only server")


async def test_a_free_only_server_says_pro_networks_are_not_set_up_here(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock, with_ayrshare=False, default_tier="pro") as bot:
        status = await bot.say("/status")
        shown = {f.label: f.value for f in status.fields}
        assert "not set up on this server" in shown[Network.TIKTOK.label]
