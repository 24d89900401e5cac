"""Composing a post in one form (a Slack modal): the choices offered, and one submission
checked field by field and made into a post going out now or scheduled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core import limits, views
from core.chat.compose import ComposeFlow
from core.chat.seen_updates import key_number
from core.chat.teams import TeamFlow
from core.commands import Command
from core.errors import Conflict, DomainError, PublishError
from core.graphemes import visible
from core.handlers import Actor
from core.model import Network, Post, Profile, Target
from core.replies import Reply, seal
from core.roles import Capability
from core.states import TargetState

# The form's fields, as adapters name their inputs: errors are keyed by them.
TEXT, NETWORKS, WHEN, MEDIA = "text", "networks", "when", "media"


@dataclass(frozen=True)
class Choice:
    """A network in the form: offered (`reason` None) or shown with why it is not."""

    network: Network
    ticked: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class Form:
    text: str
    choices: tuple[Choice, ...]
    timezone: str

    @property
    def offered(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.reason is None)


@dataclass(frozen=True)
class Submitted:
    """Either `errors` (field → what to fix; nothing was saved) or the post made, with the
    reply to show its author (the progress message itself is the pipeline's); `again`: this
    form was submitted before and made its post then, so nothing was done now."""

    errors: dict[str, str] = field(default_factory=dict)
    post: Post | None = None
    reply: Reply | None = None
    again: bool = False


FOR_APPROVAL = (
    "This team reviews posts first: send /postroom post <text> in the channel and tap "
    "Publish or Schedule, so it goes to the approvers. Nothing was saved."
)


class FormFlow(ComposeFlow, TeamFlow):
    """The form's use cases; the same rules as /post and the composer's buttons decide."""

    async def _form_profile(self, actor: Actor) -> tuple[Actor, Profile]:
        """Who the form posts for: a team's profile in its chat (or chosen with "Posting
        as"), the member's role checked as for /post; else the user's own."""
        acting = await self._acting(actor, Command("post", ""), Capability.COMPOSE)
        if acting is not None:
            return acting
        return actor, await self._accounts.profile_for(actor.identity, actor.name)

    async def compose_form(
        self, actor: Actor, text: str = "", *, refresh_within: float | None = None
    ) -> Form:
        """What the form offers this user now: connected networks their plan allows.
        `refresh_within`: seconds the providers get to say what is linked; slower, the
        stored connections are used (a form that must open in time)."""
        try:
            actor, profile = await self._form_profile(actor)
        except DomainError as e:  # a viewer of the team, or one who left it: nothing to tick
            return Form(text, (Choice(Network.INSTAGRAM, reason=str(e)),), "UTC")
        profile = await self._refresh_connections(profile, within=refresh_within)
        return Form(text, self._choices(profile), profile.timezone)

    async def submit_form(
        self,
        actor: Actor,
        text: str,
        networks: Sequence[str],
        when: datetime | None,
        *,
        media: Sequence[str] = (),
        once: str = "",
        refresh_within: float | None = None,
    ) -> Submitted:
        """A post from the form, going out now (`when` None) or at `when`, made in
        `actor.chat` (its progress message is shown there). Checked field by field first:
        errors name the field that caused them and nothing is saved. `media` are the URLs of
        the photos and videos attached (hosted by the adapter), checked per network.

        `once` names the form (a Slack view id): it makes one post however often, and by
        however many processes, it is submitted. The name is recorded in the post's own
        transaction, so a submission refused (errors, a quota) can be fixed and sent again.
        `refresh_within` as for `compose_form` (a submission answered within Slack's 3 s).
        """
        try:
            actor, profile = await self._form_profile(actor)
        except DomainError as e:
            return Submitted(errors={TEXT: str(e)})
        async with self._uow() as uow:
            waiting = await self._approval_needed(uow, actor, profile)
        if waiting is not None:
            # The form has no card round of its own: the composer's Publish sends it for
            # approval, so a team that reviews posts never gets one past its approvers here.
            return Submitted(errors={TEXT: FOR_APPROVAL})
        profile = await self._refresh_connections(profile, within=refresh_within)
        now = self._clock.now()
        errors: dict[str, str] = {}
        if not visible(text):
            text = ""
            errors[TEXT] = "Write something to post."
        offered = {c.network: c for c in self._choices(profile)}
        chosen: list[Network] = []
        for value in networks:
            network = Network.parse(value)
            choice = None if network is None else offered.get(network)
            if network is None or choice is None:
                errors[NETWORKS] = f"{value[:20]!r} can't be chosen here."
            elif choice.reason is not None:
                errors[NETWORKS] = choice.reason
            else:
                chosen.append(network)
        if not chosen and NETWORKS not in errors:
            errors[NETWORKS] = "Tick at least one network."
        too_long = [p for n in chosen for p in limits.text_problems(n, text)]
        if too_long and TEXT not in errors:
            errors[TEXT] = " ".join(too_long)
        try:
            media = limits.check_media_urls(media)
            unfit = [p for n in chosen for p in limits.problems(n, "", media)]
        except DomainError as e:
            unfit = [str(e)]
        if unfit:
            errors[MEDIA] = " ".join(unfit)
        if when is not None and when <= now:
            errors[WHEN] = "That time has passed. Pick a later one, or publish now."
        if errors:
            return Submitted(errors)
        post = Post(
            id=0,
            profile_id=profile.id,
            text=text,
            media=tuple(media),
            created_at=now,
            origin=actor.chat,
            targets={n: Target(n, self._policy.route(profile.tier, n)) for n in chosen},
        )
        try:
            async with self._uow() as uow:
                source = f"form:{actor.identity.platform.value}"
                if once and not await uow.seen_updates.first_seen(
                    source, key_number(once), now=now
                ):
                    return Submitted(again=True)  # closing the unit of work rolls back
                # Quotas and the plan's monthly and scheduled limits, as for the composer.
                await self._ready_to_send(uow, profile, post, when or now)
                if when is not None:
                    count = await uow.posts.count_scheduled(profile.id)
                    self._policy.check_scheduled(profile.tier, count)
                for target in post.targets.values():
                    target.move_to(TargetState.SCHEDULED, when or now)
                post.scheduled_at = when
                post = await uow.posts.add(post)
                await uow.commit()
        except Conflict:
            return Submitted(again=True)  # another process recorded `once` at that moment
        except (DomainError, PublishError) as e:
            reason = e.reason if isinstance(e, PublishError) else str(e)
            return Submitted({NETWORKS: reason})
        if when is None:
            return Submitted(post=post)
        reply = seal(views.scheduled(post, profile.timezone), profile.id, now)
        return Submitted(post=post, reply=reply)

    def _choices(self, profile: Profile) -> tuple[Choice, ...]:
        unavailable = self._unavailable(profile)
        found: list[Choice] = []
        for network in Network:
            if not self._policy.allows(profile.tier, network):
                found.append(Choice(network, reason=self._policy.refusal(profile.tier, network)))
            elif reason := unavailable.get(network):
                found.append(Choice(network, reason=f"{network.label}: {reason}"))
            elif network not in profile.connected():
                found.append(Choice(network, reason=f"Connect {network.label} first: /connect"))
            else:
                found.append(Choice(network, ticked=True))
        return tuple(found)
