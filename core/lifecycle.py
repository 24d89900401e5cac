"""Connections kept alive: Pro links re-read on a cadence, provider link events applied, and
the owner warned once before a link ends and at once when one breaks (issue 17)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.actions import Action
from core.connections import WARN_BEFORE, apply_links, days_left, expiring
from core.errors import PublishError
from core.lifecycle_ports import LinkEvent, LinkEventKind, WarningKind
from core.model import (
    ChatKind,
    ChatRef,
    Connection,
    ConnectionStatus,
    Network,
    Profile,
    Route,
)
from core.policy import Policy
from core.ports import Clock, Messengers, Publisher, UnitOfWorkFactory, read_links
from core.replies import Button, Reply, seal
from core.when import format_local, zone

log = logging.getLogger(__name__)

# Where webhook deliveries already taken are recorded (core.chat_ports.SeenUpdateRepository).
EVENTS_SOURCE = "ayrshare-social"


@dataclass(frozen=True, slots=True)
class LifecycleConfig:
    # Ayrshare's GET /user for each Pro profile this often: refreshDaysRemaining moves by a
    # day a day, and the social webhook reports links and unlinks as they happen.
    check_every: timedelta = timedelta(hours=12)
    batch: int = 50


class ConnectionLifecycle:
    """One `tick` reads the Pro links that are due and sends the warnings that are owed;
    `apply` takes a provider's link event. Every step is claimed in the database, so any
    number of workers may run it, and a restart loses nothing."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        publishers: Mapping[Route, Publisher],
        policy: Policy,
        messengers: Messengers,
        clock: Clock,
        config: LifecycleConfig | None = None,
    ) -> None:
        self._uow = uow
        self._publishers = publishers
        self._policy = policy
        self._messengers = messengers
        self._clock = clock
        self.config = config or LifecycleConfig()

    async def tick(self) -> int:
        """Check the links due, then warn; returns how many warnings went out."""
        await self.check_links()
        return await self.warn_all()

    # --- reading Pro links ------------------------------------------------------------------

    async def check_links(self) -> int:
        """Read the links of the Pro profiles due (GET /user): ends, names, and accounts
        Ayrshare no longer lists (broken). Returns how many profiles were read."""
        now = self._clock.now()
        publisher = self._publishers.get(Route.AYRSHARE)
        if publisher is None:
            return 0
        async with self._uow() as uow:
            due = await uow.lifecycle.checks_due(now, limit=self.config.batch)
        read = 0
        for profile_id in due:
            async with self._uow() as uow:
                claimed = await uow.lifecycle.claim_check(
                    profile_id, now=now, next_at=now + self.config.check_every
                )
                await uow.commit()
            if not claimed:
                continue
            async with self._uow() as uow:
                profile = await uow.profiles.get(profile_id)
            if profile is None or Route.AYRSHARE not in profile.accounts:
                continue
            try:
                linked = await read_links(publisher, profile)
            except PublishError as e:
                # Tried again at the next check; the stored connections stay as they were.
                log.warning("could not read the links of profile %s: %s", profile_id, e.reason)
                continue
            read += 1
            if linked is None:
                continue
            async with self._uow() as uow:
                current = await uow.profiles.lock(profile_id)
                if current is None:
                    continue
                if apply_links(current, Route.AYRSHARE, linked, self._policy, now):
                    await uow.profiles.save(current)
                    await uow.commit()
        return read

    # --- provider events --------------------------------------------------------------------

    async def apply(self, event: LinkEvent, *, delivery: int) -> str:
        """Apply a link event once (`delivery` identifies it: a replay is taken once), then
        warn at once if it broke a connection. Returns what happened, for the log."""
        now = self._clock.now()
        async with self._uow() as uow:
            profile_id = await uow.lifecycle.by_account(Route.AYRSHARE, event.account_ref)
            if profile_id is None:
                log.info(
                    "ayrshare %s event for unknown account %s ignored",
                    event.kind.value,
                    event.account_ref[:12],
                )
                return "unknown account"
            if not await uow.seen_updates.first_seen(EVENTS_SOURCE, delivery, now=now):
                return "already taken"
            profile = await uow.profiles.lock(profile_id)
            if profile is None:
                return "unknown account"
            changed = _fold(profile, event, self._policy, now)
            if changed:
                await uow.profiles.save(profile)
            await uow.commit()
        log.info(
            "ayrshare %s of %s for profile %s: %s",
            event.kind.value,
            event.network.value,
            profile_id,
            "applied" if changed else "nothing to change",
        )
        await self.warn(profile)
        return "applied" if changed else "unchanged"

    # --- warnings ---------------------------------------------------------------------------

    async def warn_all(self) -> int:
        """Warn every profile owed a warning: a broken connection, or one ending within a
        week. Returns how many warnings went out."""
        horizon = self._clock.now() + WARN_BEFORE
        sent, after = 0, 0
        while True:
            async with self._uow() as uow:
                batch = await uow.lifecycle.to_warn(horizon, limit=self.config.batch, after=after)
            if not batch:
                return sent
            for profile_id in batch:
                async with self._uow() as uow:
                    profile = await uow.profiles.get(profile_id)
                if profile is not None:
                    sent += await self.warn(profile)
            after = batch[-1]

    async def warn(self, profile: Profile) -> int:
        """Send the profile's owed warnings, each at most once a day and once per break or
        per ending link; returns how many went out."""
        now = self._clock.now()
        sent = 0
        for network in Network:
            connection = profile.connections.get(network)
            if connection is None or not self._policy.allows(profile.tier, network):
                continue
            kind = await self._owed(profile.id, connection, now)
            if kind is not None and await self._send(profile, connection, kind, now):
                sent += 1
        return sent

    async def _owed(
        self, profile_id: int, connection: Connection, now: datetime
    ) -> WarningKind | None:
        if connection.status is ConnectionStatus.BROKEN:
            kind, since = WarningKind.BROKEN, connection.updated_at
        elif expiring(connection, now) and connection.expires_at is not None:
            # Once per ending: a link renewed for another 60 days is warned about again.
            kind, since = WarningKind.EXPIRING, connection.expires_at - WARN_BEFORE - _DAY
        else:
            return None
        async with self._uow() as uow:
            last = await uow.lifecycle.last_warned(profile_id, connection.network, kind)
        if last is not None and (since is None or last >= since):
            return None
        return kind

    async def _send(
        self, profile: Profile, connection: Connection, kind: WarningKind, now: datetime
    ) -> bool:
        chat = await self._owner_chat(profile.id)
        if chat is None:
            log.info("no private chat to warn profile %s in", profile.id)
            return False
        day = now.astimezone(zone(profile.timezone)).date()  # "twice a day" is theirs
        network = connection.network
        async with self._uow() as uow:
            claimed = await uow.lifecycle.claim_warning(profile.id, network, kind, day, now=now)
            await uow.commit()
        if not claimed:
            return False  # sent today already, or another worker is sending it
        reply = seal(warning(profile, connection, kind, now), profile.id, now)
        try:
            await self._messengers[chat.platform].send(chat, reply)
        except Exception as e:
            log.warning("could not warn profile %s about %s: %s", profile.id, network.value, e)
            async with self._uow() as uow:
                await uow.lifecycle.unclaim(profile.id, network, kind, day)
                await uow.commit()
            return False
        async with self._uow() as uow:
            await uow.lifecycle.warned(profile.id, network, kind, day, now=now)
            await uow.commit()
        log.info("warned profile %s: %s %s", profile.id, network.value, kind.value)
        return True

    async def _owner_chat(self, profile_id: int) -> ChatRef | None:
        """The owner's private chat with the bot, on a platform this process can write to
        (a private chat's id is the user's id on Telegram; Slack opens the app's DM)."""
        async with self._uow() as uow:
            identities = await uow.profiles.identities(profile_id)
        for identity in identities:
            if identity.platform in self._messengers:
                return ChatRef(
                    identity.platform, identity.user, identity.workspace, ChatKind.PRIVATE
                )
        return None


