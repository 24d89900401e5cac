"""One-time Slack OAuth `state` values in SQL behind slack_sdk's AsyncOAuthStateStore."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.db.slack_tables import SlackOAuthStateRow
from core.ports import Clock

log = logging.getLogger(__name__)

STATE_TTL = timedelta(minutes=10)
STATE_BYTES = 32  # 256 random bits
_MAX_STATE = 256  # longer query values are not ours: refused before hashing


def state_digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


class SqlOAuthStateStore(AsyncOAuthStateStore):
    """The state ties the redirect back from Slack to the install that asked for it (CSRF:
    https://api.slack.com/authentication/oauth-v2#asking). Only its SHA-256 is stored, so a
    copy of the database completes nobody's install; it expires after ten minutes by the
    injected clock, and consuming it is one DELETE, so of two concurrent redirects with the
    same state exactly one succeeds."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        ttl: timedelta = STATE_TTL,
        logger: logging.Logger = log,
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self._ttl = ttl
        self._logger = logger
        # Give bolt the same figure (AsyncOAuthSettings(state_expiration_seconds=...)): it
        # sets the state cookie's Max-Age.
        self.expiration_seconds = int(ttl.total_seconds())

    def __repr__(self) -> str:
        return f"SqlOAuthStateStore(ttl={self._ttl})"

    @property
    def logger(self) -> logging.Logger:
        return self._logger

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(STATE_BYTES)
        now = self._clock.now()
        async with self._sessions() as session, session.begin():
            # Unused states would otherwise pile up: each issue clears the expired ones.
            await session.execute(
                delete(SlackOAuthStateRow).where(SlackOAuthStateRow.expires_at <= now)
            )
            session.add(SlackOAuthStateRow(digest=state_digest(state), expires_at=now + self._ttl))
        return state

    async def async_consume(self, state: str) -> bool:
        if not state or len(state) > _MAX_STATE:
            return False
        now = self._clock.now()
        # One conditional DELETE: a second transaction with the same state waits for the
        # first's row lock (PostgreSQL) or database lock (SQLite), then deletes nothing.
        async with self._sessions() as session, session.begin():
            expires_at = (
                await session.scalars(
                    delete(SlackOAuthStateRow)
                    .where(SlackOAuthStateRow.digest == state_digest(state))
                    .returning(SlackOAuthStateRow.expires_at)
                )
            ).first()
        # An expired state is deleted too: it can never become valid again.
        return expires_at is not None and expires_at > now
