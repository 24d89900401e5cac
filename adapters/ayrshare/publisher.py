"""AyrsharePublisher: core's Publisher port for Route.AYRSHARE, one Ayrshare user per profile."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from adapters.ayrshare import records, wire
from adapters.ayrshare.budgeted import PRIMARY, Budgeted
from adapters.ayrshare.client import AyrshareClient
from core.connections import LinkState
from core.errors import PermanentError, PublishError
from core.model import AccountKey, Network, Post, Profile, Route, Secret
from core.ports import ConnectLink, Outcome, OutcomeKind, PublishRequest
from core.request_budget import BudgetKey, Lane

__all__ = ["CONNECT_LINK_MINUTES", "NO_JWT_SETUP", "X_NEEDS_KEYS", "AyrsharePublisher"]

log = logging.getLogger(__name__)
T = TypeVar("T")

X_NEEDS_KEYS = (
    "X needs the operator's own X app keys (POSTROOM_AYRSHARE_X_API_KEY / _SECRET) "
    "since 31 March 2026."
)
NO_JWT_SETUP = (
    "Connecting accounts needs POSTROOM_AYRSHARE_DOMAIN and POSTROOM_AYRSHARE_PRIVATE_KEY_FILE "
    "on this server."
)
NO_ACCOUNT = "This profile has no Ayrshare account yet; try again."
CONNECT_LINK_MINUTES = 5  # Ayrshare's default JWT lifetime (longer needs the Max Pack)
# Lookups run within a day of sending (core gives up settling after 24 h).
HISTORY_DAYS = 3
# Instagram and TikTok offer no deletion through their APIs (Ayrshare "Delete a Post").
_UNDELETABLE = (Network.INSTAGRAM, Network.TIKTOK)
# /status, /post and /schedule each ask what is linked: a burst of them is answered from the
# last answer for this long instead of spending the profile's request budget.
CONNECTIONS_TTL = timedelta(seconds=45)


class AyrsharePublisher:
    """Publishes through Ayrshare: one User Profile per Postroom profile, keyed by Profile-Key.

    Every request is counted in the budget the pipeline and analytics use: the pipeline
    reserves for each post and lookup it sends, this class for everything else (in the chat
    lane: a user is waiting), and a 429 on any of them holds the profile.
    """

    route = Route.AYRSHARE

    def __init__(
        self,
        client: AyrshareClient,
        *,
        jwt_domain: str | None,
        private_key_pem: str | None,
        connect_redirect: str | None = None,
        budgeted: Budgeted | None = None,
        connections_ttl: timedelta = CONNECTIONS_TTL,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> None:
        self._client = client
        self._domain = jwt_domain
        self._private_key = private_key_pem
        self._redirect = connect_redirect
        self._budgeted = budgeted or Budgeted()
        self._ttl = connections_ttl
        self._linked: dict[int, tuple[datetime, dict[Network, LinkState]]] = {}
        # Ayrshare's social webhook, registered per User Profile (it would otherwise go to
        # the primary profile's webhook, if any); `_hooked`: registered by this process.
        self._webhook_url = webhook_url
        self._webhook_secret = webhook_secret
        self._hooked: set[int] = set()

    def __repr__(self) -> str:
        return f"AyrsharePublisher({self._client!r})"

    def unavailable(self, network: Network) -> str | None:
        if network is Network.X and not self._client.has_x_keys:
            return X_NEEDS_KEYS
        return None

    async def create_account(self, profile: Profile) -> AccountKey:
        # Ayrshare returns the profile key only in this answer and titles must be unique: a
        # fresh suffix per attempt means an answer lost to a timeout leaves an unused profile
        # behind (its title names our profile, so the operator can find and delete it) instead
        # of blocking every retry with "title already exists".
        title = f"postroom-{profile.id}-{secrets.token_hex(4)}"
        ref, key = await self._budgeted.call(
            PRIMARY, Lane.CHAT, lambda: self._client.create_profile(title)
        )
        await self._register_webhook(profile.id, key)
        return AccountKey(ref, Secret(key))

    async def _register_webhook(self, profile_id: int, key: str) -> None:
        """Ask Ayrshare to post this User Profile's link events to us. Best effort: without
        it the scheduled GET /user still finds what changed, only later."""
        url = self._webhook_url
        if url is None or profile_id in self._hooked:
            return
        self._hooked.add(profile_id)  # /connect asks for every network's link at once
        try:
            await self._budgeted.call(
                (Route.AYRSHARE, profile_id),
                Lane.CHAT,
                lambda: self._client.register_webhook(
                    key, action="social", url=url, secret=self._webhook_secret
                ),
            )
        except PublishError as e:
            self._hooked.discard(profile_id)  # the next link asks again
            log.warning("could not register the webhook of profile %s: %s", profile_id, e)

    async def connect_link(self, profile: Profile, network: Network) -> ConnectLink:
        if not self._domain or not self._private_key:
            raise PermanentError(NO_JWT_SETUP)
        domain, private_key = self._domain, self._private_key
        # First linked: a profile made before the webhook was configured gets it now.
        await self._register_webhook(profile.id, _profile_key(profile))
        url = await self._budgeted.call(
            PRIMARY,
            Lane.CHAT,
            lambda: self._client.generate_jwt(
                _profile_key(profile),
                domain=domain,
                private_key=private_key,
                allowed_social=[wire.platform_of(network)],
                redirect=self._redirect,
            ),
        )
        self._linked.pop(profile.id, None)  # the user is linking: ask afresh next time
        return ConnectLink(network, url, expires_minutes=CONNECT_LINK_MINUTES)

    async def connected(self, profile: Profile) -> Mapping[Network, str] | None:
        links = await self.links(profile)
        return None if links is None else {n: s.display_name for n, s in links.items()}

    async def links(self, profile: Profile) -> Mapping[Network, LinkState] | None:
        account = profile.accounts.get(Route.AYRSHARE)
        if account is None:
            return {}  # no Ayrshare user yet, so nothing can be linked there
        now = self._budgeted.clock.now()
        cached = self._linked.get(profile.id)
        if cached is not None and cached[0] > now:
            return dict(cached[1])
        linked = await self._budgeted.call(
            _budget_key(profile), Lane.CHAT, lambda: self._client.user_links(account.key.value)
        )
        found: dict[Network, LinkState] = {}
        for platform, link in linked.items():
            network = wire.network_of(platform)
            if network is None:
                continue
            ends = link.refresh_by
            if ends is None and link.refresh_days is not None:
                ends = now + timedelta(days=link.refresh_days)
            found[network] = LinkState(link.display_name, ends)
        if len(self._linked) > 10_000:
            self._linked = {k: v for k, v in self._linked.items() if v[0] > now}
        self._linked[profile.id] = (now + self._ttl, found)
        return dict(found)

    def forget_links(self, profile_id: int) -> None:
        """Ask Ayrshare afresh next time (a webhook said something changed)."""
        self._linked.pop(profile_id, None)

    async def unlink(self, profile: Profile, network: Network) -> None:
        key = _profile_key(profile)
        platform = wire.platform_of(network)
        await self._budgeted.call(
            _budget_key(profile), Lane.CHAT, lambda: self._client.unlink_social(key, platform)
        )
        self._linked.pop(profile.id, None)  # ask Ayrshare afresh next time

    async def delete_account(self, profile: Profile) -> None:
        key = _profile_key(profile)
        await self._budgeted.call(
            _budget_key(profile), Lane.CHAT, lambda: self._client.delete_profile(key)
        )
        self._linked.pop(profile.id, None)

    def _split(self, networks: Sequence[Network]) -> tuple[list[Network], dict[Network, Outcome]]:
        """Networks to send, and outcomes for those that cannot be sent from here."""
        sendable: list[Network] = []
        refused: dict[Network, Outcome] = {}
        for network in networks:
            reason = self.unavailable(network)
            if reason is None:
                sendable.append(network)
            else:
                refused[network] = Outcome(OutcomeKind.FAILED, reason=reason)
        return sendable, refused

    async def publish(self, request: PublishRequest) -> Mapping[Network, Outcome]:
        sendable, outcomes = self._split(request.networks)
        if not sendable:
            return outcomes
        key = _profile_key(request.profile)
        # One text per request: the pipeline groups the networks sharing a version.
        body = wire.post_body(request.text, request.post.media, sendable, request.idempotency_key)
        # The pipeline reserved this request's slot and blocks the profile on a 429's wait.
        raw = await self._client.post(body, key)
        outcomes.update(records.parse_post_response(raw, sendable))
        if any(o.reconnect for o in outcomes.values()):
            self._linked.pop(request.profile.id, None)  # a network was unlinked there
        return outcomes

    async def lookup(self, request: PublishRequest, since: datetime) -> Mapping[Network, Outcome]:
        sendable, outcomes = self._split(request.networks)
        if not sendable:
            return outcomes
        key = _profile_key(request.profile)
        # The pipeline reserved one slot for the lookup; any further request takes its own,
        # without waiting (the lookup is simply tried again later).
        slots = _Slots(self._budgeted, _budget_key(request.profile))
        record: Mapping[str, Any] | None = None
        for provider_id in _provider_ids(request.post, request.idempotency_key):
            record = await slots.send(partial(self._client.get_post, provider_id, key))
            if record is not None:
                break
        if record is None:
            items = await slots.send(partial(self._client.history, key, HISTORY_DAYS))
            record = records.find_in_history(
                items,
                idempotency_key=request.idempotency_key,
                text=request.text,
                platforms=[wire.platform_of(n) for n in sendable],
                since=since,
            )
        if record is None:
            outcomes.update(dict.fromkeys(sendable, Outcome(OutcomeKind.ABSENT)))
        else:
            outcomes.update(records.outcomes_from_record(record, sendable))
        return outcomes

    async def delete(self, profile: Profile, post: Post, networks: Sequence[Network]) -> None:
        """Delete the Ayrshare posts behind these targets; Instagram and TikTok copies stay,
        which is reported as a PermanentError after the rest is deleted."""
        key = _profile_key(profile)
        # Ayrshare deletes a post from every network it reached, except where it can't.
        deletable: set[str] = set()
        for n in networks:
            t = post.targets.get(n)
            if t is not None and t.provider_post_id and n not in _UNDELETABLE:
                deletable.add(t.provider_post_id)
        for provider_id in sorted(deletable):
            await self._budgeted.call(
                _budget_key(profile),
                Lane.CHAT,
                partial(self._client.delete_post, provider_id, key),
            )
        kept = [n.label for n in _UNDELETABLE if n in networks]
        if kept:
            they = "They don't" if len(kept) > 1 else "It doesn't"
            raise PermanentError(
                f"{they} allow removing posts through the API; delete it in the "
                f"{' and '.join(kept)} app."
            )


class _Slots:
    """One request's slot taken by the caller; each further request reserves its own."""

    def __init__(self, budgeted: Budgeted, key: BudgetKey) -> None:
        self._budgeted = budgeted
        self._key = key
        self._first = True

    async def send(self, request: Callable[[], Awaitable[T]]) -> T:
        if self._first:
            self._first = False
            return await self._budgeted.counted(self._key, request)
        return await self._budgeted.call(self._key, Lane.PUBLISHING, request, max_wait=0)


def _budget_key(profile: Profile) -> BudgetKey:
    return (Route.AYRSHARE, profile.id)


def _profile_key(profile: Profile) -> str:
    account = profile.accounts.get(Route.AYRSHARE)
    if account is None:
        raise PermanentError(NO_ACCOUNT)
    return account.key.value


def _provider_ids(post: Post, idempotency_key: str) -> list[str]:
    """Ayrshare post ids already known for this request (from targets it published)."""
    ids = {
        t.provider_post_id
        for t in post.targets.values()
        if t.idempotency_key == idempotency_key and t.provider_post_id
    }
    return sorted(ids)
