"""The work passed between the pipeline's stages, and its dependencies and tasks."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.model import Network, Post, Profile, Route, Target
from core.ports import Clock, Outcome, Publisher, UnitOfWork, UnitOfWorkFactory
from core.publishing.accounts import Accounts
from core.publishing.config import PipelineConfig
from core.publishing.leases import Heartbeat
from core.publishing.plan_gate import PlanGate
from core.publishing.progress import ProgressNotifier
from core.publishing.progress_outbox import Marked, ProgressOutbox
from core.replies import Reply
from core.request_budget import RequestBudget
from core.states import TargetState

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Send:
    """One request about to go out: its targets are publishing, its key stored."""

    post: Post
    profile: Profile
    route: Route
    networks: tuple[Network, ...]
    key: str


Recorded = tuple[Post, list[Target], Marked | None]  # the post, its failed targets, its mark


@dataclass(slots=True)
class Found:
    """What a request or a lookup found, waiting to be recorded."""

    post_id: int
    outcomes: Mapping[Network, Outcome]
    key: str
    recorded: asyncio.Future[Recorded | None]
    # The state and send time each target had when the request or lookup began: an answer
    # only settles a target still in that attempt. A slow lookup finding nothing must not
    # pull back a target that another lookup has since re-sent (same key, newer send).
    attempt: Mapping[Network, tuple[TargetState, datetime | None]]


@dataclass(slots=True)
class Claimed:
    """What one claim decided, acted on after its transaction commits."""

    sends: list[Send] = field(default_factory=list)
    notices: list[tuple[Post, Reply]] = field(default_factory=list)
    changed: list[Post] = field(default_factory=list)  # progress to show (not sent)
    targets: int = 0
    marked: list[Marked] = field(default_factory=list)  # progress marks this worker holds
    lapsed: set[int] = field(default_factory=set)  # profiles whose plan ended: targets held


class PipelineBase:
    """The pipeline's dependencies, caches and background tasks."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        accounts: Accounts,
        notifier: ProgressNotifier,
        clock: Clock,
        config: PipelineConfig | None = None,
        rng: random.Random | None = None,
        budget: RequestBudget | None = None,
        gate: PlanGate | None = None,
    ) -> None:
        self._uow = uow
        self._gate = gate
        self._publishers = publishers
        self._accounts = accounts
        self._notifier = notifier
        self._clock = clock
        self.config = config or PipelineConfig()
        self._rng = rng or random.Random()
        # Shared with analytics when the composition root passes one in (one per provider).
        self._budget = budget or RequestBudget(
            self.config.profile_requests, self.config.profile_window
        )
        self._profiles: dict[int, tuple[datetime, Profile]] = {}
        self._inflight: set[asyncio.Task[None]] = set()
        self._refill: asyncio.Task[None] | None = None
        self._to_record: list[Found] = []
        self._chatter: set[asyncio.Task[None]] = set()
        self._recorder: asyncio.Task[None] | None = None
        self._claiming = asyncio.Lock()
        self._more_due = False  # the last claim was full: more may be due now
        self._stopping = False
        self.progress = ProgressOutbox(
            uow,
            notifier.messengers,
            clock,
            worker=self.config.worker,
            lease=self.config.lease,
            changed=notifier.changed,
        )
        self._heartbeat = Heartbeat(uow, clock, worker=self.config.worker, lease=self.config.lease)
        self._sending: Counter[int] = Counter()  # posts with a request in flight here

    def _tell(self, message: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Update the chat in the background: it never holds a request slot."""
        task = asyncio.get_running_loop().create_task(self._guarded(message, "telling the chat"))
        self._chatter.add(task)
        task.add_done_callback(self._chatter.discard)
        return task

    async def _guarded(self, job: Coroutine[Any, Any, object], what: str) -> None:
        try:
            await job
        except Exception:
            # Leave the lease to run out: recovery decides from the recorded state.
            log.exception("%s crashed", what)

    async def _profile(self, uow: UnitOfWork, profile_id: int, now: datetime) -> Profile | None:
        """The profile, from a short-lived cache: loading it (and decrypting its provider key)
        for every post would cost more than the post's own writes."""
        cached = self._profiles.get(profile_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        profile = await uow.profiles.get(profile_id)
        if profile is not None:
            if len(self._profiles) > 10_000:
                self._profiles.clear()
            self._profiles[profile_id] = (now + self.config.profile_cache, profile)
        return profile

    @property
    def _min_claim(self) -> int:
        # Claim in chunks: one claim per finished request would cost a query per request.
        return max(1, min(self.config.batch, self.config.concurrency) // 4)
