"""The heartbeat: a worker renews its leases while it works on them, so leases stay short."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from core.ports import Clock, UnitOfWorkFactory


class Heartbeat:
    """Renews, every `every` (a third of the lease by default), this worker's leases on the
    posts it is publishing and the progress marks it is rendering.

    A lease only has to outlast one beat, not the slowest request: a process that dies
    (SIGKILL, a lost machine) leaves claims that the others take over within seconds of the
    lease, while a live one keeps what it is working on, however long a request takes. A job
    that crashed is no longer renewed, so recovery gets its targets back too.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        worker: str,
        lease: timedelta,
        every: timedelta | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._worker = worker
        self._lease = lease
        self.every = every if every is not None else lease / 3
        self._last: datetime | None = None

    async def beat(self, posts: Collection[int], marks: Collection[int]) -> bool:
        """Renew if a beat is due; True when it renewed."""
        now = self._clock.now()
        if self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        if not posts and not marks:
            return False
        until = now + self._lease
        async with self._uow() as uow:
            await uow.posts.renew_leases(posts, worker=self._worker, lease_until=until)
            await uow.progress.renew(marks, worker=self._worker, lease_until=until)
            await uow.commit()
        return True
