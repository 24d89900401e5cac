"""/disconnect <network>: asks first, unlinks at the provider, holds the posts scheduled there."""

from __future__ import annotations

from datetime import timedelta

from core.actions import Action
from core.chat.base import Flow, parse_network
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import Actor, profile_wide, refuse
from core.model import ConnectionStatus, MessageRef, Network, Post, Profile, Route
from core.ports import UnitOfWork, Unlinker, unwrapped
from core.replies import Button, Reply, code
from core.states import TargetState

# A confirmation answers the question as it was asked: later, the scheduled posts it named
# may have changed, so an older button asks the user to send /disconnect again.
CONFIRM_FOR = timedelta(minutes=10)
_PAGE = 100


class DisconnectFlow(Flow):
    """/disconnect and its confirmation button."""

    async def _disconnect(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "your connected networks")
        if not cmd.args.strip():
            raise DomainError(
                f"Which network? e.g. {code('/disconnect linkedin')}. /status shows what is "
                "connected."
            )
        network = parse_network(cmd.args.strip())
        if network not in profile.connections:
            raise DomainError(f"{network.label} is not connected. /status shows what is.")
        async with self._uow() as uow:
            held = await _scheduled_to(uow, profile, network)
        lines = [f"Disconnect {network.label}? Postroom will no longer publish there."]
        if held:
            lines.append(
                f"Scheduled to {network.label}: {_numbers(held)}. They won't go there: "
                f"{network.label} goes back to draft in them (the other networks stay "
                "scheduled)."
            )
        minute = int(self._clock.now().timestamp()) // 60
        return Reply(
            "\n".join(lines),
            buttons=(
                (
                    Button(
                        f"Yes, disconnect {network.label}",
                        Action.DISCONNECT,
                        f"{network.value}:{minute}",
                    ),
                    Button("Keep it", Action.COMMAND, "status"),
                ),
            ),
        )

    async def _tap_disconnect(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        profile_wide(actor, "your connected networks")
        name, _, asked = arg.partition(":")
        network = parse_network(name)
        minute = ascii_number(asked)
        now = self._clock.now()
        if minute is None or now.timestamp() // 60 - minute > CONFIRM_FOR.total_seconds() // 60:
            return refuse(f"This question is too old; send /disconnect {network.value} again.")
        if network not in profile.connections:
            return refuse(f"{network.label} is already disconnected.")
        route = self._policy.route(profile.tier, network)
        async with self._uow() as uow:
            for post in await _scheduled_to(uow, profile, network, include_out=True):
                if post.targets[network].may_be_out:
                    return refuse(
                        f"Post #{post.id} is being published to {network.label} right now; "
                        "disconnect once it is out."
                    )
        publisher = unwrapped(self._publishers.get(route))
        linked = profile.connections[network].status is ConnectionStatus.CONNECTED
        # A broken one is no longer linked at the provider: there is nothing to unlink.
        if isinstance(publisher, Unlinker) and route in profile.accounts and linked:
            # The provider first: if it refuses or is down, nothing here changes.
            await publisher.unlink(profile, network)
        held: list[Post] = []
        async with self._uow() as uow:
            current = await uow.profiles.lock(profile.id)
            if current is None or network not in current.connections:
                return refuse(f"{network.label} is already disconnected.")
            del current.connections[network]
            # The Free route's token is ours: deleting it is the disconnect. Instagram API
            # with Instagram Login offers no call to revoke a token (the user removes the app
            # under Settings › Apps and websites):
            # https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login
            if route is Route.INSTAGRAM_GRAPH and not any(
                self._policy.route(current.tier, n) is route for n in current.connections
            ):
                current.accounts.pop(route, None)
            await uow.profiles.save(current)
            for post in await _scheduled_to(uow, current, network):
                locked = await uow.posts.lock(post.id)
                if locked is None or network not in locked.targets:
                    continue
                target = locked.targets[network]
                if target.state is not TargetState.SCHEDULED or target.may_be_out:
                    continue
                target.move_to(TargetState.DRAFT)
                if not any(t.state is TargetState.SCHEDULED for t in locked.targets.values()):
                    locked.scheduled_at = None
                await uow.posts.save(locked)
                held.append(locked)
            await uow.commit()
        for post in held:  # its progress message shows the network back in draft
            await self._show_progress(post, message)
        text = f"{network.label} disconnected."
        if held:
            text += (
                f" Held for {network.label} (back to draft there): {_numbers(held)}. "
                "/posts shows them."
            )
        return Reply(text, edit=message is not None, toast=f"{network.label} disconnected")


async def _scheduled_to(
    uow: UnitOfWork, profile: Profile, network: Network, *, include_out: bool = False
) -> list[Post]:
    """The profile's posts with `network` still to go out (scheduled, or with `include_out`
    any target that may be on its way)."""
    found: list[Post] = []
    offset = 0
    while True:
        page, total = await uow.posts.list_for_profile(profile.id, offset=offset, limit=_PAGE)
        for post in page:
            target = post.targets.get(network)
            if target is None:
                continue
            if target.state is TargetState.SCHEDULED or (include_out and target.may_be_out):
                found.append(post)
        offset += _PAGE
        if offset >= total or not page:
            return found


def _numbers(posts: list[Post]) -> str:
    return ", ".join(f"#{p.id}" for p in posts)
