"""Fault injection against the fake Ayrshare, through AyrsharePublisher and the pipeline on the
real database: every target's final state, the POSTs Ayrshare received, the chat notices."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from adapters.ayrshare import records, wire
from core import errors
from core.actions import Action
from core.model import ConnectionStatus, Network, Route
from core.ports import OutcomeKind, UnitOfWorkFactory
from core.states import PostState, TargetState
from tests.fakes.ayrshare_api import FakeAyrshare
from tests.fakes.clock import FixedClock
from tests.pipeline.support import World, ayrshare

S = TargetState
IG, FB, LI, YT = Network.INSTAGRAM, Network.FACEBOOK, Network.LINKEDIN, Network.YOUTUBE
TEXT = "Launch day! Our new app is live"
HTML_503 = b"<html><body>503 Service Unavailable</body></html>"


def make_world(
    uow: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
    http: httpx.AsyncClient,
    *,
    timeout: float = 5.0,
) -> World:
    return World(uow, clock, {Route.AYRSHARE: ayrshare(fake, http, timeout=timeout)}, fake=fake)


@pytest.fixture
def world(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> World:
    return make_world(uow_factory, clock, fake, http)


def keys_sent(fake: FakeAyrshare) -> list[str]:
    return [r.json["idempotencyKey"] for r in fake.requests_to("POST", "/post")]


# --- rate limits -----------------------------------------------------------------------------


async def test_429_with_used_up_window_waits_the_window_and_holds_the_whole_profile(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    start = clock.now()
    fake.fail_next(
        "/post",
        status=429,
        json_body={"status": "error", "message": "Too many requests."},
        headers={"x-ratelimit-max": "300", "x-ratelimit-count": "300"},
    )

    await world.pipeline.tick()

    stored = await world.get(post.id)
    window = start + timedelta(seconds=wire.RATE_WINDOW)
    for t in stored.targets.values():
        assert (t.state, t.due_at, t.attempts) == (S.SCHEDULED, window, 1)
        assert t.error is not None and "rate limit" in t.error
    assert world.posts_sent() == 1
    # The profile waits as a whole: another of its posts falling due meanwhile is not sent.
    clock.advance(timedelta(minutes=1))
    second = await world.post(ana, FB, text="Second post")
    await world.pipeline.tick()
    assert world.posts_sent() == 1
    waiting = (await world.get(second.id)).targets[FB]
    assert (waiting.state, waiting.due_at, waiting.attempts) == (S.SCHEDULED, window, 0)

    clock.set(window)
    await world.pipeline.run_until_idle()

    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.PUBLISHED}
    assert await world.states(second.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 3
    assert keys_sent(fake)[0] == keys_sent(fake)[1]  # the refused request kept its key
    assert set(world.published_copies(ana).values()) == {1}
    assert len(world.published_copies(ana)) == 3
    assert world.notices() == []


async def test_429_with_retry_after_waits_that_long(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.fail_next("/post", status=429, json_body={}, headers={"Retry-After": "17"})

    await world.pipeline.tick()

    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.due_at) == (S.SCHEDULED, clock.now() + timedelta(seconds=17))
    clock.advance(timedelta(seconds=16))
    await world.pipeline.tick()
    assert world.posts_sent() == 1
    clock.advance(timedelta(seconds=1))
    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 2


# --- server errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
async def test_server_error_is_retried_with_backoff_and_the_same_key(
    world: World, fake: FakeAyrshare, clock: FixedClock, status: int
) -> None:
    ana = await world.profile("ana", [FB, YT])
    post = await world.post(ana, FB, YT)
    fake.fail_next("/post", status=status, body=HTML_503)

    await world.pipeline.tick()

    stored = await world.get(post.id)
    dues = {t.due_at for t in stored.targets.values()}
    assert len(dues) == 1  # one wait for the request: its targets stay together
    [due] = dues
    assert due is not None
    assert timedelta(seconds=4) <= due - clock.now() <= timedelta(seconds=6)  # 5 s ± jitter
    assert world.progress_of(stored).fields[0].value == "🕒 pending"

    clock.set(due)
    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED, YT: S.PUBLISHED}
    assert world.posts_sent() == 2
    first, second = fake.requests_to("POST", "/post")
    assert first.json == second.json  # same body, same platforms, same idempotencyKey
    assert set(world.published_copies(ana).values()) == {1}
    assert world.notices() == []


async def test_three_server_errors_give_up_after_a_lookup_and_notify_once(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    fake.fail_next("/post", status=503, body=HTML_503, times=3)
    waits = []
    for _ in range(3):
        await world.pipeline.tick()
        target = (await world.get(post.id)).targets[FB]
        assert target.due_at is not None
        waits.append(target.due_at - clock.now())
        clock.set(target.due_at)
    # 5 s, then 10 s, with jitter; then a lookup before anything is called failed.
    assert timedelta(seconds=4) <= waits[0] <= timedelta(seconds=6)
    assert timedelta(seconds=8) <= waits[1] <= timedelta(seconds=12)
    assert await world.states(post.id) == {FB: S.UNCONFIRMED, LI: S.UNCONFIRMED}
    assert world.notices() == []

    await world.pipeline.tick()  # Ayrshare's history may lag: nothing is concluded yet
    assert await world.states(post.id) == {FB: S.UNCONFIRMED, LI: S.UNCONFIRMED}
    clock.advance(timedelta(minutes=2))
    await world.pipeline.tick()

    stored = await world.get(post.id)
    for t in stored.targets.values():
        assert t.state is S.FAILED
        assert t.error == (
            "Gave up after 3 attempts: Ayrshare had a server error (HTTP 503); trying again later."
        )
    assert world.posts_sent() == 3
    assert len(set(keys_sent(fake))) == 1
    assert fake.requests_to("GET", "/history")
    [notice] = world.notices()
    assert notice.text.startswith(f"❌ Post #{post.id} was not published to Facebook, LinkedIn")
    assert [b.body for row in notice.buttons for b in row] == [
        f"{Action.RETRY}:{post.id}:facebook",
        f"{Action.RETRY}:{post.id}:linkedin",
    ]
    assert world.progress_of(stored).text.endswith("0 of 2 published")

    # The author retries: a new round, a new key, published once.
    await world.tap("ana", f"{Action.RETRY}:{post.id}:facebook")
    await world.pipeline.tick()
    assert (await world.states(post.id))[FB] is S.PUBLISHED
    assert keys_sent(fake)[-1] != keys_sent(fake)[0]
    assert world.published_copies(ana) == {(TEXT, "facebook"): 1}


@pytest.mark.parametrize("shape", ["409", "400"])
async def test_server_error_after_the_post_landed_is_settled_as_published(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, shape: str
) -> None:
    fake = FakeAyrshare(api_key="sk-test-pipeline-0001", now=clock.now(), duplicate_shape=shape)  # type: ignore[arg-type]
    async with fake.http_client() as http:
        world = make_world(uow_factory, clock, fake, http)
        ana = await world.profile("ana", [FB, LI])
        post = await world.post(ana, FB, LI)
        # Ayrshare posts it, then its gateway answers 503: the re-send is refused as a
        # duplicate key, which is looked up, never shown as a failure.
        fake.fail_next("/post", status=503, body=HTML_503, process=True)

        await world.pipeline.tick()
        due = (await world.get(post.id)).targets[FB].due_at
        assert due is not None
        clock.set(due)
        await world.pipeline.tick()
        stored = await world.get(post.id)
        assert stored.state is PostState.UNCONFIRMED
        assert "checking whether it went out" in world.progress_of(stored).fields[0].value
        clock.advance(timedelta(seconds=30))
        await world.pipeline.tick()

    stored = await world.get(post.id)
    assert stored.state is PostState.PUBLISHED
    [record] = fake.posts_for(ana.accounts[Route.AYRSHARE].key.value)
    assert {t.provider_post_id for t in stored.targets.values()} == {record["id"]}
    assert world.posts_sent() == 2
    assert len(set(keys_sent(fake))) == 1
    assert set(world.published_copies(ana).values()) == {1}
    assert world.notices() == []
    assert all(t.error is None for t in stored.targets.values())


# --- connection failures and timeouts ------------------------------------------------------


@pytest.mark.parametrize("error", [httpx.ConnectTimeout, httpx.ConnectError])
async def test_connection_failure_is_retried_and_never_reached_ayrshare(
    world: World, fake: FakeAyrshare, clock: FixedClock, error: type[httpx.TransportError]
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.refuse_connections(1, error)

    await world.pipeline.tick()

    target = (await world.get(post.id)).targets[FB]
    assert (target.state, target.attempts) == (S.SCHEDULED, 1)
    assert world.posts_sent() == 0
    assert target.due_at is not None
    clock.set(target.due_at)
    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 1
    assert world.notices() == []


@pytest.mark.parametrize("answer_arrives_later", [False, True])
async def test_read_timeout_after_the_post_landed_is_looked_up_never_sent_again(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    fake: FakeAyrshare,
    http: httpx.AsyncClient,
    answer_arrives_later: bool,
) -> None:
    world = make_world(uow_factory, clock, fake, http, timeout=0.2)
    ana = await world.profile("ana", [FB, YT])
    post = await world.post(ana, FB, YT)
    answer = fake.stall_next("/post")  # posted at once; the answer is held back

    await world.pipeline.tick()
    if answer_arrives_later:
        answer.set()  # a slow success: it answers after the client gave up

    stored = await world.get(post.id)
    assert stored.state is PostState.UNCONFIRMED
    for t in stored.targets.values():
        assert t.due_at == clock.now() + timedelta(seconds=30)
    assert len(fake.posts_for(ana.accounts[Route.AYRSHARE].key.value)) == 1

    clock.advance(timedelta(seconds=30))
    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED, YT: S.PUBLISHED}
    assert world.posts_sent() == 1
    assert fake.requests_to("GET", "/history")
    assert set(world.published_copies(ana).values()) == {1}
    assert world.notices() == []


async def test_read_timeout_before_the_post_landed_resends_with_the_same_key(
    uow_factory: UnitOfWorkFactory, clock: FixedClock, fake: FakeAyrshare, http: httpx.AsyncClient
) -> None:
    world = make_world(uow_factory, clock, fake, http, timeout=0.2)
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    # The request is lost before Ayrshare handles it, and no answer comes.
    fake.fail_next("/post", status=502, body=b"")
    fake.stall_next("/post")

    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.UNCONFIRMED}
    clock.advance(timedelta(seconds=30))
    await world.pipeline.tick()  # not in the history yet, which may lag: keep looking
    assert await world.states(post.id) == {FB: S.UNCONFIRMED}
    assert world.posts_sent() == 1
    clock.advance(timedelta(minutes=2))
    await world.pipeline.run_until_idle()

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 2
    assert len(set(keys_sent(fake))) == 1
    assert world.published_copies(ana) == {(TEXT, "facebook"): 1}


# --- per-network outcomes --------------------------------------------------------------------


async def test_partial_failure_fails_one_network_notifies_once_and_retries_it_alone(
    world: World, fake: FakeAyrshare
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    fake.fail_platform("linkedin", 132, "Post text exceeds LinkedIn's limit.")

    await world.pipeline.tick()

    stored = await world.get(post.id)
    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.FAILED}
    assert stored.targets[LI].error == "The text is too long for LinkedIn."
    assert stored.targets[FB].url is not None
    assert stored.state is PostState.PARTIAL
    [notice] = world.notices()
    assert f"Post #{post.id} was not published to LinkedIn" in notice.text
    assert [(f.label, f.value) for f in notice.fields] == [
        ("LinkedIn", "The text is too long for LinkedIn.")
    ]
    [[retry]] = notice.buttons
    assert retry.body == f"{Action.RETRY}:{post.id}:linkedin"
    [chat, _, _] = world.messenger.sent[-1]
    assert chat == stored.origin
    assert world.progress_of(stored).text.endswith("1 of 2 published")

    del fake.platform_errors["linkedin"]
    await world.tap("ana", retry.callback_data, stored.progress)
    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.PUBLISHED}
    first, second = fake.requests_to("POST", "/post")
    assert second.json["platforms"] == ["linkedin"]  # retried alone
    assert second.json["idempotencyKey"] != first.json["idempotencyKey"]
    assert world.published_copies(ana) == {(TEXT, "facebook"): 1, (TEXT, "linkedin"): 1}
    assert len(world.notices()) == 1


async def test_instagram_processing_timeout_is_resent_with_a_fresh_key(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG, FB])
    post = await world.post(ana, IG, FB)
    fake.fail_platform("instagram", 436, "Media processing timed out.")

    await world.pipeline.tick()

    ig = (await world.get(post.id)).targets[IG]
    assert (ig.state, ig.round, ig.attempts) == (S.SCHEDULED, 1, 1)
    assert (await world.states(post.id))[FB] is S.PUBLISHED
    del fake.platform_errors["instagram"]
    assert ig.due_at is not None
    clock.set(ig.due_at)
    await world.pipeline.tick()

    assert await world.states(post.id) == {IG: S.PUBLISHED, FB: S.PUBLISHED}
    first, second = fake.requests_to("POST", "/post")
    assert second.json["platforms"] == ["instagram"]
    # Ayrshare processed the first request, so its key would be refused as a duplicate.
    assert second.json["idempotencyKey"] != first.json["idempotencyKey"]
    assert world.published_copies(ana) == {(TEXT, "instagram"): 1, (TEXT, "facebook"): 1}
    assert world.notices() == []


async def test_instagram_processing_timeout_three_times_fails_without_a_lookup(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [IG])
    post = await world.post(ana, IG)
    fake.fail_platform("instagram", 436, "Media processing timed out.")
    for _ in range(3):
        await world.pipeline.tick()
        due = (await world.get(post.id)).targets[IG].due_at
        if due is not None:
            clock.set(due)

    ig = (await world.get(post.id)).targets[IG]
    assert ig.state is S.FAILED
    assert ig.error == "Gave up after 3 attempts: Instagram took too long to process the media."
    assert len(set(keys_sent(fake))) == 3  # every re-send had a fresh key
    assert fake.requests_to("GET", "/history") == []
    assert len(world.notices()) == 1


def test_only_per_network_retries_spend_the_key() -> None:
    body = (
        b'{"status":"error","id":"p1","postIds":[],"errors":'
        b'[{"platform":"instagram","code":436,"message":"slow"}]}'
    )
    [outcome] = records.parse_post_response(wire.RawResponse(400, {}, body), [IG]).values()
    assert (outcome.kind, outcome.key_spent) == (OutcomeKind.RETRY, True)
    looked_up = records.outcomes_from_record({"id": "p1", "status": "error", **_errors(436)}, [IG])
    assert (looked_up[IG].kind, looked_up[IG].key_spent) == (OutcomeKind.FAILED, False)
    # A request-level error has no per-network outcome: the pipeline keeps the key for it.
    with pytest.raises(errors.TransientError):
        records.parse_post_response(wire.RawResponse(503, {}, HTML_503), [IG])


def _errors(code: int) -> dict[str, object]:
    return {"errors": [{"platform": "instagram", "code": code, "message": "slow"}]}


async def test_unlinked_network_fails_at_once_and_asks_to_reconnect(
    world: World, fake: FakeAyrshare
) -> None:
    ana = await world.profile("ana", [FB, LI])
    key = ana.accounts[Route.AYRSHARE].key.value
    fake.unlink(key, "linkedin")  # unlinked at Ayrshare after it was connected here
    post = await world.post(ana, FB, LI)

    await world.pipeline.tick()

    stored = await world.get(post.id)
    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.FAILED}
    assert (
        stored.targets[LI].error == "LinkedIn isn't linked any more. Reconnect LinkedIn: /connect"
    )
    async with world.uow() as uow:
        profile = await uow.profiles.get(ana.id)
    assert profile is not None
    assert profile.connections[LI].status is ConnectionStatus.BROKEN
    assert world.posts_sent() == 1
    assert len(world.notices()) == 1


# --- malformed answers -----------------------------------------------------------------------


async def test_unreadable_200_after_posting_is_looked_up_and_found(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.fail_next("/post", status=200, body=b"<html>ok</html>", process=True)

    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.UNCONFIRMED}
    clock.advance(timedelta(seconds=30))
    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 1
    assert world.published_copies(ana) == {(TEXT, "facebook"): 1}
    assert world.notices() == []


async def test_200_without_results_that_never_landed_is_resent_with_the_same_key(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.fail_next("/post", status=200, json_body={"status": "success"})

    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.UNCONFIRMED}
    clock.advance(timedelta(minutes=2))
    await world.pipeline.run_until_idle()

    assert await world.states(post.id) == {FB: S.PUBLISHED}
    assert world.posts_sent() == 2
    assert len(set(keys_sent(fake))) == 1
    assert world.published_copies(ana) == {(TEXT, "facebook"): 1}


async def test_answer_silent_about_a_network_is_looked_up_for_it(
    world: World, fake: FakeAyrshare, clock: FixedClock
) -> None:
    ana = await world.profile("ana", [FB, LI])
    post = await world.post(ana, FB, LI)
    partial = {
        "status": "success",
        "id": "x1",
        "postIds": [{"status": "success", "platform": "facebook", "id": "1", "postUrl": "u"}],
    }
    fake.fail_next("/post", status=200, json_body=partial, process=True)

    await world.pipeline.tick()
    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.UNCONFIRMED}
    clock.advance(timedelta(seconds=30))
    await world.pipeline.tick()

    assert await world.states(post.id) == {FB: S.PUBLISHED, LI: S.PUBLISHED}
    assert world.posts_sent() == 1


async def test_unreadable_400_fails_with_the_reason_and_one_notice(
    world: World, fake: FakeAyrshare
) -> None:
    ana = await world.profile("ana", [FB])
    post = await world.post(ana, FB)
    fake.fail_next("/post", status=400, body=b"\x00\xffnot json")

    await world.pipeline.tick()

    target = (await world.get(post.id)).targets[FB]
    assert target.state is S.FAILED
    assert target.error == "Ayrshare refused the post (HTTP 400) and its answer was unreadable."
    assert world.posts_sent() == 1
    [notice] = world.notices()
    assert notice.fields[0].value == target.error
