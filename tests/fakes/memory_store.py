"""A write-side fake for fast tests: profiles, posts and a unit of work, as the SQL adapter.

It keeps what the hypothesis state machine and the core flow tests need (isolation until
commit, UNIQUE identities at commit, changed-fields-only saves, the claim order) and nothing
of the read side: analytics, digests and channel links run on SQL (the `uow_factory` fixture).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NoReturn, Self, cast

from core.analytics_ports import AnalyticsRepository
from core.approval_ports import ApprovalRepository
from core.billing_ports import BillingRepository
from core.channel_links import ChatLink, LinkRepository
from core.chat_ports import (
    DraftFocusRepository,
    ProgressOutboxRepository,
    SeenUpdateRepository,
)
from core.engage_ports import EngageRepository, EngageSettings
from core.errors import Conflict
from core.import_ports import ImportRepository
from core.lifecycle_ports import LifecycleRepository
from core.logins import LoginRepository
from core.model import (
    ChatRef,
    Identity,
    Post,
    Profile,
    Tier,
)
from core.planning_ports import PlanningRepository
from core.ports import DigestRepository, PostRepository, ProfileRepository
from core.stars_ports import StarChargeRepository
from core.teams import TeamRepository
from tests.fakes.chat_state import (
    ChatTables,
    ChatTransaction,
    InMemoryDraftFocusRepository,
    InMemoryProgressOutboxRepository,
    InMemorySeenUpdateRepository,
)
from tests.fakes.memory_billing import (
    BillingTables,
    BillingTransaction,
    InMemoryBillingRepository,
)
from tests.fakes.memory_posts import InMemoryPostRepository, aware, merged


@dataclass
class InMemoryStore:
    """The committed state, shared by every unit of work of one factory."""

    profiles: dict[int, Profile] = field(default_factory=dict)  # subscription kept apart
    identities: dict[Identity, int] = field(default_factory=dict)
    billing: BillingTables = field(default_factory=BillingTables)
    posts: dict[int, Post] = field(default_factory=dict)
    chat: ChatTables = field(default_factory=ChatTables)  # the progress outbox, updates seen
    commits: int = 0
    # Ids are handed out at insert and never reused, even when the insert is rolled back
    # (as database sequences behave).
    _profile_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _post_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def next_profile_id(self) -> int:
        return next(self._profile_ids)

    def next_post_id(self) -> int:
        return next(self._post_ids)


@dataclass
class _Pending:
    """What one unit of work wrote; applied to the store on commit, dropped otherwise."""

    profiles: dict[int, Profile] = field(default_factory=dict)
    identities: dict[Identity, int] = field(default_factory=dict)
    posts: dict[int, Post | None] = field(default_factory=dict)  # None: deleted
    forgotten: set[int] = field(default_factory=set)  # profiles deleted with all they keep
    # Committed posts as this unit first read them: commit applies only what it changed since
    # (the SQL adapter writes only changed columns), so another unit's commit meanwhile to
    # other targets or fields survives.
    read: dict[int, Post] = field(default_factory=dict)


class View:
    """The store as this unit of work sees it: committed state overlaid with its own writes."""

    def __init__(self, store: InMemoryStore, pending: _Pending) -> None:
        self.store = store
        self.pending = pending

    def profile(self, profile_id: int) -> Profile | None:
        if profile_id in self.pending.forgotten:
            return None
        if profile_id in self.pending.profiles:
            return self.pending.profiles[profile_id]
        return self.store.profiles.get(profile_id)

    def identities(self) -> dict[Identity, int]:
        merged = self.store.identities | self.pending.identities
        return {i: p for i, p in merged.items() if p not in self.pending.forgotten}

    def post(self, post_id: int) -> Post | None:
        if post_id in self.pending.posts:
            return self.pending.posts[post_id]
        return self.store.posts.get(post_id)

    def posts(self) -> Iterable[Post]:
        merged: dict[int, Post | None] = {**self.store.posts, **self.pending.posts}
        return [p for p in merged.values() if p is not None]

    def writable_post(self, post_id: int) -> Post:
        """The post to change in place: this unit of work's own copy."""
        own = self.pending.posts.get(post_id)
        if own is None:
            self.seen(post_id)
            own = copy.deepcopy(self.store.posts[post_id])
            self.pending.posts[post_id] = own
        return own

    def seen(self, post_id: int) -> None:
        """Remember the committed post as this unit first read it."""
        committed = self.store.posts.get(post_id)
        if committed is not None and post_id not in self.pending.read:
            self.pending.read[post_id] = copy.deepcopy(committed)


