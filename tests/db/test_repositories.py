"""Repository contract: the write-side fake (tests/fakes/memory_store.py) behaves as the SQL
adapter, which the fast core tests and the state machine rely on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict
from core.model import (
    AccountKey,
    ChatPlatform,
    ChatRef,
    Connection,
    ConnectionStatus,
    Identity,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
    Secret,
    Subscription,
    Target,
    Tier,
)
from core.ports import UnitOfWorkFactory
from core.states import TargetState

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ALICE = Identity(ChatPlatform.TELEGRAM, "1001")
BOB = Identity(ChatPlatform.SLACK, "U02", "T01")
CHAT = ChatRef(ChatPlatform.TELEGRAM, "1001")

S = TargetState


async def make_profile(uow: UnitOfWorkFactory, identity: Identity = ALICE) -> Profile:
    async with uow() as u:
        profile = await u.profiles.create(
            identity, tier=Tier.FREE, timezone="UTC", display_name="Alice", now=NOW
        )
        await u.commit()
    return profile


def draft(
    profile_id: int,
    *targets: Target,
    created_at: datetime = NOW,
    scheduled_at: datetime | None = None,
    text: str = "Hello",
) -> Post:
    return Post(
        id=0,
        profile_id=profile_id,
        text=text,
        media=(),
        created_at=created_at,
        origin=CHAT,
        scheduled_at=scheduled_at,
        targets={t.network: t for t in targets},
    )


def target(
    network: Network,
    state: TargetState = S.DRAFT,
    due_at: datetime | None = None,
    *,
    locked_until: datetime | None = None,
) -> Target:
    return Target(network, Route.AYRSHARE, state, due_at, locked_until=locked_until)


async def add(uow: UnitOfWorkFactory, post: Post) -> Post:
    async with uow() as u:
        added = await u.posts.add(post)
        await u.commit()
    return added


async def get_post(uow: UnitOfWorkFactory, post_id: int) -> Post | None:
    async with uow() as u:
        return await u.posts.get(post_id)


async def get_profile(uow: UnitOfWorkFactory, profile_id: int) -> Profile | None:
    async with uow() as u:
        return await u.profiles.get(profile_id)


# --- profiles ---------------------------------------------------------------------------


async def test_create_profile_binds_the_identity(uow: UnitOfWorkFactory) -> None:
    created = await make_profile(uow)
    assert created.id > 0
    assert (created.tier, created.timezone, created.display_name) == (Tier.FREE, "UTC", "Alice")
    assert created.created_at == NOW
    async with uow() as u:
        found = await u.profiles.by_identity(ALICE)
        assert found == created
        assert await u.profiles.get(created.id) == created
        assert await u.profiles.identities(created.id) == [ALICE]
        assert await u.profiles.by_identity(Identity(ChatPlatform.TELEGRAM, "1002")) is None
        assert await u.profiles.by_identity(Identity(ChatPlatform.SLACK, "1001")) is None
        assert await u.profiles.get(created.id + 100) is None


async def test_identity_is_unique_per_platform_and_workspace(uow: UnitOfWorkFactory) -> None:
    bob = await make_profile(uow, BOB)
    with pytest.raises(Conflict, match="already has a profile"):
        async with uow() as u:
            await u.profiles.create(BOB, tier=Tier.PRO, timezone="UTC", display_name="", now=NOW)
            await u.commit()
    # The same Slack user id in another workspace is another person.
    other = await make_profile(uow, replace(BOB, workspace="T99"))
    assert other.id != bob.id
    async with uow() as u:
        again = await u.profiles.by_identity(BOB)
        assert again is not None and again.id == bob.id
        assert await u.profiles.identities(bob.id) == [BOB]


async def test_profile_save_round_trips_accounts_and_connections(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    profile.tier = Tier.PRO
    profile.timezone = "Europe/Berlin"
    profile.display_name = "Alice B."
    profile.accounts[Route.AYRSHARE] = AccountKey("ref-1", Secret("AX1XGG-key-one"))
    profile.connections[Network.INSTAGRAM] = Connection(
        Network.INSTAGRAM, ConnectionStatus.CONNECTED, "@alice", NOW, NOW + timedelta(days=60)
    )
    profile.connections[Network.X] = Connection(Network.X, ConnectionStatus.BROKEN)
    async with uow() as u:
        await u.profiles.save(profile)
        await u.commit()

    loaded = await get_profile(uow, profile.id)
    assert loaded == profile
    assert loaded is not None
    assert loaded.accounts[Route.AYRSHARE].key.value == "AX1XGG-key-one"
    assert loaded.connections[Network.INSTAGRAM].expires_at == NOW + timedelta(days=60)
    assert loaded.connections[Network.X].expires_at is None
    assert loaded.connected() == {Network.INSTAGRAM}

    # Change the key, drop one connection, add another, repair the broken one.
    loaded.accounts[Route.AYRSHARE] = AccountKey("ref-2", Secret("key-two"))
    del loaded.connections[Network.INSTAGRAM]
    loaded.connections[Network.X] = Connection(
        Network.X,
        ConnectionStatus.CONNECTED,
        "@alice_x",
        NOW + timedelta(minutes=1),
        NOW + timedelta(days=5),
    )
    loaded.connections[Network.TIKTOK] = Connection(Network.TIKTOK, ConnectionStatus.CONNECTED)
    async with uow() as u:
        await u.profiles.save(loaded)
        await u.commit()
    again = await get_profile(uow, profile.id)
    assert again == loaded
    assert again is not None and again.connected() == {Network.X, Network.TIKTOK}

    # Removing the account removes it from storage too.
    again.accounts.clear()
    async with uow() as u:
        await u.profiles.save(again)
        await u.commit()
    final = await get_profile(uow, profile.id)
    assert final is not None and final.accounts == {}
    assert final.created_at == NOW


async def test_save_of_unknown_profile_is_refused(uow: UnitOfWorkFactory) -> None:
    ghost = Profile(id=4242, tier=Tier.FREE, timezone="UTC", created_at=NOW)
    async with uow() as u:
        with pytest.raises(LookupError):
            await u.profiles.save(ghost)


async def test_current_subscription_is_the_latest(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    assert profile.subscription is None
    first = Subscription("operator", Tier.PRO, "granted by ops", created_at=NOW)
    second = Subscription(
        "stripe",
        Tier.PRO,
        "sub_123",
        current_period_end=NOW + timedelta(days=30),
        created_at=NOW + timedelta(hours=1),
    )
    async with uow() as u:
        await u.profiles.add_subscription(profile.id, first)
        await u.commit()
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.subscription == first
    async with uow() as u:
        await u.profiles.add_subscription(profile.id, second)
        await u.commit()
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.subscription == second
    # Saving a profile does not rewrite its subscription history.
    loaded.subscription = None
    async with uow() as u:
        await u.profiles.save(loaded)
        await u.commit()
    reloaded = await get_profile(uow, profile.id)
    assert reloaded is not None and reloaded.subscription == second


async def test_lock_reads_the_profile(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    async with uow() as u:
        assert await u.profiles.lock(profile.id) == profile
        assert await u.profiles.lock(profile.id + 1) is None


# --- posts ------------------------------------------------------------------------------


async def test_post_round_trip_with_every_target_field(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    full = Target(
        Network.LINKEDIN,
        Route.AYRSHARE,
        S.UNCONFIRMED,
        due_at=NOW + timedelta(minutes=5),
        attempts=2,
        round=1,
        idempotency_key="pr-1-abc",
        provider_post_id="ayr-9",
        external_id="urn:li:share:1",
        url="https://linkedin.example/1",
        error="timed out",
        locked_by="worker-2",
        locked_until=NOW + timedelta(minutes=3),
        sent_at=NOW - timedelta(seconds=30),
        published_at=NOW - timedelta(seconds=10),
    )
    post = draft(profile.id, target(Network.X), full, scheduled_at=NOW + timedelta(days=1))
    post.media = ("https://cdn.example/a.jpg", "https://cdn.example/b.mp4")
    post.text = "Line one\nLine two ✅ " + "x" * 3000
    added = await add(uow, post)
    assert added.id > 0
    assert added == replace(post, id=added.id)
    assert await get_post(uow, added.id) == added

    second = await add(uow, draft(profile.id))
    assert second.id != added.id
    assert second.targets == {}


async def test_save_adds_updates_and_removes_targets(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(Network.X), target(Network.FACEBOOK)))
    # The user unticks Facebook, ticks Instagram, and the post gets its progress message.
    del post.targets[Network.FACEBOOK]
    post.targets[Network.INSTAGRAM] = target(Network.INSTAGRAM)
    post.targets[Network.X].state = S.SCHEDULED
    post.targets[Network.X].due_at = NOW
    post.text = "Edited"
    post.progress = MessageRef(CHAT, "77")
    async with uow() as u:
        await u.posts.save(post)
        await u.commit()
    loaded = await get_post(uow, post.id)
    assert loaded == post
    assert loaded is not None and set(loaded.targets) == {Network.X, Network.INSTAGRAM}

    # Ticking Facebook again later works (its old row is gone, not in the way).
    loaded.targets[Network.FACEBOOK] = target(Network.FACEBOOK)
    async with uow() as u:
        await u.posts.save(loaded)
        await u.commit()
    assert await get_post(uow, post.id) == loaded


async def test_returned_objects_are_copies(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(Network.X)))
    async with uow() as u:
        fetched = await u.posts.get(post.id)
        assert fetched is not None
        fetched.text = "changed but never saved"
        fetched.targets[Network.X].state = S.SCHEDULED
        await u.commit()
    assert await get_post(uow, post.id) == post


async def test_post_of_unknown_profile_is_refused(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        with pytest.raises(LookupError):
            await u.posts.add(draft(999, target(Network.X)))


async def test_save_of_unknown_post_is_refused(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    async with uow() as u:
        with pytest.raises(LookupError):
            await u.posts.save(replace(draft(profile.id), id=31337))


async def test_delete_removes_the_post_and_its_targets(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    doomed = await add(uow, draft(profile.id, target(Network.X, S.SCHEDULED, NOW)))
    kept = await add(uow, draft(profile.id, target(Network.X, S.SCHEDULED, NOW)))
    async with uow() as u:
        await u.posts.delete(doomed.id)
        await u.posts.delete(424242)  # unknown: nothing happens
        await u.commit()
    assert await get_post(uow, doomed.id) is None
    async with uow() as u:
        assert await u.posts.count_scheduled(profile.id) == 1
        claimed = await u.posts.claim_due(NOW, worker="w", lease_until=NOW, limit=10)
        assert [p.id for p in claimed] == [kept.id]


async def test_list_for_profile_puts_scheduled_first_then_newest(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    other = await make_profile(uow, BOB)
    later = NOW + timedelta(hours=2)
    sooner = NOW + timedelta(hours=1)
    p1 = await add(uow, draft(me.id, text="draft"))
    p2 = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, later), scheduled_at=later))
    p3 = await add(uow, draft(me.id, target(Network.X, S.PUBLISHED), text="published"))
    # A scheduled post whose earliest target is due sooner, though its other target is later.
    p4 = await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.SCHEDULED, sooner),
            target(Network.FACEBOOK, S.SCHEDULED, later + timedelta(hours=5)),
            scheduled_at=sooner,
        ),
    )
    p5 = await add(uow, draft(me.id, target(Network.X, S.FAILED), text="failed"))
    await add(uow, draft(other.id, target(Network.X, S.SCHEDULED, NOW)))

    async with uow() as u:
        page, total = await u.posts.list_for_profile(me.id, offset=0, limit=10)
        assert [p.id for p in page] == [p4.id, p2.id, p5.id, p3.id, p1.id]
        assert total == 5
        assert page[0] == p4
        page, total = await u.posts.list_for_profile(me.id, offset=1, limit=2)
        assert [p.id for p in page] == [p2.id, p5.id]
        assert total == 5
        page, total = await u.posts.list_for_profile(me.id, offset=10, limit=2)
        assert (list(page), total) == ([], 5)
        page, total = await u.posts.list_for_profile(other.id + 1, offset=0, limit=2)
        assert (list(page), total) == ([], 0)


async def test_latest_draft(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    other = await make_profile(uow, BOB)
    async with uow() as u:
        assert await u.posts.latest_draft(me.id) is None
    empty = await add(uow, draft(me.id))
    ticked = await add(uow, draft(me.id, target(Network.X), target(Network.FACEBOOK)))
    await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW), target(Network.FACEBOOK)))
    await add(uow, draft(other.id))
    async with uow() as u:
        assert await u.posts.latest_draft(me.id) == ticked
    ticked.targets[Network.X].state = S.SCHEDULED
    ticked.targets[Network.X].due_at = NOW
    async with uow() as u:
        await u.posts.save(ticked)
        await u.commit()
    async with uow() as u:
        assert await u.posts.latest_draft(me.id) == empty


async def test_count_scheduled(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    other = await make_profile(uow, BOB)
    await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW)))
    await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.SCHEDULED, NOW),
            target(Network.FACEBOOK, S.SCHEDULED, NOW),
        ),
    )
    await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW), target(Network.TIKTOK)))
    await add(uow, draft(me.id, target(Network.X, S.QUEUED, NOW)))
    await add(uow, draft(me.id, target(Network.X)))
    await add(uow, draft(other.id, target(Network.X, S.SCHEDULED, NOW)))
    async with uow() as u:
        assert await u.posts.count_scheduled(me.id) == 3
        assert await u.posts.count_scheduled(other.id) == 1


async def test_count_outgoing_counts_posts_published_or_due_in_the_window(
    uow: UnitOfWorkFactory,
) -> None:
    me = await make_profile(uow)
    other = await make_profile(uow, BOB)
    hour = timedelta(hours=1)
    published = target(Network.X, S.PUBLISHED)
    published.published_at = NOW - hour
    sent = target(Network.FACEBOOK, S.UNCONFIRMED)
    sent.sent_at = NOW
    failed = target(Network.X, S.FAILED, NOW)
    for post in (
        draft(me.id),  # drafts never count, however many
        draft(me.id, target(Network.X), target(Network.FACEBOOK)),
        draft(me.id, published, target(Network.FACEBOOK, S.FAILED)),  # counted once
        draft(me.id, sent),
        draft(me.id, target(Network.X, S.SCHEDULED, NOW + hour)),
        draft(me.id, target(Network.X, S.QUEUED, NOW + 2 * hour)),
        draft(me.id, failed),  # only failed: not counted
        draft(other.id, target(Network.X, S.SCHEDULED, NOW)),
    ):
        await add(uow, post)
    async with uow() as u:
        count = u.posts.count_outgoing
        assert await count(me.id, since=NOW - 2 * hour, until=NOW + 3 * hour) == 4
        assert await count(me.id, since=NOW, until=NOW + hour) == 1  # until is excluded
        assert await count(me.id, since=NOW + 3 * hour, until=NOW + 9 * hour) == 0
        assert await count(other.id, since=NOW, until=NOW + hour) == 1


async def test_recent_is_newest_first_and_of_one_chat(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    other = await make_profile(uow, BOB)
    group = ChatRef(ChatPlatform.TELEGRAM, "-100200")
    first = await add(uow, draft(me.id))
    elsewhere = await add(uow, replace(draft(me.id), origin=group))
    second = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW)))
    await add(uow, draft(other.id))
    async with uow() as u:
        assert [p.id for p in await u.posts.recent(me.id, origin=CHAT, limit=5)] == [
            second.id,
            first.id,
        ]
        assert await u.posts.recent(me.id, origin=CHAT, limit=1) == [second]
        assert await u.posts.recent(me.id, origin=group, limit=5) == [elsewhere]
        everywhere = await u.posts.recent(me.id, origin=None, limit=5)
        assert [p.id for p in everywhere] == [second.id, elsewhere.id, first.id]


# --- the pipeline's queries -------------------------------------------------------------


async def test_claim_due_takes_due_scheduled_targets_under_a_lease(
    uow: UnitOfWorkFactory,
) -> None:
    me = await make_profile(uow)
    lease = NOW + timedelta(minutes=5)
    a = await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.SCHEDULED, NOW - timedelta(minutes=2)),
            target(Network.FACEBOOK, S.SCHEDULED, NOW + timedelta(minutes=1)),  # not yet due
        ),
    )
    b = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW)))  # due exactly now
    c = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW - timedelta(minutes=1))))
    d = await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.FAILED, NOW - timedelta(hours=1)),
            target(Network.LINKEDIN, S.DRAFT, NOW - timedelta(hours=1)),
            target(Network.TIKTOK, S.UNCONFIRMED, NOW - timedelta(hours=1)),
        ),
    )

    async with uow() as u:
        claimed = await u.posts.claim_due(NOW, worker="w1", lease_until=lease, limit=2)
        await u.commit()
    # The two earliest due targets: a/X, then c/X.
    assert [p.id for p in claimed] == [a.id, c.id]
    first = {p.id: p for p in claimed}
    x = first[a.id].targets[Network.X]
    assert (x.state, x.locked_by, x.locked_until) == (S.QUEUED, "w1", lease)
    assert first[a.id].targets[Network.FACEBOOK].state is S.SCHEDULED
    assert first[a.id].targets[Network.FACEBOOK].locked_by is None

    async with uow() as u:
        rest = await u.posts.claim_due(NOW, worker="w2", lease_until=lease, limit=10)
        await u.commit()
    assert [p.id for p in rest] == [b.id]
    assert rest[0].targets[Network.X].locked_by == "w2"

    async with uow() as u:
        assert await u.posts.claim_due(NOW, worker="w3", lease_until=lease, limit=10) == []
        assert await u.posts.claim_due(NOW, worker="w3", lease_until=lease, limit=0) == []
    stored = await get_post(uow, a.id)
    assert stored is not None and stored.targets[Network.X].locked_by == "w1"
    untouched = await get_post(uow, d.id)
    assert untouched == d

    # Once the Facebook target falls due it is claimed too.
    later = NOW + timedelta(minutes=1)
    async with uow() as u:
        claimed = await u.posts.claim_due(later, worker="w3", lease_until=lease, limit=10)
        await u.commit()
    assert [p.id for p in claimed] == [a.id]
    facebook = claimed[0].targets[Network.FACEBOOK]
    assert (facebook.state, facebook.locked_by) == (S.QUEUED, "w3")
    assert claimed[0].targets[Network.X].locked_by == "w1"


async def test_claim_without_commit_is_rolled_back(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    post = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW)))
    async with uow() as u:
        assert len(await u.posts.claim_due(NOW, worker="w1", lease_until=NOW, limit=5)) == 1
    async with uow() as u:
        again = await u.posts.claim_due(NOW, worker="w2", lease_until=NOW, limit=5)
        await u.commit()
    assert [p.id for p in again] == [post.id]
    assert again[0].targets[Network.X].locked_by == "w2"


async def test_claimed_posts_can_be_saved_in_the_same_unit(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    post = await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW)))
    async with uow() as u:
        before = await u.posts.get(post.id)  # loaded before the claim in the same unit
        assert before is not None and before.targets[Network.X].state is S.SCHEDULED
        (claimed,) = await u.posts.claim_due(NOW, worker="w1", lease_until=NOW, limit=5)
        assert claimed.targets[Network.X].state is S.QUEUED
        fetched = await u.posts.get(post.id)
        assert fetched == claimed
        claimed.targets[Network.X].state = S.PUBLISHING
        claimed.targets[Network.X].attempts = 1
        await u.posts.save(claimed)
        await u.commit()
    stored = await get_post(uow, post.id)
    assert stored is not None
    assert (stored.targets[Network.X].state, stored.targets[Network.X].locked_by) == (
        S.PUBLISHING,
        "w1",
    )


async def test_due_unconfirmed(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    early = await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.UNCONFIRMED, NOW - timedelta(minutes=5)),
            target(Network.FACEBOOK, S.PUBLISHED),
        ),
    )
    on_time = await add(uow, draft(me.id, target(Network.X, S.UNCONFIRMED, NOW)))
    await add(uow, draft(me.id, target(Network.X, S.UNCONFIRMED, NOW + timedelta(seconds=1))))
    await add(uow, draft(me.id, target(Network.X, S.SCHEDULED, NOW - timedelta(hours=1))))
    async with uow() as u:
        due = await u.posts.due_unconfirmed(NOW, limit=10)
        assert [p.id for p in due] == [early.id, on_time.id]
        assert due[0] == early
        assert [p.id for p in await u.posts.due_unconfirmed(NOW, limit=1)] == [early.id]


async def test_expired_leases(uow: UnitOfWorkFactory) -> None:
    me = await make_profile(uow)
    gone = NOW - timedelta(seconds=1)
    queued = await add(uow, draft(me.id, target(Network.X, S.QUEUED, locked_until=gone)))
    publishing = await add(
        uow,
        draft(
            me.id,
            target(Network.X, S.PUBLISHING, locked_until=NOW - timedelta(minutes=1)),
            target(Network.FACEBOOK, S.QUEUED, locked_until=NOW + timedelta(minutes=1)),
        ),
    )
    await add(uow, draft(me.id, target(Network.X, S.QUEUED, locked_until=NOW)))  # not yet
    await add(uow, draft(me.id, target(Network.X, S.PUBLISHED, locked_until=gone)))
    await add(uow, draft(me.id, target(Network.X, S.UNCONFIRMED, locked_until=gone)))
    async with uow() as u:
        expired = await u.posts.expired_leases(NOW, limit=10)
        assert [p.id for p in expired] == [publishing.id, queued.id]
        assert expired[1] == queued
        assert len(await u.posts.expired_leases(NOW, limit=1)) == 1
        assert await u.posts.expired_leases(NOW - timedelta(hours=1), limit=10) == []


# --- the unit of work -------------------------------------------------------------------


async def test_uncommitted_changes_are_rolled_back(uow: UnitOfWorkFactory) -> None:
    async with uow() as u:
        await u.profiles.create(ALICE, tier=Tier.FREE, timezone="UTC", display_name="", now=NOW)
    async with uow() as u:
        assert await u.profiles.by_identity(ALICE) is None

    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(Network.X)))
    async with uow() as u:
        added = await u.posts.add(draft(profile.id, text="never committed"))
        changed = replace(post, text="never committed")
        await u.posts.save(changed)
        await u.posts.delete(post.id)
        profile.tier = Tier.PRO
        await u.profiles.save(profile)
        await u.profiles.add_subscription(profile.id, Subscription("operator", Tier.PRO))
    assert await get_post(uow, added.id) is None
    assert await get_post(uow, post.id) == post
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None
    assert (loaded.tier, loaded.subscription) == (Tier.FREE, None)


async def test_commit_keeps_earlier_work_and_drops_later(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    async with uow() as u:
        kept = await u.posts.add(draft(profile.id, text="kept"))
        await u.commit()
        dropped = await u.posts.add(draft(profile.id, text="dropped"))
    assert await get_post(uow, kept.id) == kept
    assert await get_post(uow, dropped.id) is None


async def test_an_error_inside_the_unit_rolls_back(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    with pytest.raises(RuntimeError):
        async with uow() as u:
            await u.posts.add(draft(profile.id, text="half done"))
            raise RuntimeError("boom")
    async with uow() as u:
        assert await u.posts.list_for_profile(profile.id, offset=0, limit=5) == ([], 0)


async def test_other_units_see_only_committed_work(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    async with uow() as writer:
        post = await writer.posts.add(draft(profile.id))
        async with uow() as reader:
            assert await reader.posts.get(post.id) is None
        await writer.commit()
    async with uow() as reader:
        assert await reader.posts.get(post.id) == post
