"""A user's home page (Slack's App Home): connections, upcoming posts to cancel, last
results and a way to compose, as neutral replies an adapter lays out."""

from __future__ import annotations

from core import views
from core.actions import Action
from core.chat.base import Flow
from core.handlers import Actor
from core.model import ChatPlatform, Identity, Post
from core.replies import Button, Reply, seal
from core.states import PostState, TargetState
from core.when import format_local

# How many of the newest posts the home page looks through, and shows of each kind.
LOOKED_AT = 40
SHOWN = 5
_RESULTS = (PostState.PUBLISHED, PostState.PARTIAL, PostState.FAILED)


class HomeFlow(Flow):
    async def home(self, actor: Actor) -> tuple[Reply, ...]:
        """Connections (with a Connect button), upcoming scheduled posts (each with
        Cancel), the last results; every button bound to this user. `actor.chat` must be
        private to them: the Connect button's answer holds their sign-in links."""
        profile = await self._accounts.profile_for(actor.identity, actor.name)
        profile = await self._refresh_connections(profile)
        async with self._uow() as uow:
            recent = await uow.posts.recent(profile.id, origin=None, limit=LOOKED_AT)
        tz = profile.timezone
        connected = [n.label for n in profile.connected()]
        connections = Reply(
            "*Connections*\n"
            + (f"Connected: {', '.join(connected)}" if connected else "Nothing connected yet."),
            buttons=((Button("🔗 Connect networks", Action.COMMAND, "connect"),),),
        )
        waiting = sorted(
            (p for p in recent if p.state is PostState.SCHEDULED and p.scheduled_at is not None),
            key=lambda p: (p.scheduled_at, p.id),
        )[:SHOWN]
        upcoming = Reply(
            "\n".join(["*Upcoming*", *(_upcoming(p, tz) for p in waiting)])
            if waiting
            else "*Upcoming*\nNothing scheduled.",
            buttons=tuple(
                (Button(f"✖ Cancel #{p.id}", Action.CANCEL, str(p.id)),) for p in waiting
            ),
        )
        done = [p for p in recent if p.state in _RESULTS][:SHOWN]
        results = Reply(
            "\n".join(["*Last results*", *(_result(p) for p in done)])
            if done
            else "*Last results*\nNone yet."
        )
        now = self._clock.now()
        return tuple(seal(r, profile.id, now) for r in (connections, upcoming, results))

    async def home_owners(self, post: Post, platform: ChatPlatform) -> tuple[Identity, ...]:
        """Who on `platform` has `post` on their home page: its profile's identities there
        (a profile linked across chats lists every post it made, wherever)."""
        async with self._uow() as uow:
            found = await uow.profiles.identities(post.profile_id)
        return tuple(i for i in found if i.platform is platform)


def _upcoming(post: Post, tz: str) -> str:
    assert post.scheduled_at is not None
    nets = ", ".join(t.network.label for t in post.ordered_targets())
    return (
        f"#{post.id} · {format_local(post.scheduled_at, tz)} · {nets} · {views.quoted(post.text)}"
    )


def _result(post: Post) -> str:
    published = sum(t.state is TargetState.PUBLISHED for t in post.ordered_targets())
    return f"#{post.id} · {published} of {len(post.targets)} published · {views.quoted(post.text)}"