_DAY = timedelta(days=1)


def warning(profile: Profile, connection: Connection, kind: WarningKind, now: datetime) -> Reply:
    """The one message of a warning, with the Reconnect button (`Action.RECONNECT`)."""
    label = connection.network.label
    if kind is WarningKind.BROKEN:
        text = (
            f"⚠️ {label} is disconnected: the network ended Postroom's access. Posts to "
            f"{label} can't go out until you reconnect it."
        )
    else:
        left = days_left(connection, now) or 0
        assert connection.expires_at is not None
        when = format_local(connection.expires_at, profile.timezone)
        span = "today" if left == 0 else "in 1 day" if left == 1 else f"in {left} days"
        text = (
            f"⏳ Your {label} connection ends {span} ({when}). Reconnect it to keep "
            f"publishing to {label}."
        )
    button = Button(f"🔗 Reconnect {label}", Action.RECONNECT, connection.network.value)
    return Reply(text, buttons=((button,),))


def _fold(profile: Profile, event: LinkEvent, policy: Policy, now: datetime) -> bool:
    """The event's change to the profile's connections; False when there is none (a
    network this plan does not route through Ayrshare, or it is already so)."""
    network = event.network
    if policy.rules[profile.tier].routes.get(network) is not Route.AYRSHARE:
        return False
    known = profile.connections.get(network)
    if event.kind is LinkEventKind.LINK:
        name = event.display_name or (known.display_name if known else "")
        fresh = Connection(network, ConnectionStatus.CONNECTED, name, now, event.renew_by)
        if known is not None and known.status is ConnectionStatus.CONNECTED:
            fresh.updated_at = known.updated_at
            fresh.expires_at = event.renew_by or known.expires_at
        if fresh == known:
            return False
        profile.connections[network] = fresh
        return True
    if known is None:
        return False
    if event.kind is LinkEventKind.REFRESH:
        if event.renew_by is None or event.renew_by == known.expires_at:
            return False
        known.expires_at = event.renew_by
        return True
    # Unlinked. By the user at Ayrshare's page: they chose it, as with /disconnect. By the
    # system (the network revoked or ended the link): broken, and the owner is told.
    if not event.by_system:
        del profile.connections[network]
        return True
    if known.status is ConnectionStatus.BROKEN:
        return False
    profile.connections[network] = Connection(
        network, ConnectionStatus.BROKEN, known.display_name, now, known.expires_at
    )
    return True
