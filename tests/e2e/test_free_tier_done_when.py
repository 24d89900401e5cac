"""Issue 17's "Done when" in one flow each, on the real bootstrap against the fakes: a Free
user connects Instagram, publishes, is warned as the token nears its end by time passing (the
refresh failing), reconnects and sees stats; a Pro user is warned before a LinkedIn link ends."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from core.lifecycle import ConnectionLifecycle
from core.model import ChatKind, ChatPlatform, ChatRef, ConnectionStatus, MessageRef, Network
from core.publishing.token_refresh import TokenRefresh
from core.replies import Reply
from core.states import TargetState
from tests.core.harness import find_button
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import FreeBot, actor, free_bot, link
from tests.e2e.test_ayrshare_flow import pro_profile
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import LONG_TOKEN, SIXTY_DAYS, Answer
from tests.fakes.messenger import RecordingMessenger

IMAGE = "https://cdn.example.com/media/cat.jpg"
ANA = ChatRef(ChatPlatform.CONSOLE, "ana", kind=ChatKind.PRIVATE)
DOWN: Answer = (503, {"error": {"message": "Service temporarily unavailable", "code": 2}})
NUMBERS = {"views": 1500, "reach": 900, "likes": 80, "comments": 12, "shares": 5, "saved": 30}


def tap(reply: Reply, label: str) -> str:
    return find_button(reply, label).callback_data


def reconnect_warnings(messenger: RecordingMessenger) -> list[tuple[ChatRef, Reply]]:
    return [(chat, r) for chat, r, _ in messenger.sent if "Reconnect" in str(r.buttons)]


def passes(bot: FreeBot) -> tuple[TokenRefresh, ConnectionLifecycle]:
    """The housekeeping refresh pass and the lifecycle pass, as bot.runtime schedules them."""
    assert bot.services.token_refresh is not None and bot.services.lifecycle is not None
    return bot.services.token_refresh, bot.services.lifecycle


async def test_free_user_connects_publishes_is_warned_reconnects_and_sees_stats(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        refresh, lifecycle = passes(bot)
        # /connect → the Instagram link → the fake's authorize page → the web app's callback.
        page = await bot.connect()
        assert page.status_code == 200
        assert bot.told()[-1] == "Instagram connected ✅ @postroom.test. Compose with /post."
        assert await bot.status() == "✅ connected, 60 days left · @postroom.test"

        # /post with an image, published now: Instagram has it, with its permalink.
        composer = await bot.say(f"/post Launch day on Instagram\nmedia: {IMAGE}")
        progress = MessageRef(ANA, "progress-1")
        await bot.services.postroom.handle_tap(actor(), tap(composer, "Publish now"), progress)
        await bot.services.pipeline.run_until_idle()
        shown = bot.chat.last(progress)
        assert shown is not None and shown.text == "📤 Launch day on Instagram — 1 of 1 published"
        [media] = bot.publish.media
        assert media.caption.startswith("Launch day on Instagram")
        async with bot.services.uow() as uow:
            [post] = await uow.posts.recent((await bot.profile()).id, origin=None, limit=5)
        target = post.targets[Network.INSTAGRAM]
        assert target.state is TargetState.PUBLISHED and target.url == media.permalink

        # Instagram refuses refreshes (down for days) from day 50, when the token is due.
        assert await lifecycle.tick() == 0  # 60 days left: nothing to say
        bot.instagram.fail_refresh = DOWN
        clock.advance(timedelta(days=50, minutes=1))
        assert await refresh.run() == 0
        assert await lifecycle.tick() == 0  # 10 days left: not yet
        for _ in range(3 * 24):  # housekeeping keeps trying, hour after hour, to day 53
            clock.advance(timedelta(hours=1))
            assert await refresh.run() == 0
        assert bot.instagram.refreshed == []
        profile = await bot.profile()
        connection = profile.connections[Network.INSTAGRAM]
        assert connection.status is ConnectionStatus.CONNECTED  # not broken: only nearing
        assert connection.expires_at is not None  # the login's own date, never written here
        assert connection.expires_at - clock.now() < timedelta(days=7)

        # The lifecycle pass warns once, in the owner's private chat, with a Reconnect button.
        assert await lifecycle.tick() == 1
        [(chat, warning)] = reconnect_warnings(bot.chat)
        assert chat == ANA
        assert warning.text.startswith("⏳ Your Instagram connection ends in 7 days")
        assert find_button(warning, "Reconnect Instagram").seal
        assert await lifecycle.tick() == 0  # the same minute
        clock.advance(timedelta(hours=6))
        assert await refresh.run() == 0
        assert await lifecycle.tick() == 0  # later the same day
        assert len(reconnect_warnings(bot.chat)) == 1

        # Reconnect: the button gives a fresh Instagram link; logging in again stores a new token.
        answer = await bot.services.postroom.handle_tap(
            actor(), tap(warning, "Reconnect Instagram"), MessageRef(ANA, "warning")
        )
        assert answer.text == "Open Instagram to reconnect it (the link lasts 10 minutes)."
        assert (await bot.back(await bot.authorize(link(answer)))).status_code == 200
        assert bot.told()[-1] == "Instagram reconnected ✅ @postroom.test. Compose with /post."
        assert await bot.status() == "✅ connected, 60 days left · @postroom.test"
        reconnected = (await bot.profile()).connections[Network.INSTAGRAM]
        assert reconnected.expires_at == clock.now() + timedelta(seconds=SIXTY_DAYS)
        assert bot.instagram.graph.token == f"{LONG_TOKEN}-2"  # only this one is accepted now
        assert await lifecycle.tick() == 0  # nothing owed any more

        # The analytics sweep (Free: daily) reads the post's insights with the new token.
        media.insights = dict(NUMBERS)
        media.like_count, media.comments_count = 80, 12
        assert bot.services.analytics is not None
        sync = bot.services.analytics.sync
        first = await sync.sweep()
        assert (first.refreshed, first.failed) == (1, 0), first.errors
        stats = await bot.say(f"/stats {post.id}")
        ig = next(f.value for f in stats.fields if f.label == "Instagram")
        for number in ("1,500 views", "80 likes", "12 comments", "5 shares", "30 saves"):
            assert number in ig, ig
        media.insights["views"] = 2400
        clock.advance(timedelta(hours=23))
        assert (await sync.sweep()).refreshed == 0  # Free's cadence: not within the day
        clock.advance(timedelta(hours=1, minutes=1))
        assert (await sync.sweep()).refreshed == 1
        again = await bot.say(f"/stats {post.id}")
        assert "2,400 views" in next(f.value for f in again.fields if f.label == "Instagram")


async def test_pro_user_is_warned_once_before_a_linkedin_link_expires(
    make_services: BuildServices, clock: FixedClock
) -> None:
    fake = FakeAyrshare()
    services = await make_services(fake)
    assert services.lifecycle is not None
    messenger = services.messengers[ChatPlatform.CONSOLE]
    assert isinstance(messenger, RecordingMessenger)
    key = await pro_profile(services, fake)
    fake.link(key, "linkedin", "Ana Li", refreshDaysRemaining=5)
    reads = len(fake.requests_to("GET", "/user"))

    assert await services.lifecycle.tick() == 1  # GET /user reports the 5 days; one warning
    assert len(fake.requests_to("GET", "/user")) > reads
    [(chat, warning)] = reconnect_warnings(messenger)
    assert chat == ANA
    assert warning.text.startswith("⏳ Your LinkedIn connection ends in 5 days (")
    assert await services.lifecycle.tick() == 0
    clock.advance(timedelta(hours=13))  # read again (every 12 h), the same ending
    assert await services.lifecycle.tick() == 0
    assert len(reconnect_warnings(messenger)) == 1

    answer = await services.postroom.handle_tap(
        actor(), tap(warning, "Reconnect LinkedIn"), MessageRef(ANA, "warning")
    )
    assert answer.text == "Open LinkedIn to reconnect it (the link lasts 5 minutes)."
    url = find_button(answer, "LinkedIn ↗").url
    assert url is not None and url.startswith("https://profile.ayrshare.com")
    jwt = parse_qs(urlsplit(url).query)["jwt"][0]
    assert fake.jwts[jwt]["allowedSocial"] == ["linkedin"]
