"""Idempotency keys: one per post, targets and retry round, so a re-send is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from core.model import Network


def idempotency_key(post_id: int, networks: Sequence[Network], round_: int) -> str:
    """Same post, same targets, same retry round: same key, so a re-send is refused upstream."""
    # Sorted by name, not `Network.rank`: keys already sent upstream must stay the same.
    names = ",".join(sorted(n.value for n in networks))
    digest = hashlib.sha256(f"postroom:{post_id}:{names}:{round_}".encode()).hexdigest()
    return f"pr-{post_id}-{digest[:24]}"