class InMemoryProfileRepository:
    def __init__(self, view: View, billing: InMemoryBillingRepository) -> None:
        self._view = view
        self._billing = billing

    def _loaded(self, profile_id: int) -> Profile | None:
        stored = self._view.profile(profile_id)
        if stored is None:
            return None
        profile = copy.deepcopy(stored)
        self._billing.load(profile)
        return profile

    async def get(self, profile_id: int) -> Profile | None:
        return self._loaded(profile_id)

    async def by_identity(self, identity: Identity) -> Profile | None:
        profile_id = self._view.identities().get(identity)
        return None if profile_id is None else self._loaded(profile_id)

    async def create(
        self, identity: Identity, *, tier: Tier, timezone: str, display_name: str, now: datetime
    ) -> Profile:
        aware(now)
        if identity in self._view.identities():
            raise Conflict(f"identity {identity} already has a profile")
        profile_id = self._view.store.next_profile_id()
        profile = Profile(profile_id, tier, timezone, now, display_name)
        self._view.pending.profiles[profile_id] = profile
        self._view.pending.identities[identity] = profile_id
        return copy.deepcopy(profile)

    async def save(self, profile: Profile) -> None:
        stored = self._view.profile(profile.id)
        if stored is None:
            raise LookupError(f"profile {profile.id} does not exist")
        for c in profile.connections.values():
            aware(c.updated_at)
        # Like the SQL adapter: id, created_at and the tier stay (the tier is core.billing's,
        # through the billing repository); subscription and grants live there too.
        updated = copy.deepcopy(stored)
        updated.timezone = profile.timezone
        updated.display_name = profile.display_name
        updated.accounts = copy.deepcopy(profile.accounts)
        updated.connections = copy.deepcopy(profile.connections)
        updated.subscription = None
        updated.grants = []
        self._view.pending.profiles[profile.id] = updated

    async def lock(self, profile_id: int) -> Profile | None:
        return self._loaded(profile_id)

    async def identities(self, profile_id: int) -> Sequence[Identity]:
        return [i for i, pid in self._view.identities().items() if pid == profile_id]

    async def delete(self, profile_id: int) -> None:
        for post in self._view.posts():
            if post.profile_id == profile_id:
                self._view.pending.posts[post.id] = None  # its progress mark goes at commit
        self._view.pending.profiles.pop(profile_id, None)
        self._view.pending.forgotten.add(profile_id)


class _NoReadSide:
    """The unit of work's analytics, digests, links and logins: this fake stores none, so
    the reads the write-side flows make find nothing, and anything else says where to test
    it."""

    async def link_of(self, identity: Identity) -> ChatLink | None:
        return None  # every profile_for asks; no channel is linked in this fake

    async def move_chat(self, old: ChatRef, new: ChatRef) -> int:
        return 0  # a chat's digest subscriptions: there are none here

    async def for_profile(self, profile_id: int) -> list[object]:
        return []  # a profile's digests and linked channels (/forget counts them): none here

    async def team_in_chat(self, chat: ChatRef) -> None:
        return None  # every command in a group asks; teams are tested on SQL

    async def team_of_profile(self, profile_id: int) -> None:
        return None  # every tap on a button of another profile asks

    async def memberships(self, identity: Identity) -> list[object]:
        return []  # every command in a private chat asks ("Posting as")

    async def setting(self, profile_id: int) -> None:
        return None  # every Publish asks whether the profile needs approval: none here

    async def request(self, post_id: int) -> None:
        return None  # a post's submission (deleting one asks): none here

    async def reviews(self, post_id: int) -> list[object]:
        return []  # a post's detail lists its reviews: none here

    async def note_awaited(self, *args: object) -> None:
        return None  # a message that may be a reviewer's note: none is awaited here

    async def paused(self, profile_id: int) -> bool:
        return False  # a renewal asks whether a paused queue holds posts: no queues here

    async def settings(self, profile_id: int) -> EngageSettings:
        return EngageSettings(profile_id)  # every plain message asks: no reply is being written

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            raise AttributeError(name)  # protocol probes (copy, pickle) find nothing
        raise NotImplementedError(
            f"the in-memory fake keeps profiles and posts only, not {name}(): test analytics, "
            "digests, links, logins and the connection lifecycle on SQL (the uow_factory fixture)"
        )


