"""The Reconnect button of a connection warning: a fresh connect link for that one network."""

from __future__ import annotations

from core.chat.base import parse_network
from core.chat.connect import ConnectFlow
from core.connections import expiring
from core.handlers import Actor, refuse
from core.model import ConnectionStatus, MessageRef, Network, Profile
from core.ports import ConnectLink
from core.replies import Button, Reply


class ReconnectFlow(ConnectFlow):
    """`Action.RECONNECT`: the same link /connect gives (Ayrshare's linking page for Pro,
    Instagram's login for Free), for the network the warning named."""

    async def _tap_reconnect(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        if not actor.chat.private:  # connect links are shown in private chats only
            return refuse("Reconnect your networks in a private chat with me.")
        # "instagram:access": the connection works but lacks a permission a feature needs (the
        # engage inbox's comments), so a fresh login is wanted even though nothing expires.
        name, _, why = arg.partition(":")
        network = parse_network(name)
        label = network.label
        if not self._policy.allows(profile.tier, network):
            return refuse(self._policy.refusal(profile.tier, network))
        if reason := self._unavailable(profile).get(network):
            return refuse(reason)
        # The warning may be old: the connection may have been renewed or removed since.
        connection = profile.connections.get(network)
        if connection is None:
            return refuse(f"{label} is no longer connected. Send /connect to link it again.")
        now = self._clock.now()
        renew = why != "access"
        if (
            renew
            and connection.status is ConnectionStatus.CONNECTED
            and not expiring(connection, now)
        ):
            return refuse(f"{label} is connected again; there is nothing to renew.")
        link = await self._link_for(actor, profile, network)
        if link.completes_at_once:  # the sandbox: connected at once, as /connect does
            return await self._tap_connect(actor, profile, arg, message)
        minutes = (
            f" (the link lasts {link.expires_minutes} minutes)" if link.expires_minutes else ""
        )
        return Reply(
            f"Open {label} to reconnect it{minutes}.",
            buttons=((Button(f"{label} ↗", url=link.url),),),
            edit=message is not None,
        )

    async def _link_for(self, actor: Actor, profile: Profile, network: Network) -> ConnectLink:
        login = self._login_for(profile, network)
        if login is not None:
            return await self._login_link(actor, login)
        route = self._policy.route(profile.tier, network)
        profile = await self._accounts.ensure_account(profile, route)
        return await self._publishers[route].connect_link(profile, network)
