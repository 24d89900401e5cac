"""Tests for the sandbox publisher: URLs, injected failures, idempotency and lookups."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from adapters.sandbox import FailMode, SandboxPublisher, parse_fail_spec
from core import limits
from core.model import ChatPlatform, ChatRef, Network, Post, Profile, Route, Target, Tier
from core.ports import Outcome, OutcomeKind, PublishRequest

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
VIDEO = "https://cdn.example.com/media/clip.mp4"
IMAGE = "https://cdn.example.com/media/photo.jpg"
ALL = tuple(Network)


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def make_profile(profile_id: int = 7, display_name: str = "Ada's Bakery") -> Profile:
    return Profile(
        id=profile_id, tier=Tier.PRO, timezone="UTC", created_at=NOW, display_name=display_name
    )


def make_post(
    networks: tuple[Network, ...] = ALL,
    *,
    post_id: int = 1,
    text: str = "Fresh sourdough out of the oven 🍞",
    media: tuple[str, ...] = (VIDEO,),
) -> Post:
    return Post(
        id=post_id,
        profile_id=7,
        text=text,
        media=media,
        created_at=NOW,
        origin=ChatRef(ChatPlatform.CONSOLE, "console"),
        targets={n: Target(n, Route.AYRSHARE) for n in networks},
    )


def request(
    post: Post,
    key: str = "pr-1-round0",
    networks: tuple[Network, ...] | None = None,
    profile: Profile | None = None,
) -> PublishRequest:
    return PublishRequest(
        post, networks or tuple(post.targets), key, profile or make_profile(post.profile_id)
    )


def publisher(
    fail: dict[Network, FailMode] | None = None, route: Route = Route.AYRSHARE
) -> SandboxPublisher:
    return SandboxPublisher(route, fail=fail, clock=FixedClock(), seed=1234)


URL_PATTERNS = {
    Network.INSTAGRAM: r"https://www\.instagram\.com/p/[A-Za-z0-9_-]{11}/",
    Network.FACEBOOK: r"https://www\.facebook\.com/ada_s_bakery/posts/[1-9]\d{15}",
    Network.TIKTOK: r"https://www\.tiktok\.com/@ada_s_bakery/video/\d{19}",
    Network.YOUTUBE: r"https://youtu\.be/[A-Za-z0-9_-]{11}",
    Network.LINKEDIN: r"https://www\.linkedin\.com/feed/update/urn:li:share:\d{19}",
    Network.X: r"https://x\.com/ada_s_bakery/status/\d{19}",
}


async def test_publishes_to_every_network_with_plausible_urls() -> None:
    outcomes = await publisher().publish(request(make_post()))

    assert set(outcomes) == set(ALL)
    for network, outcome in outcomes.items():
        assert outcome.kind is OutcomeKind.PUBLISHED, network
        assert outcome.url is not None
        assert re.fullmatch(URL_PATTERNS[network], outcome.url), outcome.url
        assert outcome.external_id
        assert outcome.provider_post_id is not None
        assert outcome.provider_post_id.startswith("sbx-")
        assert outcome.reason is None
    # Native ids are the ones in the URLs, as the real networks give them.
    url = {n: o.url or "" for n, o in outcomes.items()}
    native = {n: o.external_id or "" for n, o in outcomes.items()}
    assert url[Network.TIKTOK].endswith("/" + native[Network.TIKTOK])
    assert url[Network.X].endswith("/" + native[Network.X])
    assert url[Network.YOUTUBE].endswith("/" + native[Network.YOUTUBE])
    assert url[Network.LINKEDIN].endswith("/" + native[Network.LINKEDIN])
    assert re.fullmatch(r"urn:li:share:\d{19}", native[Network.LINKEDIN])
    assert re.fullmatch(r"\d{17}", native[Network.INSTAGRAM])
    page_id, _, story_id = native[Network.FACEBOOK].partition("_")
    assert page_id.isdigit()
    assert url[Network.FACEBOOK].endswith(f"/posts/{story_id}")


async def test_handle_falls_back_to_profile_id_without_display_name() -> None:
    post = make_post((Network.X, Network.TIKTOK))
    profile = make_profile(42, display_name="")

    outcomes = await publisher().publish(request(post, profile=profile))

    assert re.fullmatch(r"https://x\.com/postroom_42/status/\d{19}", outcomes[Network.X].url or "")
    assert (outcomes[Network.TIKTOK].url or "").startswith("https://www.tiktok.com/@postroom_42/")


async def test_published_posts_are_recorded_with_the_clock_time() -> None:
    sandbox = publisher()
    outcomes = await sandbox.publish(request(make_post((Network.X, Network.LINKEDIN)), "k-9"))

    held = {p.network: p for p in sandbox.posts()}
    assert set(held) == {Network.X, Network.LINKEDIN}
    assert all(p.published_at == NOW and p.idempotency_key == "k-9" for p in held.values())
    assert held[Network.X].outcome == outcomes[Network.X]


async def test_repeated_idempotency_key_returns_the_same_post_not_a_second_one() -> None:
    sandbox = publisher()
    post = make_post((Network.INSTAGRAM, Network.X))

    first = await sandbox.publish(request(post, "pr-1-a"))
    again = await sandbox.publish(request(post, "pr-1-a"))

    assert again == first
    assert len(sandbox.posts()) == 2
    # A new key (a manual retry round) is a genuinely new post with a new URL.
    other = await sandbox.publish(request(post, "pr-1-b"))
    assert other[Network.X].kind is OutcomeKind.PUBLISHED
    assert other[Network.X].url != first[Network.X].url
    assert len(sandbox.posts()) == 4


async def test_once_fails_the_first_attempt_and_the_retry_round_succeeds() -> None:
    sandbox = publisher({Network.TIKTOK: FailMode.ONCE})
    post = make_post((Network.TIKTOK, Network.YOUTUBE))

    first = await sandbox.publish(request(post, "pr-1-round0"))

    assert first[Network.TIKTOK] == Outcome(
        OutcomeKind.FAILED,
        reason="TikTok rejected the post: video too short (sandbox failure)",
    )
    assert first[Network.YOUTUBE].kind is OutcomeKind.PUBLISHED
    # Core retries the failed target alone, in a new round with a new key.
    retried = await sandbox.publish(request(post, "pr-1-round1", (Network.TIKTOK,)))
    assert retried[Network.TIKTOK].kind is OutcomeKind.PUBLISHED
    assert retried[Network.TIKTOK].url is not None
    # "Once" is per post: another post fails its first attempt too.
    second_post = make_post((Network.TIKTOK,), post_id=2)
    other = await sandbox.publish(request(second_post, "pr-2-round0"))
    assert other[Network.TIKTOK].kind is OutcomeKind.FAILED


async def test_always_fails_every_attempt() -> None:
    sandbox = publisher({Network.X: FailMode.ALWAYS})
    post = make_post((Network.X,))

    for key in ("pr-1-round0", "pr-1-round1", "pr-1-round2"):
        outcome = (await sandbox.publish(request(post, key)))[Network.X]
        assert outcome.kind is OutcomeKind.FAILED
        assert outcome.reason == "X rejected the post: duplicate content (sandbox failure)"
    found = await sandbox.lookup(request(post, "pr-1-round2"), since=NOW)
    assert found[Network.X].kind is OutcomeKind.ABSENT


async def test_transient_asks_for_a_retry_then_the_same_request_succeeds() -> None:
    sandbox = publisher({Network.TIKTOK: FailMode.TRANSIENT})
    post = make_post((Network.TIKTOK, Network.FACEBOOK))

    first = await sandbox.publish(request(post, "pr-1-round0"))

    assert first[Network.TIKTOK] == Outcome(
        OutcomeKind.RETRY, reason="Sandbox: TikTok is busy (simulated 503)"
    )
    assert first[Network.FACEBOOK].kind is OutcomeKind.PUBLISHED
    # The automatic re-send keeps the key.
    again = await sandbox.publish(request(post, "pr-1-round0", (Network.TIKTOK,)))
    assert again[Network.TIKTOK].kind is OutcomeKind.PUBLISHED


async def test_timeout_is_unknown_but_a_lookup_finds_it_published() -> None:
    sandbox = publisher({Network.INSTAGRAM: FailMode.TIMEOUT})
    post = make_post((Network.INSTAGRAM,), media=(IMAGE,))
    req = request(post, "pr-1-round0")

    first = await sandbox.publish(req)

    assert first[Network.INSTAGRAM].kind is OutcomeKind.UNKNOWN
    assert first[Network.INSTAGRAM].url is None
    found = (await sandbox.lookup(req, since=NOW - timedelta(minutes=5)))[Network.INSTAGRAM]
    assert found.kind is OutcomeKind.PUBLISHED
    assert re.fullmatch(URL_PATTERNS[Network.INSTAGRAM], found.url or "")
    # Sending the same request again does not make a second copy.
    assert (await sandbox.publish(req))[Network.INSTAGRAM] == found
    assert len(sandbox.posts()) == 1


async def test_content_the_network_refuses_fails_with_the_limits_reason() -> None:
    sandbox = publisher()
    post = make_post((Network.TIKTOK, Network.X, Network.LINKEDIN), text="x" * 300, media=())

    outcomes = await sandbox.publish(request(post))

    tiktok = limits.problems(Network.TIKTOK, post.text, ())
    assert tiktok  # TikTok needs a video or photos
    assert outcomes[Network.TIKTOK] == Outcome(OutcomeKind.FAILED, reason=" ".join(tiktok))
    assert outcomes[Network.X].kind is OutcomeKind.FAILED
    assert "280" in (outcomes[Network.X].reason or "")
    assert outcomes[Network.LINKEDIN].kind is OutcomeKind.PUBLISHED
    found = await sandbox.lookup(request(post), since=NOW)
    assert found[Network.TIKTOK].kind is OutcomeKind.ABSENT


async def test_refused_content_does_not_use_up_an_injected_failure() -> None:
    sandbox = publisher({Network.TIKTOK: FailMode.ONCE})

    refused = await sandbox.publish(request(make_post((Network.TIKTOK,), media=()), "k0"))
    fixed = await sandbox.publish(request(make_post((Network.TIKTOK,)), "k1"))

    assert "needs" in (refused[Network.TIKTOK].reason or "")
    assert fixed[Network.TIKTOK].reason == (
        "TikTok rejected the post: video too short (sandbox failure)"
    )


async def test_lookup_and_delete() -> None:
    sandbox = publisher()
    post = make_post((Network.X, Network.FACEBOOK))
    published = await sandbox.publish(request(post, "pr-1-round0"))

    found = await sandbox.lookup(request(post, "pr-1-round0"), since=NOW)
    assert found == published
    unknown_key = await sandbox.lookup(request(post, "pr-1-round9"), since=NOW)
    assert {o.kind for o in unknown_key.values()} == {OutcomeKind.ABSENT}

    await sandbox.delete(make_profile(), post, [Network.X])

    after = await sandbox.lookup(request(post, "pr-1-round0"), since=NOW)
    assert after[Network.X].kind is OutcomeKind.ABSENT
    assert after[Network.FACEBOOK] == published[Network.FACEBOOK]


async def test_accounts_and_connections() -> None:
    ayrshare = publisher()
    instagram = publisher(route=Route.INSTAGRAM_GRAPH)
    profile = make_profile(7)

    account = await ayrshare.create_account(profile)

    assert account is not None
    assert account.ref == "sandbox-7"
    assert len(account.key.value) >= 16
    assert account.key.value not in repr(account)
    assert await instagram.create_account(profile) is None
    assert instagram.route is Route.INSTAGRAM_GRAPH
    link = await ayrshare.connect_link(profile, Network.TIKTOK)
    assert (link.network, link.url, link.completes_at_once) == (Network.TIKTOK, None, True)
    assert await ayrshare.connected(profile) is None
    assert all(ayrshare.unavailable(n) is None for n in Network)


async def test_same_seed_gives_the_same_urls() -> None:
    post = make_post()
    a = await SandboxPublisher(Route.AYRSHARE, clock=FixedClock(), seed=5).publish(request(post))
    b = await SandboxPublisher(Route.AYRSHARE, clock=FixedClock(), seed=5).publish(request(post))
    c = await SandboxPublisher(Route.AYRSHARE, clock=FixedClock(), seed=6).publish(request(post))

    assert a == b
    assert a != c


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("tiktok", {Network.TIKTOK: FailMode.ONCE}),
        (
            " tiktok:always, x:transient ,instagram:timeout,youtube:once,",
            {
                Network.TIKTOK: FailMode.ALWAYS,
                Network.X: FailMode.TRANSIENT,
                Network.INSTAGRAM: FailMode.TIMEOUT,
                Network.YOUTUBE: FailMode.ONCE,
            },
        ),
        ("Twitter:ALWAYS,fb", {Network.X: FailMode.ALWAYS, Network.FACEBOOK: FailMode.ONCE}),
    ],
)
def test_parse_fail_spec(text: str, expected: dict[Network, FailMode]) -> None:
    assert parse_fail_spec(text) == expected


def test_parse_fail_spec_names_an_unknown_network_and_the_allowed_ones() -> None:
    with pytest.raises(ValueError) as caught:
        parse_fail_spec("tiktok,myspace:always")
    message = str(caught.value)
    assert "'myspace'" in message
    assert "instagram, facebook, tiktok, youtube, linkedin, x" in message


def test_parse_fail_spec_names_an_unknown_mode_and_the_allowed_ones() -> None:
    with pytest.raises(ValueError) as caught:
        parse_fail_spec("tiktok:sometimes")
    message = str(caught.value)
    assert "'sometimes'" in message
    assert "'tiktok:sometimes'" in message
    assert "once, always, transient, timeout" in message


@pytest.mark.parametrize("text", ["tiktok:", "x,x:always"])
def test_parse_fail_spec_refuses_empty_modes_and_repeats(text: str) -> None:
    with pytest.raises(ValueError, match="POSTROOM_SANDBOX_FAIL"):
        parse_fail_spec(text)


def test_a_request_refuses_networks_with_different_versions() -> None:
    post = make_post((Network.X, Network.LINKEDIN), text="Main text")
    post.targets[Network.X].text = "Short for X"
    assert request(post, networks=(Network.LINKEDIN,)).text == "Main text"
    assert request(post, networks=(Network.X,)).text == "Short for X"
    with pytest.raises(AssertionError, match="2 texts"):
        request(post)
    post.targets[Network.LINKEDIN].text = "Short for X"  # the same version: one text
    assert request(post).text == "Short for X"
