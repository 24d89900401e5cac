"""Accounts a user logs in to on the network's own page (OAuth): single-use states, grants."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from core.model import ChatRef, Identity, Network, Route, Secret

STATE_TTL = timedelta(minutes=10)
# 32 random bytes (256 bits) as URL-safe base64 without padding: 43 characters.
STATE_BYTES = 32
STATE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


def new_state() -> str:
    return secrets.token_urlsafe(STATE_BYTES)


def state_digest(state: str) -> str:
    """What is stored of a state: its SHA-256, so a copy of the database completes no login."""
    return hashlib.sha256(state.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginState:
    """A login link given to `identity` in `chat`: the redirect back names it by its state."""

    digest: str
    network: Network
    identity: Identity
    chat: ChatRef
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    """What a completed login yields: the account, its display name and a long-lived token."""

    account_id: str
    username: str
    token: Secret = field(repr=False)
    expires_at: datetime
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Renewed:
    """A refreshed token and its new expiry."""

    token: Secret = field(repr=False)
    expires_at: datetime


class AccountLogin(Protocol):
    """One network's OAuth login (Instagram Login). `complete` and `refresh` raise
    PermanentError (refused; `reason` is safe to show, `reconnect` for a dead token) or
    TransientError (try again later)."""

    network: Network
    route: Route  # whose provider account the token becomes

    def authorize_url(self, state: str) -> str: ...

    async def complete(self, code: str) -> Grant: ...

    async def refresh(self, token: Secret) -> Renewed: ...


class LoginRepository(Protocol):
    async def add_state(self, state: LoginState) -> None:
        """Store a new state; ones expired over a day ago are dropped meanwhile."""
        ...

    async def take_state(self, digest: str) -> LoginState | None:
        """Remove the state and return it (expired or not), or None if there is none: of two
        redirects with the same state, exactly one gets it."""
        ...

    async def claim_refresh(
        self,
        route: Route,
        network: Network,
        *,
        now: datetime,
        expiring_before: datetime,
        issued_before: datetime,
        retry_at: datetime,
        limit: int,
    ) -> Sequence[int]:
        """Profiles whose `route` token expires before `expiring_before`, was issued before
        `issued_before`, is not due again later and whose `network` connection is not broken:
        each is taken (not tried again before `retry_at`) by one caller only."""
        ...
