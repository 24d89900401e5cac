"""The Free tier's Instagram Graph publisher through the real pipeline and database, against
the fake Graph publishing API: image, reel, carousel, container failures, a lost publish
answer, the 24 h publishing limit and a dead token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from adapters.instagram.publisher import InstagramGraphPublisher
from core.model import AccountKey, ConnectionStatus, Network, Post, Profile, Route, Secret, Target
from core.ports import UnitOfWorkFactory
from core.states import TargetState
from tests.fakes.clock import FixedClock
from tests.fakes.instagram_publish import BASE_URL, IG_USER, TOKEN, FakeInstagramPublish
from tests.pipeline.support import World, chat_of

IG = Network.INSTAGRAM
S = TargetState
IMAGE = "https://cdn.example.com/media/cat.jpg"
REEL = "https://cdn.example.com/media/launch.mp4"
TEXT = "Launch day on Instagram"


@pytest.fixture
def ig(clock: FixedClock) -> FakeInstagramPublish:
    return FakeInstagramPublish(clock)


@pytest.fixture
async def ig_http(ig: FakeInstagramPublish) -> AsyncIterator[httpx.AsyncClient]:
    async with ig.http_client() as client:
        yield client


async def _no_sleep(_: float) -> None:
    return None


def make_world(
    uow: UnitOfWorkFactory, clock: FixedClock, http: httpx.AsyncClient, timeout: float = 5.0
) -> World:
    publisher = InstagramGraphPublisher(
        http, base_url=BASE_URL, clock=clock, app_configured=True, timeout=timeout, sleep=_no_sleep
    )
    return World(uow, clock, {Route.INSTAGRAM_GRAPH: publisher})


@pytest.fixture
def world(uow_factory: UnitOfWorkFactory, clock: FixedClock, ig_http: httpx.AsyncClient) -> World:
    return make_world(uow_factory, clock, ig_http)


async def free_profile(world: World) -> Profile:
    """A profile whose Instagram token is stored as the connect flow stores it."""
    profile = await world.profile("ana", [IG])
    async with world.uow() as uow:
        stored = await uow.profiles.get(profile.id)
        assert stored is not None
        stored.accounts[Route.INSTAGRAM_GRAPH] = AccountKey(IG_USER, Secret(TOKEN))
        await uow.profiles.save(stored)
        await uow.commit()
    return stored


async def ig_post(world: World, profile: Profile, *media: str, text: str = TEXT) -> Post:
    now = world.clock.now()
    post = Post(
        0,
        profile.id,
        text,
        media,
        now - timedelta(hours=1),
        chat_of("ana"),
        scheduled_at=now,
        targets={IG: Target(IG, Route.INSTAGRAM_GRAPH, S.SCHEDULED, due_at=now)},
    )
    async with world.uow() as uow:
        post = await uow.posts.add(post)
        await uow.commit()
    return post


async def test_image_is_published_with_its_permalink(
    world: World, ig: FakeInstagramPublish
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.PUBLISHED
    [media] = ig.media
    assert (t.url, t.external_id) == (media.permalink, media.id)
    [created] = ig.calls("POST", "/media")
    assert (created["image_url"], created["caption"]) == (IMAGE, TEXT)
    assert ig.calls("GET", "/content_publishing_limit")
    [field] = world.progress_of(await world.get(post.id)).fields
    assert (field.label, field.url) == ("Instagram", media.permalink)


async def test_video_goes_out_as_a_reel(world: World, ig: FakeInstagramPublish) -> None:
    post = await ig_post(world, await free_profile(world), REEL)
    await world.pipeline.tick()
    assert await world.states(post.id) == {IG: S.PUBLISHED}
    [created] = ig.calls("POST", "/media")
    assert (created["media_type"], created["video_url"]) == ("REELS", REEL)


async def test_carousel_children_then_one_carousel_container(
    world: World, ig: FakeInstagramPublish
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE, REEL, IMAGE)
    await world.pipeline.tick()
    assert await world.states(post.id) == {IG: S.PUBLISHED}
    *children, parent = ig.calls("POST", "/media")
    assert [c.get("is_carousel_item") for c in children] == ["true"] * 3
    assert all("caption" not in c for c in children)
    assert parent["media_type"] == "CAROUSEL" and len(parent["children"].split(",")) == 3
    assert len(ig.media) == 1 and len(ig.calls("POST", "/media_publish")) == 1


@pytest.mark.parametrize(
    ("status_code", "status", "shown"),
    [
        ("ERROR", "Error: the aspect ratio is not supported (2207009)", "aspect ratio"),
        ("EXPIRED", "", "expired"),
    ],
)
async def test_container_error_or_expired_fails_with_instagrams_reason(
    world: World, ig: FakeInstagramPublish, status_code: str, status: str, shown: str
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.next_failure = (status_code, status)
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.FAILED and t.error is not None and shown in t.error
    assert ig.media == [] and ig.calls("POST", "/media_publish") == []


async def test_lost_publish_answer_is_looked_up_and_published_once(
    uow_factory: UnitOfWorkFactory,
    clock: FixedClock,
    ig: FakeInstagramPublish,
    ig_http: httpx.AsyncClient,
) -> None:
    world = make_world(uow_factory, clock, ig_http, timeout=0.2)
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.stall_publish = True  # Instagram publishes; the answer never comes
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.UNCONFIRMED
    [container] = ig.calls("POST", "/media_publish")
    assert t.provider_post_id == container["creation_id"]

    clock.advance(timedelta(minutes=5))
    await world.pipeline.tick()

    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.PUBLISHED
    [media] = ig.media
    assert (t.url, t.external_id) == (media.permalink, media.id)
    assert len(ig.calls("POST", "/media_publish")) == 1
    assert len(ig.calls("POST", "/media")) == 1


async def test_limit_reached_is_refused_with_the_time_a_slot_frees(
    world: World, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    ig.posted_at(clock.now() - timedelta(hours=20), 50)
    post = await ig_post(world, await free_profile(world), IMAGE)
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.FAILED and t.error is not None
    frees = clock.now() + timedelta(hours=4)
    assert "50 posts per 24 hours" in t.error
    assert f"{frees:%H:%M}" in t.error
    assert ig.calls("POST", "/media") == []


async def test_code_190_fails_with_reconnect_and_marks_the_connection_broken(
    world: World, ig: FakeInstagramPublish
) -> None:
    profile = await free_profile(world)
    post = await ig_post(world, profile, IMAGE)
    ig.token = "a-newer-token-we-do-not-have"
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.FAILED and t.error is not None
    assert "reconnect Instagram" in t.error
    async with world.uow() as uow:
        stored = await uow.profiles.get(profile.id)
    assert stored is not None
    assert stored.connections[IG].status is ConnectionStatus.BROKEN


@pytest.mark.parametrize("listed", [True, False])
async def test_lost_publish_answer_across_a_restart_is_looked_up_by_container_not_resent(
    world: World, ig: FakeInstagramPublish, clock: FixedClock, listed: bool
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.crash_publish = "after"  # Instagram publishes; the worker dies before the answer
    ig.list_lags = not listed  # and (or not) the account's media list does not show it yet
    await world.pipeline.tick()

    t = (await world.get(post.id)).targets[IG]
    [container] = ig.calls("POST", "/media_publish")
    # Stored before media_publish was called, in its own transaction: it survived the crash.
    assert (t.state, t.provider_post_id) == (S.PUBLISHING, container["creation_id"])

    clock.advance(timedelta(minutes=5, seconds=1))  # the lease runs out
    restarted = world.worker("worker-1b")
    await restarted.run_until_idle()

    assert ig.calls("GET", f"/{container['creation_id']}")  # the container was asked
    [media] = ig.media
    t = (await world.get(post.id)).targets[IG]
    if not listed:
        # Published says the container; the list does not show it yet: looked up again.
        assert t.state is S.UNCONFIRMED
        ig.unlisted.clear()  # Instagram's list catches up
        clock.advance(timedelta(minutes=1))
        await restarted.run_until_idle()
        t = (await world.get(post.id)).targets[IG]
    assert t.state is S.PUBLISHED
    assert (t.url, t.external_id) == (media.permalink, media.id)
    assert len(ig.media) == 1 and len(ig.calls("POST", "/media_publish")) == 1


async def test_a_published_container_never_listed_is_published_without_a_link(
    world: World, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.crash_publish = "after"
    ig.list_lags = True
    await world.pipeline.tick()
    clock.advance(timedelta(minutes=5, seconds=1))
    restarted = world.worker("worker-1b")
    for _ in range(12):  # looked up every 30 s or so, for about 10 minutes
        await restarted.run_until_idle()
        clock.advance(timedelta(minutes=1))
    t = (await world.get(post.id)).targets[IG]
    assert (t.state, t.url, t.external_id) == (S.PUBLISHED, None, None)
    assert len(ig.media) == 1 and len(ig.calls("POST", "/media_publish")) == 1


async def test_crash_before_media_publish_is_looked_up_then_sent_once(
    world: World, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.crash_publish = "before"  # the container is stored, the worker dies before publishing
    await world.pipeline.tick()
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.PUBLISHING and t.provider_post_id is not None
    assert ig.media == []

    clock.advance(timedelta(minutes=5, seconds=1))
    restarted = world.worker("worker-1b")
    await restarted.run_until_idle()

    # The container was FINISHED, never PUBLISHED: absent, so sent again, once.
    assert (await world.get(post.id)).targets[IG].state is S.PUBLISHED
    assert len(ig.media) == 1 and len(ig.calls("POST", "/media_publish")) == 2


async def test_a_lost_publish_whose_container_status_lags_is_never_sent_twice(
    world: World, ig: FakeInstagramPublish, clock: FixedClock
) -> None:
    post = await ig_post(world, await free_profile(world), IMAGE)
    ig.crash_publish = "after"  # Instagram publishes; the worker dies before the answer
    ig.status_lags = ig.list_lags = True  # the container still reads FINISHED, not listed
    await world.pipeline.tick()
    [sent] = ig.calls("POST", "/media_publish")

    clock.advance(timedelta(minutes=5, seconds=1))
    await world.worker("worker-1b").run_until_idle()

    # The lookup published the same container again, which Instagram refused: no new
    # container, no second post, the target still waiting to be confirmed.
    assert len(ig.media) == 1 and len(ig.calls("POST", "/media")) == 1
    assert [p["creation_id"] for p in ig.calls("POST", "/media_publish")] == [
        sent["creation_id"]
    ] * 2
    t = (await world.get(post.id)).targets[IG]
    assert t.state is S.UNCONFIRMED and t.provider_post_id == sent["creation_id"]

    ig.unlisted.clear()  # Instagram's media list catches up
    clock.advance(timedelta(minutes=10))
    await world.worker("worker-1c").run_until_idle()
    t = (await world.get(post.id)).targets[IG]
    [media] = ig.media
    assert (t.state, t.external_id, t.url) == (S.PUBLISHED, media.id, media.permalink)
