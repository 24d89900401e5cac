"""The redirect back from a network's login page: state checked, account stored, chat told."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from core.errors import PublishError
from core.logins import STATE, AccountLogin, Grant, LoginState, state_digest
from core.model import AccountKey, Connection, ConnectionStatus, Network, Profile
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.replies import Reply

__all__ = ["LoginCallback", "LoginPage"]

log = logging.getLogger(__name__)

NOT_VALID = (
    "This link is not valid, or was already used. Go back to the chat and send /connect for "
    "a new one."
)
AGAIN = "Send /connect to try again."
MAX_CODE = 2048  # authorization codes are a few hundred characters; longer is not one
# OAuth error codes are short ASCII words (RFC 6749 §4.1.2.1); anything else in the query
# is not shown, nor is error_description: whoever built the URL wrote it.
_ERROR_CODE = re.compile(r"[a-z_]{1,40}", re.ASCII)


@dataclass(frozen=True, slots=True)
class LoginPage:
    """What the browser is shown (plain text; the web app escapes it)."""

    ok: bool
    title: str
    text: str


class LoginCallback:
    """Completes a login started from /connect. The state is taken once whatever follows, so
    a link works once; nothing is stored unless the whole round trip succeeded, and the chat
    it was asked in hears how it ended whenever the state names one."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        logins: Mapping[Network, AccountLogin],
        policy: Policy,
        clock: Clock,
        messengers: Messengers,
    ) -> None:
        self._uow = uow
        self._logins = logins
        self._policy = policy
        self._clock = clock
        self._messengers = messengers

    async def complete(
        self, network: Network, *, state: str | None, code: str | None, error: str | None
    ) -> LoginPage:
        label = network.label
        login = self._logins.get(network)
        if login is None:
            return _failed(label, f"{label} login is not set up on this server.")
        if state is None or not STATE.fullmatch(state):
            return _failed(label, NOT_VALID)
        async with self._uow() as uow:
            asked = await uow.logins.take_state(state_digest(state))
            await uow.commit()
        if asked is None:
            return _failed(label, NOT_VALID)
        if asked.network is not network:
            return await self._refused(asked, label, f"That link was not for {label}.")
        if asked.expires_at <= self._clock.now():
            return await self._refused(
                asked, label, f"The {label} link expired: links last 10 minutes."
            )
        if error is not None:
            return await self._refused(asked, label, _error_text(label, error))
        if not code or len(code) > MAX_CODE:
            return await self._refused(asked, label, f"{label} sent no usable authorization code.")
        return await self._connect(login, asked, code)

    async def _connect(self, login: AccountLogin, asked: LoginState, code: str) -> LoginPage:
        network, label = login.network, login.network.label
        async with self._uow() as uow:
            profile = await uow.profiles.by_identity(asked.identity)
        if profile is None or self._policy.route(profile.tier, network) is not login.route:
            # Deleted meanwhile, or moved to a plan that links the network elsewhere.
            return await self._refused(asked, label, _other_plan(label))
        try:
            grant = await login.complete(code)
        except PublishError as e:
            return await self._refused(asked, label, e.reason)
        now = self._clock.now()
        refusal: str | None = None
        again = False
        async with self._uow() as uow:
            current = await uow.profiles.lock(profile.id)
            if current is None:
                refusal = "Your profile no longer exists."
            elif self._policy.route(current.tier, network) is not login.route:
                # The plan changed while the user was on the network's page: checked again
                # under the lock, so no token lands on a profile whose route cannot use it.
                refusal = _other_plan(label)
            else:
                again = await self._store(uow, current, login, grant, now)
        if refusal is not None:
            # Told after the transaction ended: nothing was written, no lock held meanwhile.
            return await self._refused(asked, label, refusal)
        name = f"@{grant.username}"
        log.info("profile %s %s %s", profile.id, "reconnected" if again else "connected", label)
        done = "reconnected" if again else "connected"
        await self._tell(asked, f"{label} {done} ✅ {name}. Compose with /post.")
        return LoginPage(True, f"{label} {done}", f"{label} {done} — you can close this tab.")

    @staticmethod
    async def _store(
        uow: UnitOfWork, current: Profile, login: AccountLogin, grant: Grant, now: datetime
    ) -> bool:
        """The grant as the profile's account and a connected connection; whether it was a
        reconnect."""
        network = login.network
        again = network in current.connections
        current.accounts[login.route] = AccountKey(
            grant.account_id, grant.token, grant.expires_at, now, grant.scopes
        )
        current.connections[network] = Connection(
            network, ConnectionStatus.CONNECTED, f"@{grant.username}", now, grant.expires_at
        )
        await uow.profiles.save(current)
        await uow.commit()
        return again

    async def _refused(self, asked: LoginState, label: str, reason: str) -> LoginPage:
        await self._tell(asked, f"{label} was not connected: {reason} {AGAIN}")
        return _failed(label, f"{reason} Go back to the chat and send /connect to try again.")

    async def _tell(self, asked: LoginState, text: str) -> None:
        messenger = self._messengers.get(asked.chat.platform)
        if messenger is None:
            log.warning("no %s messenger to tell about a login", asked.chat.platform.value)
            return
        try:
            await messenger.send(asked.chat, Reply(text))
        except Exception:
            # The browser still gets its page; the chat's own /status shows the outcome.
            log.exception("could not tell chat %s about a login", asked.chat.chat)


def _failed(label: str, text: str) -> LoginPage:
    return LoginPage(False, f"{label} was not connected", text)


def _other_plan(label: str) -> str:
    return f"Your plan no longer connects {label} this way."


def _error_text(label: str, error: str) -> str:
    if error == "access_denied":
        return f"You did not allow Postroom to use your {label} account."
    shown = error if _ERROR_CODE.fullmatch(error) else "unknown"
    return f"{label} stopped the login ({shown})."