class InMemoryUnitOfWork:
    """One transaction over the store: reads see committed state plus this unit's writes;
    commit applies them, leaving without commit drops them. Objects are deep-copied in and
    out, so a test cannot pass by mutating what a repository handed back."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self._pending = _Pending()
        view = View(store, self._pending)
        self._billing_tx = BillingTransaction(lambda: store.billing)
        billing = InMemoryBillingRepository(
            self._billing_tx, lambda: {**store.profiles, **self._pending.profiles}, self._tier
        )
        self.billing: BillingRepository = billing
        self._view = view
        self.profiles: ProfileRepository = InMemoryProfileRepository(view, billing)
        self.posts: PostRepository = InMemoryPostRepository(view)
        read_side = _NoReadSide()
        self.analytics = cast(AnalyticsRepository, read_side)
        self.digests = cast(DigestRepository, read_side)
        self.links = cast(LinkRepository, read_side)
        self.logins = cast(LoginRepository, read_side)
        self.lifecycle = cast(LifecycleRepository, read_side)
        self.star_charges = cast(StarChargeRepository, read_side)  # Stars tests run on SQL
        self.teams = cast(TeamRepository, read_side)
        self.imports = cast(ImportRepository, read_side)  # import tests run on SQL
        self.approvals = cast(ApprovalRepository, read_side)  # approvals tests run on SQL
        self.planning = cast(PlanningRepository, read_side)  # templates, slots, queue: SQL
        self.engage = cast(EngageRepository, read_side)  # engage tests run on SQL
        self._chat = ChatTransaction(lambda: store.chat)
        self.progress: ProgressOutboxRepository = InMemoryProgressOutboxRepository(
            self._chat, view.post
        )
        self.seen_updates: SeenUpdateRepository = InMemorySeenUpdateRepository(self._chat)
        self.drafts: DraftFocusRepository = InMemoryDraftFocusRepository(self._chat, view.post)
        self.committed = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._discard()

    async def commit(self) -> None:
        pending, store = self._pending, self.store
        for identity, profile_id in pending.identities.items():
            # Another unit of work may have committed the same identity meanwhile (the SQL
            # adapter's UNIQUE constraint).
            if store.identities.get(identity, profile_id) != profile_id:
                self._discard()
                raise Conflict(f"identity {identity} already has a profile")
        try:
            chat = self._chat.apply(store.chat)
        except Conflict:
            self._discard()
            raise
        store.profiles.update(pending.profiles)
        store.identities.update(pending.identities)
        if self._billing_tx.own is not None:
            store.billing = self._billing_tx.own
        for profile_id in pending.forgotten:
            store.profiles.pop(profile_id, None)
            store.billing.subscriptions.pop(profile_id, None)
            store.billing.grants.pop(profile_id, None)
            store.identities = {i: p for i, p in store.identities.items() if p != profile_id}
        for post_id, post in pending.posts.items():
            read, current = pending.read.get(post_id), store.posts.get(post_id)
            if post is None:
                store.posts.pop(post_id, None)
            elif read is None:
                store.posts[post_id] = post  # added by this unit
            elif current is not None:  # (deleted meanwhile: an update of no row)
                store.posts[post_id] = merged(read, post, current)
        deleted = [post_id for post_id, post in pending.posts.items() if post is None]
        if deleted:  # ON DELETE CASCADE: a post's progress mark goes with it
            chat = chat or copy.deepcopy(store.chat)
            chat.cascade_posts(deleted)
        if chat is not None:
            for post_id, message in chat.shown.items():
                stored = store.posts.get(post_id)
                if stored is not None and stored.progress is None:
                    stored.progress = message
            chat.shown.clear()
            store.chat = chat
        store.commits += 1
        self.committed = True
        self._discard()

    def _tier(self, profile_id: int, tier: Tier) -> None:
        stored = self._view.profile(profile_id)
        if stored is not None:
            updated = copy.deepcopy(stored)
            updated.tier = tier
            self._pending.profiles[profile_id] = updated

    async def rollback(self) -> None:
        self._discard()

    def _discard(self) -> None:
        self._pending.profiles.clear()
        self._pending.identities.clear()
        self._billing_tx.discard()
        self._pending.posts.clear()
        self._pending.read.clear()
        self._pending.forgotten.clear()
        self._chat.discard()


class InMemoryUnitOfWorkFactory:
    """Satisfies core.ports.UnitOfWorkFactory over one shared InMemoryStore."""

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store if store is not None else InMemoryStore()

    def __call__(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)
