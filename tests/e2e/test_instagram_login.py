"""A Free user connects Instagram end to end: /connect's link, Instagram's window (the fake),
the bot's web app callback, the token stored encrypted, the chat told; and every way the
round trip can go wrong leaves nothing stored."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy import text

from adapters.console.render import render as console_render
from adapters.instagram.login import SCOPES
from adapters.slack.render import render_one as slack_render
from adapters.telegram.render import keyboard as telegram_keyboard
from core.logins import LoginState, new_state, state_digest
from core.model import AccountKey, ChatKind, ConnectionStatus, Network, Route, Tier
from tests.e2e.conftest import BuildServices
from tests.e2e.instagram_support import (
    APP_ID,
    INSTAGRAM,
    REDIRECT,
    FreeBot,
    actor,
    free_bot,
    link,
)
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_login import ACCOUNT_ID, LONG_TOKEN, SIXTY_DAYS
from tests.fakes.slack_api import invalid_blocks

IG = Route.INSTAGRAM_GRAPH
NOT_VALID = "not valid, or was already used"


async def assert_nothing_stored(bot: FreeBot, user: str = "ana") -> None:
    profile = await bot.profile(user)
    assert IG not in profile.accounts and Network.INSTAGRAM not in profile.connections
    assert await bot.status(user) == "not connected"


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


@pytest.mark.parametrize("shape", ["data", "flat"])
async def test_free_user_connects_instagram_through_the_web_app(
    make_services: BuildServices, clock: FixedClock, shape: str
) -> None:
    async with free_bot(make_services, clock, shape) as bot:
        reply = await bot.say("/connect")
        url = link(reply)
        assert "links last 10 minutes" in reply.text
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{INSTAGRAM}/oauth/authorize"
        query = parse_qs(parts.query)
        assert query["client_id"] == [APP_ID] and query["redirect_uri"] == [REDIRECT]
        assert query["scope"] == [",".join(SCOPES)]
        assert len(state_of(url)) == 43  # 256 random bits

        page = await bot.back(await bot.authorize(url))
        assert page.status_code == 200
        assert "Instagram connected — you can close this tab" in page.text
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["referrer-policy"] == "no-referrer"
        assert bot.told() == ["Instagram connected ✅ @postroom.test. Compose with /post."]

        profile = await bot.profile()
        account = profile.accounts[IG]
        assert account == AccountKey(
            str(ACCOUNT_ID),
            account.key,
            clock.now() + timedelta(seconds=SIXTY_DAYS),
            clock.now(),
            SCOPES,
        )
        assert account.key.value == LONG_TOKEN
        connection = profile.connections[Network.INSTAGRAM]
        assert (connection.status, connection.display_name, connection.expires_at) == (
            ConnectionStatus.CONNECTED,
            "@postroom.test",
            account.expires_at,
        )
        assert await bot.status() == "✅ connected, 60 days left · @postroom.test"


async def test_the_token_is_encrypted_and_the_state_kept_only_as_its_hash(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        url = link(await bot.say("/connect"))
        state = state_of(url)
        async with bot.services.engine.connect() as db:
            digests = (await db.execute(text("SELECT digest FROM login_states"))).scalars().all()
        assert digests == [hashlib.sha256(state.encode()).hexdigest()]
        await bot.back(await bot.authorize(url))
        async with bot.services.engine.connect() as db:
            rows = (await db.execute(text("SELECT * FROM provider_accounts"))).all()
            left = (await db.execute(text("SELECT count(*) FROM login_states"))).scalar()
        assert left == 0  # used up
        assert len(rows) == 1 and LONG_TOKEN not in repr(rows) and state not in repr(rows)


async def test_a_link_works_once(make_services: BuildServices, clock: FixedClock) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        assert (await bot.back(back)).status_code == 200
        again = await bot.back(back)
        assert again.status_code == 400 and NOT_VALID in again.text
        assert len(bot.told()) == 1  # the reused link tells nobody anything new


async def test_two_redirects_with_one_state_connect_once(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        pages = await asyncio.gather(bot.back(back), bot.back(back))
        assert sorted(p.status_code for p in pages) == [200, 400]
        assert len(bot.instagram.exchanged) == 1


@pytest.mark.parametrize(
    "query",
    [
        {},  # no state at all
        {"state": "", "code": "AQx"},
        {"state": "x" * 43, "code": "AQx"},  # well formed, never issued
        {"state": "x" * 5000, "code": "AQx"},  # oversized
        {"state": "<script>alert(1)</script>", "code": "AQx"},  # malformed
    ],
)
async def test_a_wrong_state_gets_a_clear_page_and_changes_nothing(
    make_services: BuildServices, clock: FixedClock, query: dict[str, str]
) -> None:
    async with free_bot(make_services, clock) as bot:
        await bot.say("/connect")
        page = await bot.browser.get(f"{REDIRECT}?{urlencode(query)}")
        assert page.status_code == 400 and NOT_VALID in page.text
        assert "<script>" not in page.text
        assert bot.told() == [] and bot.instagram.exchanged == []
        await assert_nothing_stored(bot)


async def test_an_expired_link_is_refused_in_the_page_and_in_the_chat(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        clock.advance(timedelta(minutes=10))
        page = await bot.back(back)
        assert page.status_code == 400 and "expired" in page.text
        assert bot.told() == [
            "Instagram was not connected: The Instagram link expired: links last 10 minutes. "
            "Send /connect to try again."
        ]
        assert bot.instagram.exchanged == []
        await assert_nothing_stored(bot)


async def test_each_link_connects_the_profile_of_whoever_asked_for_it(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        ana_link = link(await bot.say("/connect", actor("ana")))
        bob_link = link(await bot.say("/connect", actor("bob")))
        assert state_of(ana_link) != state_of(bob_link)
        assert (await bot.back(await bot.authorize(bob_link))).status_code == 200
        assert bot.told("bob") and not bot.told("ana")
        assert IG in (await bot.profile("bob")).accounts
        await assert_nothing_stored(bot, "ana")


async def test_a_link_asked_for_by_a_profile_now_on_pro_is_refused(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        back = await bot.authorize(link(await bot.say("/connect")))
        profile = await bot.profile()
        billing = bot.services.billing
        assert billing is not None  # upgraded meanwhile: Instagram goes through Ayrshare
        await billing.grant(profile.id, Tier.PRO, days=30, reason="upgraded meanwhile")
        assert bot.told() == ["You're on Pro until Thu 24 Dec 2026, 10:00 (UTC)."]
        page = await bot.back(back)
        assert page.status_code == 400 and "no longer connects Instagram" in page.text
        assert bot.told()[1].startswith("Instagram was not connected: Your plan")
        assert IG not in (await bot.profile()).accounts


async def test_connect_links_are_only_given_in_a_private_chat(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        group = actor("ana", chat="-100", kind=ChatKind.SHARED)
        reply = await bot.say("/connect", group)
        assert all(b.url is None for row in reply.buttons for b in row)
        async with bot.services.engine.connect() as db:
            count = (await db.execute(text("SELECT count(*) FROM login_states"))).scalar()
        assert count == 0


async def test_declining_in_instagrams_window_tells_the_chat(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        bot.instagram.consent = "deny"
        page = await bot.connect()
        assert page.status_code == 400
        assert "You did not allow Postroom to use your Instagram account." in page.text
        assert bot.told() == [
            "Instagram was not connected: You did not allow Postroom to use your Instagram "
            "account. Send /connect to try again."
        ]
        await assert_nothing_stored(bot)


async def test_an_unknown_oauth_error_is_named_but_its_description_never_shown(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        state = state_of(link(await bot.say("/connect")))
        query = {"state": state, "error": "server_error", "error_description": "Call +1 555"}
        page = await bot.browser.get(f"{REDIRECT}?{urlencode(query)}")
        assert page.status_code == 400 and "(server_error)" in page.text
        assert "555" not in page.text and "555" not in bot.told()[0]
        await assert_nothing_stored(bot)


async def test_an_unticked_permission_is_refused_and_nothing_stored(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        bot.instagram.unticked = ("instagram_business_content_publish",)
        page = await bot.connect()
        assert page.status_code == 400 and "instagram_business_content_publish" in page.text
        (told,) = bot.told()
        assert told.startswith("Instagram was not connected: Instagram did not grant")
        assert bot.instagram.tokens == {}  # refused before any token was fetched
        await assert_nothing_stored(bot)


@pytest.mark.parametrize(
    ("status", "body", "shown"),
    [
        (
            400,
            {"error_type": "OAuthException", "code": 400, "error_message": "Bad app"},
            "Bad app",
        ),
        (500, {"error": {"message": "Service unavailable", "code": 2}}, "Service unavailable"),
    ],
)
async def test_an_error_from_instagram_is_shown_and_nothing_stored(
    make_services: BuildServices,
    clock: FixedClock,
    status: int,
    body: dict[str, object],
    shown: str,
) -> None:
    async with free_bot(make_services, clock) as bot:
        bot.instagram.fail_exchange = (status, body)
        page = await bot.connect()
        assert page.status_code == 400 and shown in page.text
        (told,) = bot.told()
        assert told.startswith("Instagram was not connected: Instagram refused:") and shown in told
        assert APP_ID not in told and "ig-app-secret" not in page.text
        await assert_nothing_stored(bot)


async def test_reconnecting_replaces_the_old_token(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        assert (await bot.connect()).status_code == 200
        first = (await bot.profile()).accounts[IG]
        # The token broke (a 190 on a publish): the user reconnects from /connect.
        async with bot.services.uow() as uow:
            profile = await uow.profiles.by_identity(actor().identity)
            assert profile is not None
            profile.connections[Network.INSTAGRAM].status = ConnectionStatus.BROKEN
            await uow.profiles.save(profile)
            await uow.commit()
        assert await bot.status() == "⚠️ broken — reconnect"
        clock.advance(timedelta(days=3))
        page = await bot.connect()
        assert page.status_code == 200 and "Instagram reconnected" in page.text
        assert bot.told()[-1] == "Instagram reconnected ✅ @postroom.test. Compose with /post."
        profile = await bot.profile()
        account = profile.accounts[IG]
        assert account.key.value == f"{LONG_TOKEN}-2" != first.key.value
        assert account.issued_at == clock.now() and len(profile.accounts) == 1
        assert profile.connections[Network.INSTAGRAM].status is ConnectionStatus.CONNECTED
        async with bot.services.engine.connect() as db:
            count = (await db.execute(text("SELECT count(*) FROM provider_accounts"))).scalar()
        assert count == 1


async def test_the_login_link_renders_as_a_url_button_in_every_chat(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        reply = await bot.say("/connect")
    url = link(reply)
    markup = telegram_keyboard(reply.buttons)
    assert markup is not None
    cells = [b for row in markup.inline_keyboard for b in row if b.text == "Instagram ↗"]
    assert [c.url for c in cells] == [url] and cells[0].callback_data is None
    message = slack_render(reply)
    assert invalid_blocks(message.blocks) is None
    slack_urls = [
        e.get("url") for b in message.blocks if b["type"] == "actions" for e in b["elements"]
    ]
    assert url in slack_urls
    shown, _ = console_render(reply)
    assert f"Instagram ↗ <{url}>" in shown


async def test_without_a_meta_app_instagram_stays_unavailable_with_the_reason(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock, instagram_app_secret=None) as bot:
        reply = await bot.say("/connect")
        assert "⛔ Instagram" in [b.label for row in reply.buttons for b in row]
        assert bot.services.login_callback is None
        assert (await bot.status()).startswith("⛔ Instagram Login is not set up on this server")
        page = await bot.browser.get(f"{REDIRECT}?state={'x' * 43}&code=AQx")
        assert page.status_code == 404  # no callback without an app
    async with free_bot(make_services, clock, public_url=None) as bot:
        assert "POSTROOM_PUBLIC_URL" in await bot.status()


@pytest.mark.parametrize("code", [None, "", "A" * 5000])
async def test_a_redirect_without_a_usable_code_uses_up_the_link_and_stores_nothing(
    make_services: BuildServices, clock: FixedClock, code: str | None
) -> None:
    async with free_bot(make_services, clock) as bot:
        query = {"state": state_of(link(await bot.say("/connect")))}
        if code is not None:
            query["code"] = code
        page = await bot.browser.get(f"{REDIRECT}?{urlencode(query)}")
        assert page.status_code == 400 and "no usable authorization code" in page.text
        assert bot.told() == [
            "Instagram was not connected: Instagram sent no usable authorization code. "
            "Send /connect to try again."
        ]
        assert bot.instagram.exchanged == []
        await assert_nothing_stored(bot)
        again = await bot.browser.get(f"{REDIRECT}?{urlencode(query | {'code': 'AQx'})}")
        assert again.status_code == 400 and NOT_VALID in again.text  # the link is used up


async def test_a_state_issued_for_another_network_is_refused(
    make_services: BuildServices, clock: FixedClock
) -> None:
    async with free_bot(make_services, clock) as bot:
        await bot.say("/start")
        state = new_state()
        who = actor()
        now = clock.now()
        async with bot.services.uow() as uow:  # a login some other network's link began
            await uow.logins.add_state(
                LoginState(
                    state_digest(state),
                    Network.FACEBOOK,
                    who.identity,
                    who.chat,
                    now,
                    now + timedelta(minutes=10),
                )
            )
            await uow.commit()
        page = await bot.browser.get(f"{REDIRECT}?{urlencode({'state': state, 'code': 'AQx'})}")
        assert page.status_code == 400 and "That link was not for Instagram." in page.text
        assert bot.told()[0].startswith("Instagram was not connected: That link was not for")
        assert bot.instagram.exchanged == []
        await assert_nothing_stored(bot)
