"""Instagram Login's round trip against the fake: both exchange shapes, refusals, scopes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from adapters.instagram.login import SCOPES, InstagramLogin, InstagramLoginError
from tests.fakes.instagram_graph_api import PROFESSIONAL_ID
from tests.fakes.instagram_login import ACCOUNT_ID, LONG_TOKEN, SIXTY_DAYS, FakeInstagramLogin

REDIRECT = "https://bot.example.com/oauth/instagram/callback"


def _login(
    fake: FakeInstagramLogin, http: httpx.AsyncClient, secret: str = "s3cret"
) -> InstagramLogin:
    return InstagramLogin(
        http,
        app_id="123",
        app_secret=secret,
        redirect_uri=REDIRECT,
        oauth_url="http://oauth.test",
        graph_url="http://graph.test",
    )


def _fake(shape: str = "data") -> FakeInstagramLogin:
    return FakeInstagramLogin(
        app_id="123", app_secret="s3cret", redirect_uri=REDIRECT, shape=shape
    )


@pytest.mark.parametrize("shape", ["data", "flat"])
async def test_code_becomes_a_60_day_token_in_both_exchange_shapes(shape: str) -> None:
    fake = _fake(shape)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        grant = await _login(fake, http).complete(fake.issue_code("abc"))
    assert fake.exchanged == ["abc"]  # the `#_` Meta appends was stripped
    assert (grant.account_id, grant.username) == (str(ACCOUNT_ID), "postroom.test")
    assert (grant.token, grant.expires_in, grant.scopes) == (LONG_TOKEN, SIXTY_DAYS, SCOPES)
    assert LONG_TOKEN not in repr(grant)


def test_authorize_link_asks_for_the_scopes_with_the_state() -> None:
    login = InstagramLogin(
        httpx.AsyncClient(), app_id="123", app_secret="x", redirect_uri=REDIRECT
    )
    url = urlsplit(login.authorize_link("st4te"))
    # Meta's reference: GET https://api.instagram.com/oauth/authorize
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://api.instagram.com/oauth/authorize"
    q = parse_qs(url.query)
    assert q["client_id"] == ["123"] and q["redirect_uri"] == [REDIRECT]
    assert q["response_type"] == ["code"] and q["state"] == ["st4te"]
    assert q["scope"] == [",".join(SCOPES)]


async def test_an_unticked_scope_is_refused_before_any_token_is_fetched() -> None:
    fake = _fake()
    code = fake.issue_code("abc", "instagram_business_basic,instagram_business_manage_insights")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        with pytest.raises(InstagramLoginError, match="instagram_business_content_publish"):
            await _login(fake, http).complete(code)


async def test_a_reused_code_and_a_wrong_secret_give_instagrams_reason() -> None:
    fake = _fake()
    code = fake.issue_code("abc")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        await _login(fake, http).complete(code)
        with pytest.raises(InstagramLoginError, match="verification code"):
            await _login(fake, http).complete(code)
        with pytest.raises(InstagramLoginError, match="Invalid platform app") as e:
            await _login(fake, http, secret="wrong").complete(fake.issue_code("def"))
    assert "wrong" not in e.value.reason


@pytest.mark.parametrize("shape", ["data", "flat"])
async def test_an_exchange_without_permissions_is_refused_before_any_token_is_fetched(
    shape: str,
) -> None:
    fake = _fake(shape)
    fake.omit_permissions = True
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        with pytest.raises(InstagramLoginError, match="did not say which permissions"):
            await _login(fake, http).complete(fake.issue_code("abc"))
    assert fake.tokens == {}  # no long-lived token was asked for


@pytest.mark.parametrize("same_ids", [False, True])
async def test_the_account_is_the_professional_id_whether_me_answers_one_id_or_two(
    same_ids: bool,
) -> None:
    fake = _fake()
    fake.graph.same_ids = same_ids
    assert (fake.graph.app_scoped_id == PROFESSIONAL_ID) is same_ids
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        grant = await _login(fake, http).complete(fake.issue_code("abc"))
    assert grant.account_id == PROFESSIONAL_ID  # what publishing names, never the app-scoped id


async def test_an_exchange_for_another_user_than_me_is_refused() -> None:
    fake = _fake()
    fake.exchange_user = "26543210000000099"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake)) as http:
        with pytest.raises(InstagramLoginError, match="different account"):
            await _login(fake, http).complete(fake.issue_code("abc"))
