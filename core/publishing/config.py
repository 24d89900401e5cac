"""How the pipeline runs: leases, batches, concurrency, retries and budgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    worker: str = "worker-1"
    # Renewed by a heartbeat every third of it while the work goes on: a dead worker's claims
    # are taken over within seconds, however long a live one's requests take.
    lease: timedelta = timedelta(seconds=15)
    batch: int = 64  # targets claimed per database round trip
    concurrency: int = 64  # requests (publish or lookup) in flight at once
    # Tries in all, backing off exponentially from 5 s (docs/product-rules.md#publishing-retries).
    max_attempts: int = 3
    backoff: timedelta = timedelta(seconds=5)
    settle_after: timedelta = timedelta(seconds=30)
    # How long a lookup may find nothing before we conclude the request never landed.
    absent_grace: timedelta = timedelta(minutes=2)
    give_up_settling: timedelta = timedelta(hours=24)
    # Later than this after its due time, a post that never went out is held for the author.
    missed_grace: timedelta = timedelta(minutes=15)
    profile_requests: int = 300  # Ayrshare: 300 requests per 5 minutes per User Profile
    profile_window: timedelta = timedelta(minutes=5)
    # Profiles (their provider keys, time zone) are reused this long between database reads.
    profile_cache: timedelta = timedelta(minutes=1)
