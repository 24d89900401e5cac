"""Linking networks: connect links per network, what is connected, and the sandbox shortcut."""

from __future__ import annotations

import asyncio

from core import views
from core.actions import Action
from core.chat.base import Flow, parse_network
from core.commands import Command
from core.connections import state_text
from core.handlers import Actor, profile_wide, refuse
from core.logins import STATE_TTL, AccountLogin, LoginState, new_state, state_digest
from core.model import (
    Connection,
    ConnectionStatus,
    MessageRef,
    Network,
    Profile,
)
from core.ports import ConnectLink
from core.replies import Button, Field, Reply


class ConnectFlow(Flow):
    """/connect, /status and their buttons."""

    async def _connect(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not actor.chat.private:
            if actor.team is not None:  # the team's networks, connected by an admin in private
                return views.connect_team_in_private(actor.team.id, actor.team.name)
            return views.continue_in_private(actor.chat.kind)
        return await self._connect_view(actor, profile)

    async def _connect_view(
        self, actor: Actor, profile: Profile, *, edit: bool = False, toast: str | None = None
    ) -> Reply:
        links = await self._links(actor, profile)
        buttons: list[Button] = []
        for network in Network:
            link = links.get(network)
            if link is None:
                mark = "🔒" if not self._policy.allows(profile.tier, network) else "⛔"
                buttons.append(
                    Button(f"{mark} {network.label}", Action.LOCKED, network.value, locked=True)
                )
            elif link.url:
                buttons.append(Button(f"{network.label} ↗", url=link.url))
            else:
                mark = "✅ " if network in profile.connected() else ""
                buttons.append(Button(f"{mark}{network.label}", Action.CONNECT, network.value))
        expires = min(
            (k.expires_minutes for k in links.values() if k.expires_minutes), default=None
        )
        head = "Connect your accounts" + (f" (links last {expires} minutes):" if expires else ":")
        if self.sandbox:
            head = "Connect your accounts (sandbox: links complete at once):"
        return Reply(
            f"{head}\n{_connected_line(profile)}",
            buttons=views.rows(buttons),
            edit=edit,
            toast=toast,
        )

    async def _links(self, actor: Actor, profile: Profile) -> dict[Network, ConnectLink]:
        allowed = [n for n in Network if self._policy.allows(profile.tier, n)]
        usable = [n for n in allowed if not self._unavailable(profile).get(n)]
        logins = {n: login for n in usable if (login := self._login_for(profile, n))}
        routes = {self._policy.route(profile.tier, n) for n in usable if n not in logins}
        for route in routes:
            if route in self._publishers:
                profile = await self._accounts.ensure_account(profile, route)
        results: dict[Network, ConnectLink] = {}

        async def one(network: Network) -> None:
            if (login := logins.get(network)) is not None:
                results[network] = await self._login_link(actor, login)
                return
            publisher = self._publishers.get(self._policy.route(profile.tier, network))
            if publisher is not None:
                results[network] = await publisher.connect_link(profile, network)

        await asyncio.gather(*(one(n) for n in usable))
        return results

    def _login_for(self, profile: Profile, network: Network) -> AccountLogin | None:
        login = self._logins.get(network)
        if login is None or login.route is not self._policy.route(profile.tier, network):
            return None
        return login

    async def _login_link(self, actor: Actor, login: AccountLogin) -> ConnectLink:
        """A link to the network's login page whose state names who asked, and where: the
        redirect back connects their profile and answers in this chat (core.chat.login)."""
        state = new_state()
        now = self._clock.now()
        asked = LoginState(
            state_digest(state), login.network, actor.identity, actor.chat, now, now + STATE_TTL
        )
        async with self._uow() as uow:
            await uow.logins.add_state(asked)
            await uow.commit()
        minutes = int(STATE_TTL.total_seconds() // 60)
        return ConnectLink(login.network, login.authorize_url(state), expires_minutes=minutes)

    async def _status(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "what is connected")
        notes: list[str] = []
        profile = await self._refresh_connections(profile, notes)
        async with self._uow() as uow:
            pending = await uow.posts.count_scheduled(profile.id)
        now = self._clock.now()
        fields = [Field("Plan", profile.tier.label), Field("Time zone", profile.timezone)]
        for network in Network:
            if not self._policy.allows(profile.tier, network):
                state = "🔒 Pro"
            elif reason := self._unavailable(profile).get(network):
                state = f"⛔ {reason}"
            else:
                state = state_text(profile.connections.get(network), now)
            fields.append(Field(network.label, state))
        fields.append(Field("Scheduled posts", str(pending)))
        return Reply(
            "\n".join(["Your Postroom status", *notes]),
            fields=tuple(fields),
            buttons=((Button("🔗 Connect networks", Action.COMMAND, "connect"),),),
        )

    async def _tap_connect(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if not actor.chat.private:  # connect links are shown in private chats only
            return refuse("Connect your networks in a private chat with me.")
        network = parse_network(arg)
        route = self._policy.route(profile.tier, network)
        if reason := self._unavailable(profile).get(network):
            return refuse(reason)
        publisher = self._publishers[route]
        profile = await self._accounts.ensure_account(profile, route)
        link = await publisher.connect_link(profile, network)
        if not link.completes_at_once:
            return refuse(f"Open the {network.label} link to connect it.")
        async with self._uow() as uow:
            current = await uow.profiles.get(profile.id)
            assert current is not None
            already = network in current.connected()
            current.connections[network] = Connection(
                network, ConnectionStatus.CONNECTED, f"Sandbox {network.label}", self._clock.now()
            )
            await uow.profiles.save(current)
            await uow.commit()
        toast = (
            f"{network.label} was already connected."
            if already
            else f"{network.label} connected ✅"
        )
        return await self._connect_view(actor, current, edit=message is not None, toast=toast)

    async def _tap_locked(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        network = parse_network(arg)
        if not self._policy.allows(profile.tier, network):
            refusal = self._policy.refusal(profile.tier, network)
            if not self._sells_pro(actor):
                return refuse(refusal)
            # Where Pro is sold in the chat, the way out is one tap away.
            upgrade = Button("⭐ Upgrade to Pro", Action.RENEW)
            return Reply(refusal, buttons=((upgrade,),), toast=f"🔒 {network.label} is Pro")
        reason = self._unavailable(profile).get(network)
        return refuse(reason or f"{network.label} is available to you now. Send /connect again.")


def _connected_line(profile: Profile) -> str:
    linked = [n.label for n in Network if n in profile.connected()]
    broken = [
        n.label for n, c in profile.connections.items() if c.status is ConnectionStatus.BROKEN
    ]
    line = f"Connected: {', '.join(linked)} ✅" if linked else "Connected: none yet."
    if broken:
        line += f"\n⚠️ Reconnect: {', '.join(broken)}"
    return line
