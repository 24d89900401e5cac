"""A Free user is warned before the Instagram token runs out, and the warning's Reconnect
button leads through Instagram's login back to a fresh 60-day token (the real bootstrap)."""

from __future__ import annotations

from datetime import timedelta

from core.model import ChatKind, ChatPlatform, ChatRef, MessageRef, Network
from tests.core.harness import find_button
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import actor, free_bot, link
from tests.fakes.clock import FixedClock


async def test_free_token_ending_warns_and_reconnect_logs_in_again(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        assert (await bot.connect()).status_code == 200
        lifecycle = bot.services.lifecycle
        assert lifecycle is not None
        assert await lifecycle.tick() == 0  # 60 days left: nothing to say
        # The token could not be refreshed in time (Instagram down for days): 5 days left.
        async with bot.services.uow() as uow:
            profile = await uow.profiles.by_identity(actor().identity)
            assert profile is not None
            profile.connections[Network.INSTAGRAM].expires_at = clock.now() + timedelta(days=5)
            await uow.profiles.save(profile)
            await uow.commit()
        assert await lifecycle.tick() == 1
        chat, warning, ref = bot.chat.sent[-1]
        assert chat == ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE)
        assert warning.text.startswith("⏳ Your Instagram connection ends in 5 days")
        assert await lifecycle.tick() == 0  # once

        button = find_button(warning, "Reconnect Instagram")
        answer = await bot.services.postroom.handle_tap(actor(), button.callback_data, ref)
        assert answer.text == "Open Instagram to reconnect it (the link lasts 10 minutes)."
        page = await bot.back(await bot.authorize(link(answer)))
        assert page.status_code == 200
        assert await bot.status() == "✅ connected, 60 days left · @postroom.test"
        stale = await bot.services.postroom.handle_tap(
            actor(), button.callback_data, MessageRef(chat, ref.message_id)
        )
        assert stale.toast == "Instagram is connected again; there is nothing to renew."
