"""AyrsharePublisher through its public methods against the in-process fake Ayrshare API."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import httpx
import pytest

from adapters.ayrshare import AyrshareClient, AyrsharePublisher, DuplicateRequest
from adapters.ayrshare.publisher import NO_JWT_SETUP, X_NEEDS_KEYS
from core.errors import OutcomeUnknown, PermanentError, TransientError
from core.model import (
    AccountKey,
    ChatPlatform,
    ChatRef,
    Network,
    Post,
    Profile,
    Route,
    Secret,
    Target,
    Tier,
)
from core.ports import ConnectLink, Outcome, OutcomeKind, PublishRequest
from tests.fakes.ayrshare_api import BASE_URL, NOW, FakeAyrshare

API_KEY = "sk-live-API-KEY-5ec2e7"
X_KEY = "x-consumer-KEY-77aa01"
X_SECRET = "x-consumer-SECRET-99bb02"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\nPRIVATE-KEY-BODY-3f9c\n-----END RSA PRIVATE KEY-----"
)
TEXT = "Fresh sourdough is out of the oven!\nCome by before noon."
VIDEO = "https://cdn.example.com/media/bake.mp4"
SINCE = NOW - timedelta(minutes=5)
KEY = "pr-1-0123456789abcdef01234567"


@pytest.fixture
def fake() -> FakeAyrshare:
    return FakeAyrshare(api_key=API_KEY)


@pytest.fixture
async def http(fake: FakeAyrshare) -> AsyncIterator[httpx.AsyncClient]:
    async with fake.http_client() as client:
        yield client


def make_publisher(
    http: httpx.AsyncClient,
    *,
    x_keys: bool = False,
    timeout: float = 5.0,
    jwt: bool = True,
    api_key: str = API_KEY,
) -> AyrsharePublisher:
    client = AyrshareClient(
        http,
        base_url=BASE_URL + "/",
        api_key=api_key,
        x_api_key=X_KEY if x_keys else None,
        x_api_secret=X_SECRET if x_keys else None,
        timeout=timeout,
    )
    return AyrsharePublisher(
        client,
        jwt_domain="acme-postroom" if jwt else None,
        private_key_pem=PRIVATE_KEY if jwt else None,
        connect_redirect="https://postroom.example/connected" if jwt else None,
    )


def make_profile(fake: FakeAyrshare, *platforms: str, profile_id: int = 7) -> Profile:
    """A profile whose Ayrshare user exists at the fake with `platforms` linked."""
    key = fake.add_profile(f"postroom-{profile_id}")
    for platform in platforms:
        fake.link(key, platform, f"Ada on {platform}")
    profile = Profile(profile_id, Tier.PRO, "UTC", NOW)
    profile.accounts[Route.AYRSHARE] = AccountKey(fake.profiles[key].ref_id, Secret(key))
    return profile


def make_request(
    profile: Profile,
    networks: Sequence[Network],
    *,
    text: str = TEXT,
    media: tuple[str, ...] = (VIDEO,),
    key: str = KEY,
) -> PublishRequest:
    origin = ChatRef(ChatPlatform.CONSOLE, "console")
    post = Post(1, profile.id, text, media, NOW, origin)
    for n in networks:
        post.targets[n] = Target(n, Route.AYRSHARE, idempotency_key=key)
    return PublishRequest(post, tuple(networks), key, profile)


def key_of(profile: Profile) -> str:
    return profile.accounts[Route.AYRSHARE].key.value


# --- publishing --------------------------------------------------------------------------------


async def test_publishes_to_three_networks_in_one_request(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "instagram", "youtube", "linkedin")
    request = make_request(profile, [Network.INSTAGRAM, Network.YOUTUBE, Network.LINKEDIN])

    outcomes = await make_publisher(http).publish(request)

    [sent] = fake.requests_to("POST", "/post")
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert sent.headers["profile-key"] == key_of(profile)
    assert sent.json["platforms"] == ["instagram", "youtube", "linkedin"]
    assert sent.json["idempotencyKey"] == KEY
    assert sent.json["youTubeOptions"] == {
        "title": "Fresh sourdough is out of the oven!",
        "visibility": "public",
    }
    [record] = fake.posts_for(key_of(profile))
    for entry in record["postIds"]:
        network = {"instagram": Network.INSTAGRAM, "youtube": Network.YOUTUBE}.get(
            entry["platform"], Network.LINKEDIN
        )
        assert outcomes[network] == Outcome(
            OutcomeKind.PUBLISHED,
            url=entry["postUrl"],
            external_id=entry["id"],
            provider_post_id=record["id"],
        )
    assert len(outcomes) == 3


async def test_partial_failure_gives_per_network_outcomes(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook", "linkedin")
    fake.fail_platform("linkedin", 132, "Post text exceeds LinkedIn's 3000 character limit.")

    outcomes = await make_publisher(http).publish(
        make_request(profile, [Network.FACEBOOK, Network.LINKEDIN])
    )

    assert outcomes[Network.FACEBOOK].kind is OutcomeKind.PUBLISHED
    assert outcomes[Network.LINKEDIN] == Outcome(
        OutcomeKind.FAILED,
        reason="The text is too long for LinkedIn.",
        provider_post_id=outcomes[Network.FACEBOOK].provider_post_id,
    )


async def test_unlinked_tiktok_fails_and_asks_for_reconnection(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")  # TikTok not linked: Ayrshare answers code 156

    outcomes = await make_publisher(http).publish(
        make_request(profile, [Network.FACEBOOK, Network.TIKTOK])
    )

    tiktok = outcomes[Network.TIKTOK]
    assert tiktok.kind is OutcomeKind.FAILED
    assert tiktok.reconnect is True
    assert tiktok.reason == "TikTok isn't linked any more."
    assert outcomes[Network.FACEBOOK].kind is OutcomeKind.PUBLISHED


async def test_tiktok_pending_counts_as_published(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "tiktok")
    fake.tiktok_pending = True

    outcomes = await make_publisher(http).publish(make_request(profile, [Network.TIKTOK]))

    tiktok = outcomes[Network.TIKTOK]
    assert tiktok.kind is OutcomeKind.PUBLISHED
    assert (tiktok.url, tiktok.external_id) == (None, None)
    assert tiktok.provider_post_id == fake.posts_for(key_of(profile))[0]["id"]


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"x-ratelimit-max": "300", "x-ratelimit-count": "300"}, 300.0),
        ({"x-ratelimit-max": "300", "x-ratelimit-count": "301", "Retry-After": "17"}, 17.0),
        ({}, 60.0),
    ],
)
async def test_rate_limit_is_transient_with_retry_after(
    fake: FakeAyrshare, http: httpx.AsyncClient, headers: dict[str, str], retry_after: float
) -> None:
    profile = make_profile(fake, "facebook")
    body = {"status": "error", "message": "Too many requests."}
    fake.fail_next("/post", status=429, json_body=body, headers=headers)

    with pytest.raises(TransientError) as caught:
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))

    assert caught.value.retry_after == retry_after
    assert fake.posts_for(key_of(profile)) == []


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_transient(
    fake: FakeAyrshare, http: httpx.AsyncClient, status: int
) -> None:
    profile = make_profile(fake, "facebook")
    fake.fail_next("/post", status=status, body=b"<html>Service Unavailable</html>")

    with pytest.raises(TransientError, match=f"HTTP {status}"):
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ConnectError])
async def test_connection_failure_is_transient(
    fake: FakeAyrshare, http: httpx.AsyncClient, error: type[httpx.TransportError]
) -> None:
    profile = make_profile(fake, "facebook")
    fake.refuse_connections(error=error)

    with pytest.raises(TransientError) as caught:
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))

    assert not isinstance(caught.value, OutcomeUnknown)
    assert fake.requests == []


@pytest.mark.parametrize("history_has_keys", [True, False])
@pytest.mark.parametrize("timestamps", ["iso", "firestore"])
async def test_read_timeout_after_the_post_landed_is_unknown_then_lookup_finds_it(
    history_has_keys: bool, timestamps: str
) -> None:
    fake = FakeAyrshare(
        api_key=API_KEY,
        history_has_keys=history_has_keys,
        timestamps="iso" if timestamps == "iso" else "firestore",
    )
    profile = make_profile(fake, "facebook", "youtube")
    request = make_request(profile, [Network.FACEBOOK, Network.YOUTUBE])
    fake.stall_next("/post")  # never released: the answer is lost after the post is stored
    async with fake.http_client() as http:
        publisher = make_publisher(http, timeout=0.05)

        with pytest.raises(OutcomeUnknown) as caught:
            await publisher.publish(request)
        assert not isinstance(caught.value, DuplicateRequest)
        [record] = fake.posts_for(key_of(profile))

        found = await publisher.lookup(request, since=SINCE)

    assert fake.requests_to("GET", "/history")
    for entry in record["postIds"]:
        network = Network.FACEBOOK if entry["platform"] == "facebook" else Network.YOUTUBE
        assert found[network].kind is OutcomeKind.PUBLISHED
        assert found[network].url == entry["postUrl"]
        assert found[network].provider_post_id == record["id"]


async def test_lookup_of_a_post_posted_before_since_is_absent_without_keys() -> None:
    fake = FakeAyrshare(api_key=API_KEY, history_has_keys=False)
    profile = make_profile(fake, "facebook")
    request = make_request(profile, [Network.FACEBOOK])
    async with fake.http_client() as http:
        publisher = make_publisher(http)
        await publisher.publish(request)
        found = await publisher.lookup(request, since=NOW + timedelta(seconds=1))
    assert found == {Network.FACEBOOK: Outcome(OutcomeKind.ABSENT)}


@pytest.mark.parametrize("shape", ["409", "400"])
async def test_reused_idempotency_key_is_a_duplicate_settled_by_lookup(shape: str) -> None:
    fake = FakeAyrshare(api_key=API_KEY, duplicate_shape="409" if shape == "409" else "400")
    profile = make_profile(fake, "facebook", "linkedin")
    request = make_request(profile, [Network.FACEBOOK, Network.LINKEDIN])
    async with fake.http_client() as http:
        publisher = make_publisher(http)
        first = await publisher.publish(request)

        with pytest.raises(DuplicateRequest) as caught:
            await publisher.publish(request)
        assert isinstance(caught.value, OutcomeUnknown)

        found = await publisher.lookup(request, since=SINCE)

    assert len(fake.posts_for(key_of(profile))) == 1
    assert found == first
    [answer] = [r for r in fake.requests if r.method == "POST"][1:]
    assert answer.json["idempotencyKey"] == KEY


async def test_unreadable_200_is_unknown_and_lookup_settles_it(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    request = make_request(profile, [Network.FACEBOOK])
    fake.fail_next("/post", status=200, body=b"<html>upstream hiccup", process=True)
    publisher = make_publisher(http)

    with pytest.raises(OutcomeUnknown, match="unreadable"):
        await publisher.publish(request)

    found = await publisher.lookup(request, since=SINCE)
    assert found[Network.FACEBOOK].kind is OutcomeKind.PUBLISHED


async def test_unreadable_400_is_permanent_naming_the_status(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    fake.fail_next("/post", status=400, body=b"Bad Request")

    with pytest.raises(PermanentError) as caught:
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))

    assert caught.value.reason == (
        "Ayrshare refused the post (HTTP 400) and its answer was unreadable."
    )


async def test_monthly_quota_is_permanent_and_named(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    body = {"action": "post", "status": "error", "code": 106, "message": "Quota exceeded."}
    fake.fail_next("/post", status=400, json_body=body)

    with pytest.raises(PermanentError) as caught:
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))

    assert "monthly Ayrshare post quota" in caught.value.reason


async def test_wrong_api_key_is_permanent(fake: FakeAyrshare, http: httpx.AsyncClient) -> None:
    profile = make_profile(fake, "facebook")

    with pytest.raises(PermanentError, match="API key"):
        await make_publisher(http, api_key="wrong").publish(
            make_request(profile, [Network.FACEBOOK])
        )


async def test_profile_without_ayrshare_account_is_refused(http: httpx.AsyncClient) -> None:
    profile = Profile(9, Tier.PRO, "UTC", NOW)
    with pytest.raises(PermanentError):
        await make_publisher(http).publish(make_request(profile, [Network.FACEBOOK]))


# --- X and its app keys ------------------------------------------------------------------------


async def test_x_without_keys_is_never_sent(fake: FakeAyrshare, http: httpx.AsyncClient) -> None:
    profile = make_profile(fake, "instagram", "twitter")
    publisher = make_publisher(http)

    assert publisher.unavailable(Network.X) == X_NEEDS_KEYS
    assert publisher.unavailable(Network.INSTAGRAM) is None
    outcomes = await publisher.publish(make_request(profile, [Network.INSTAGRAM, Network.X]))

    [sent] = fake.requests_to("POST", "/post")
    assert sent.json["platforms"] == ["instagram"]
    assert "x-twitter-oauth1-api-key" not in sent.headers
    assert outcomes[Network.X] == Outcome(OutcomeKind.FAILED, reason=X_NEEDS_KEYS)
    assert outcomes[Network.INSTAGRAM].kind is OutcomeKind.PUBLISHED

    only_x = await publisher.publish(make_request(profile, [Network.X], key="pr-1-x"))
    assert only_x == {Network.X: Outcome(OutcomeKind.FAILED, reason=X_NEEDS_KEYS)}
    assert len(fake.requests) == 1


async def test_x_with_keys_sends_the_headers(fake: FakeAyrshare, http: httpx.AsyncClient) -> None:
    profile = make_profile(fake, "twitter")
    publisher = make_publisher(http, x_keys=True)

    assert publisher.unavailable(Network.X) is None
    outcomes = await publisher.publish(make_request(profile, [Network.X]))

    [sent] = fake.requests_to("POST", "/post")
    assert sent.json["platforms"] == ["twitter"]
    assert sent.headers["x-twitter-oauth1-api-key"] == X_KEY
    assert sent.headers["x-twitter-oauth1-api-secret"] == X_SECRET
    assert outcomes[Network.X].kind is OutcomeKind.PUBLISHED
    assert (outcomes[Network.X].url or "").startswith("https://x.com/")


# --- accounts and connections ------------------------------------------------------------------


async def test_create_account_makes_one_ayrshare_profile(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = Profile(42, Tier.PRO, "UTC", NOW)

    account = await make_publisher(http).create_account(profile)

    [created] = fake.profiles.values()
    assert re.fullmatch(r"postroom-42-[0-9a-f]{8}", created.title)
    assert account == AccountKey(created.ref_id, Secret(created.profile_key))
    assert account.key.value == created.profile_key
    assert len(fake.requests_to("POST", "/profiles")) == 1


async def test_connect_link_is_the_jwt_url_for_that_network(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake)
    publisher = make_publisher(http)

    link = await publisher.connect_link(profile, Network.X)

    [sent] = fake.requests_to("POST", "/profiles/generateJWT")
    assert sent.json["allowedSocial"] == ["twitter"]
    assert sent.json["profileKey"] == key_of(profile)
    assert sent.json["domain"] == "acme-postroom"
    assert sent.json["privateKey"] == PRIVATE_KEY
    assert sent.json["redirect"] == "https://postroom.example/connected"
    [token] = fake.jwts
    assert link == ConnectLink(
        Network.X,
        f"https://profile.ayrshare.com?domain=acme-postroom&jwt={token}",
        expires_minutes=5,
    )


async def test_connect_link_needs_the_jwt_setup(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake)
    with pytest.raises(PermanentError) as caught:
        await make_publisher(http, jwt=False).connect_link(profile, Network.TIKTOK)
    assert caught.value.reason == NO_JWT_SETUP
    assert fake.requests == []


async def test_connected_lists_linked_networks_with_names(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake)
    key = key_of(profile)
    publisher = make_publisher(http)

    assert await publisher.connected(profile) == {}  # activeSocialAccounts absent
    fake.link(key, "instagram", "Ada's Bakery")
    fake.link(key, "twitter", "@adasbakery")
    fake.link(key, "bluesky", "Ada on Bluesky")  # not a network Postroom publishes to

    assert await publisher.connected(profile) == {}  # the last answer, reused for a while
    assert await make_publisher(http).connected(profile) == {
        Network.INSTAGRAM: "Ada's Bakery",
        Network.X: "@adasbakery",
    }
    assert fake.requests_to("GET", "/user")[-1].headers["profile-key"] == key


# --- lookups and deletion ----------------------------------------------------------------------


async def test_lookup_uses_a_known_ayrshare_post_id(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook", "youtube", "linkedin")
    fake.fail_platform("linkedin", 161, "LinkedIn authorization error.")
    networks = [Network.FACEBOOK, Network.YOUTUBE, Network.LINKEDIN]
    request = make_request(profile, networks)
    publisher = make_publisher(http)
    first = await publisher.publish(request)
    provider_id = first[Network.FACEBOOK].provider_post_id
    assert fake.posts_for(key_of(profile))[0]["status"] == "error"  # a partial failure
    # Facebook settled; the other answers went missing, so only those are looked up.
    request.post.targets[Network.FACEBOOK].provider_post_id = provider_id
    unsettled = PublishRequest(request.post, (Network.YOUTUBE, Network.LINKEDIN), KEY, profile)

    found = await publisher.lookup(unsettled, since=SINCE)

    assert found[Network.YOUTUBE] == first[Network.YOUTUBE]
    assert found[Network.LINKEDIN] == first[Network.LINKEDIN]
    assert found[Network.LINKEDIN].reconnect is True
    assert fake.requests_to("GET", f"/post/{provider_id}")
    assert fake.requests_to("GET", "/history") == []


async def test_lookup_falls_back_to_history_when_the_post_id_is_unknown(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    request = make_request(profile, [Network.FACEBOOK])
    request.post.targets[Network.FACEBOOK].provider_post_id = "gone0000000000000000"

    found = await make_publisher(http).lookup(request, since=SINCE)

    assert found == {Network.FACEBOOK: Outcome(OutcomeKind.ABSENT)}
    assert fake.requests_to("GET", "/post/gone0000000000000000")
    assert fake.requests_to("GET", "/history")


async def test_lookup_finds_nothing_when_it_never_landed(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    fake.refuse_connections()
    publisher = make_publisher(http)
    request = make_request(profile, [Network.FACEBOOK, Network.X])
    with pytest.raises(TransientError):
        await publisher.publish(request)

    found = await publisher.lookup(request, since=SINCE)

    assert found == {
        Network.FACEBOOK: Outcome(OutcomeKind.ABSENT),
        Network.X: Outcome(OutcomeKind.FAILED, reason=X_NEEDS_KEYS),
    }


async def test_lookup_that_times_out_is_transient(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    fake.stall_next("/history", method="GET")

    with pytest.raises(TransientError):
        await make_publisher(http, timeout=0.05).lookup(
            make_request(profile, [Network.FACEBOOK]), since=SINCE
        )


async def test_lookup_reports_a_refusal_as_failed(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "instagram")
    fake.fail_platform("instagram", 436, "Media processing timed out.")
    request = make_request(profile, [Network.INSTAGRAM])
    publisher = make_publisher(http)
    sent = await publisher.publish(request)
    assert sent[Network.INSTAGRAM].kind is OutcomeKind.RETRY

    found = await publisher.lookup(request, since=SINCE)

    # The key is spent: re-sending it would be refused, so the lookup's answer is final.
    assert found[Network.INSTAGRAM].kind is OutcomeKind.FAILED


async def test_delete_removes_the_ayrshare_post(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook", "linkedin")
    request = make_request(profile, [Network.FACEBOOK, Network.LINKEDIN])
    publisher = make_publisher(http)
    outcomes = await publisher.publish(request)
    for network, outcome in outcomes.items():
        request.post.targets[network].provider_post_id = outcome.provider_post_id

    await publisher.delete(profile, request.post, [Network.FACEBOOK, Network.LINKEDIN])

    [sent] = fake.requests_to("DELETE", "/post")
    assert sent.json == {"id": outcomes[Network.FACEBOOK].provider_post_id}
    assert sent.headers["profile-key"] == key_of(profile)
    assert fake.posts_for(key_of(profile))[0]["status"] == "deleted"


async def test_delete_reports_what_instagram_keeps(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook", "instagram")
    request = make_request(profile, [Network.FACEBOOK, Network.INSTAGRAM])
    publisher = make_publisher(http)
    outcomes = await publisher.publish(request)
    for network, outcome in outcomes.items():
        request.post.targets[network].provider_post_id = outcome.provider_post_id

    with pytest.raises(PermanentError, match="Instagram app"):
        await publisher.delete(profile, request.post, [Network.FACEBOOK, Network.INSTAGRAM])

    assert len(fake.requests_to("DELETE", "/post")) == 1  # Facebook's copy still went


async def test_analytics_calls_return_the_json(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    profile = make_profile(fake, "facebook")
    client = AyrshareClient(http, base_url=BASE_URL, api_key=API_KEY)
    raw = await client.post({"post": "Hi", "platforms": ["facebook"]}, key_of(profile))
    post_id = fake.posts_for(key_of(profile))[0]["id"]
    assert raw.status == 200

    per_post = await client.analytics_post(post_id, key_of(profile), ["facebook"])
    social = await client.analytics_social(key_of(profile), ["facebook"])

    assert per_post["facebook"]["analytics"]["likeCount"] == 0
    assert "analytics" in social["facebook"]


# --- secrets stay out of logs ------------------------------------------------------------------


async def test_keys_never_reach_the_logs(
    fake: FakeAyrshare, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    profile = make_profile(fake, "facebook", "twitter")
    publisher = make_publisher(http, x_keys=True, timeout=0.05)
    fake.stall_next("/post")  # the first post times out, the second gets a 500
    fake.fail_next("/post", status=500, body=b"oops", times=2)
    fake.fail_next("/profiles/generateJWT", status=400, body=b"nope")
    request = make_request(profile, [Network.FACEBOOK, Network.X])

    errors: list[Exception] = []
    for call in (
        lambda: publisher.publish(request),
        lambda: publisher.publish(request),
        lambda: publisher.connect_link(profile, Network.FACEBOOK),
        lambda: make_publisher(http, api_key=API_KEY + "-bad").connected(profile),
    ):
        with pytest.raises((TransientError, PermanentError, OutcomeUnknown)) as caught:
            await call()
        errors.append(caught.value)

    secrets = [API_KEY, key_of(profile), X_KEY, X_SECRET, "PRIVATE-KEY-BODY-3f9c"]
    logged = [r.getMessage() for r in caplog.records]
    assert any("/post" in line for line in logged)  # the calls were logged at all
    for text in logged + [str(e) for e in errors] + [repr(publisher)]:
        for secret in secrets:
            assert secret not in text


async def test_unlink_removes_the_network_at_ayrshare(
    fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    publisher = make_publisher(http)
    profile = make_profile(fake, "linkedin", "facebook")
    assert set(await publisher.connected(profile) or {}) == {Network.LINKEDIN, Network.FACEBOOK}
    await publisher.unlink(profile, Network.LINKEDIN)
    (user,) = fake.profiles.values()
    assert set(user.linked) == {"facebook"}
    # The cached answer is dropped: the next read asks Ayrshare again.
    assert set(await publisher.connected(profile) or {}) == {Network.FACEBOOK}
    with pytest.raises(PermanentError, match=r"unlinking the network.*not linked"):
        await publisher.unlink(profile, Network.LINKEDIN)
