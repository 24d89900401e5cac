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
    Grant,
    Identity,
    Network,
    Post,
    Profile,
    Provider,
    Route,
    Secret,
    Subscription,
    SubscriptionStatus,
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


async def test_saving_a_profile_leaves_its_tier_to_billing(uow: UnitOfWorkFactory) -> None:
    """Only core.billing applies a tier (set_tier); a profile saved from a stale read (a
    /timezone racing a lapse) cannot put an ended plan back."""
    profile = await make_profile(uow)
    profile.tier = Tier.PRO
    async with uow() as u:
        await u.profiles.save(profile)
        await u.commit()
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.tier is Tier.FREE
    async with uow() as u:
        await u.billing.set_tier(profile.id, Tier.PRO)
        await u.commit()
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.tier is Tier.PRO


async def test_one_current_subscription_and_the_grants(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    assert profile.subscription is None and profile.grants == []
    first = Subscription(
        Provider.TELEGRAM_STARS,
        SubscriptionStatus.ACTIVE,
        customer_id="1001",
        subscription_id="charge-1",
        price_id="XTR:250",
        current_period_end=NOW + timedelta(days=30),
        created_at=NOW,
        updated_at=NOW,
    )
    second = replace(first, cancel_at_period_end=True, updated_at=NOW + timedelta(hours=1))
    async with uow() as u:
        await u.billing.save_subscription(profile.id, first)
        grant = await u.billing.add_grant(
            profile.id, Grant(0, Tier.PRO, NOW, NOW + timedelta(days=7), "support")
        )
        await u.commit()
    assert grant.id > 0
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.subscription == first and loaded.grants == [grant]
    async with uow() as u:
        await u.billing.save_subscription(profile.id, second)
        assert await u.billing.revoke_grants(profile.id, NOW + timedelta(days=1)) == 1
        assert await u.billing.revoke_grants(profile.id, NOW + timedelta(days=1)) == 0
        await u.commit()
    loaded = await get_profile(uow, profile.id)
    assert loaded is not None and loaded.subscription == second
    assert loaded.grants == [replace(grant, revoked_at=NOW + timedelta(days=1))]
    async with uow() as u:
        found = await u.billing.profile_of(Provider.TELEGRAM_STARS, subscription_id="charge-1")
        assert found == profile.id
        assert await u.billing.profile_of(Provider.STRIPE, subscription_id="charge-1") is None
        assert await u.billing.profile_of(Provider.TELEGRAM_STARS) is None


async def test_an_event_is_recorded_once(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    async with uow() as u:
        assert await u.billing.record_event(
            "telegram_stars", "ch-1", profile_id=profile.id, kind="activate", now=NOW
        )
        assert not await u.billing.record_event(
            "telegram_stars", "ch-1", profile_id=profile.id, kind="activate", now=NOW
        )
        # Another source may use the same id.
        assert await u.billing.record_event("stripe", "ch-1", profile_id=None, kind="x", now=NOW)
        await u.commit()
    async with uow() as u:
        assert not await u.billing.record_event(
            "telegram_stars", "ch-1", profile_id=profile.id, kind="activate", now=NOW
        )
    async with uow() as u:  # not committed: forgotten
        assert await u.billing.record_event("stripe", "ev-2", profile_id=None, kind="x", now=NOW)
    async with uow() as u:
        assert await u.billing.record_event("stripe", "ev-2", profile_id=None, kind="x", now=NOW)


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
        await u.billing.set_tier(profile.id, Tier.PRO)
        await u.billing.save_subscription(
            profile.id, Subscription(Provider.OPERATOR, SubscriptionStatus.ACTIVE)
        )
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
