"""Instagram Login as core's AccountLogin port: grants and refreshes in core's terms."""

from __future__ import annotations

from datetime import timedelta

from adapters.instagram.graph import RECONNECT, TOKEN_INVALID
from adapters.instagram.login import InstagramLogin, InstagramLoginError
from core.errors import PermanentError, TransientError
from core.logins import Grant, Renewed
from core.model import Network, Route, Secret
from core.ports import Clock

__all__ = ["InstagramAccountLogin"]


class InstagramAccountLogin:
    """The Free tier's Instagram: the token becomes the profile's Route.INSTAGRAM_GRAPH
    account, which the Graph publisher publishes with."""

    network = Network.INSTAGRAM
    route = Route.INSTAGRAM_GRAPH

    def __init__(self, login: InstagramLogin, clock: Clock) -> None:
        self._login = login
        self._clock = clock

    def __repr__(self) -> str:
        return f"InstagramAccountLogin({self._login.redirect_uri!r})"

    def authorize_url(self, state: str) -> str:
        return self._login.authorize_link(state)

    async def complete(self, code: str) -> Grant:
        try:
            grant = await self._login.complete(code)
        except InstagramLoginError as e:
            raise _error(e) from None
        expires_at = self._clock.now() + timedelta(seconds=grant.expires_in)
        return Grant(
            grant.account_id, grant.username, Secret(grant.token), expires_at, grant.scopes
        )

    async def refresh(self, token: Secret) -> Renewed:
        try:
            new, expires_in = await self._login.refresh(token.value)
        except InstagramLoginError as e:
            raise _error(e) from None
        return Renewed(Secret(new), self._clock.now() + timedelta(seconds=expires_in))


def _error(e: InstagramLoginError) -> PermanentError | TransientError:
    if e.transient:
        return TransientError(e.reason)
    if e.code == TOKEN_INVALID:
        return PermanentError(RECONNECT, reconnect=True)
    return PermanentError(e.reason)
