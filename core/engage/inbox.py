"""The engage inbox in chat: /comments, /engage, /reply and each comment's Reply, Hide, Done."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from core.actions import Action
from core.commands import Command, ascii_number
from core.digests.command import parse_clock
from core.engage import render
from core.engage_ports import (
    Comment,
    CommentGone,
    CommentSource,
    CommentState,
    EngageSettings,
)
from core.errors import DomainError, PublishError
from core.handlers import MAX_POST_ID, Actor, profile_wide, reach, refuse
from core.model import MessageRef, Network, Profile, Route
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWork, UnitOfWorkFactory
from core.replies import Button, Reply, code, seal

log = logging.getLogger(__name__)

# A Reply tap waits this long for the text; later text is answered, not sent.
REPLY_WAIT = timedelta(minutes=15)
LISTED = 10  # comments /comments shows at once
NOT_YOURS = "That comment is not one of yours."
USAGE = (
    "/engage on — new comments pushed here as they come · /engage off — stop the pushes\n"
    f"/engage quiet 22:00-08:00 — no pushes in those hours (your time zone); "
    f"{code('/engage quiet off')} — pushes at any hour"
)


def _hm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class EngageInbox:
    """The chat side of engage; the pull and the pushes are `core.engage.sweep`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        sources: Mapping[Route, CommentSource],
        policy: Policy,
        messengers: Messengers,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._sources = sources
        self._policy = policy
        self._messengers = messengers
        self._clock = clock

    # --- /engage --------------------------------------------------------------------------

    async def engage(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        word, _, rest = cmd.args.strip().partition(" ")
        word = word.lower()
        if word:
            profile_wide(actor, "your comment pushes")
        async with self._uow() as uow:
            settings = await uow.engage.settings(profile.id)
            match word:
                case "":
                    return self._status(profile, settings)
                case "on":
                    settings.enabled = True
                case "off":
                    settings.enabled = False
                case "quiet":
                    self._quiet(settings, rest.strip())
                case _:
                    raise DomainError(f"I don't know /engage {word[:20]}.\n{USAGE}")
            await uow.engage.save_settings(settings)
            await uow.commit()
        return self._status(profile, settings, changed=True)

    @staticmethod
    def _quiet(settings: EngageSettings, spec: str) -> None:
        if spec.lower() in ("off", "none"):
            settings.quiet = False
            return
        if spec.lower() in ("", "on"):
            settings.quiet = True
            return
        start, dash, end = spec.replace("–", "-").partition("-")
        if not dash or not start.strip() or not end.strip():
            raise DomainError(
                f"I need the quiet hours as {code('/engage quiet 22:00-08:00')}, "
                f"not {spec[:30]!r}."
            )
        first, last = parse_clock(start), parse_clock(end)
        if first == last:
            raise DomainError("Quiet hours need a start and an end that differ.")
        settings.quiet, settings.quiet_start, settings.quiet_end = True, first, last

    def _status(self, profile: Profile, s: EngageSettings, *, changed: bool = False) -> Reply:
        state = (
            "on: new comments come here" if s.enabled else "off: no pushes (/comments lists them)"
        )
        quiet = (
            f"quiet {_hm(s.quiet_start)}–{_hm(s.quiet_end)} ({profile.timezone}); held ones come "
            f"at {_hm(s.quiet_end)}"
            if s.quiet
            else "no quiet hours"
        )
        lines = [f"{'✅ Saved. ' if changed else ''}💬 Comment pushes {state}; {quiet}."]
        if not changed:
            lines.append(USAGE)
        return Reply("\n".join(lines), buttons=self._reconnect(profile))

    def _reconnect(self, profile: Profile) -> tuple[tuple[Button, ...], ...]:
        """A Reconnect button for each route that cannot read comments with what it was
        granted (an Instagram connection made before comments were asked for)."""
        rows = []
        for route, source in self._sources.items():
            if route in profile.accounts and source.missing_access(profile):
                rows.append(
                    (Button("🔗 Reconnect Instagram", Action.RECONNECT, "instagram:access"),)
                )
        return tuple(rows)

    def _notes(self, profile: Profile) -> list[str]:
        return [
            why
            for route, source in self._sources.items()
            if route in profile.accounts and (why := source.missing_access(profile))
        ]

    # --- /comments ------------------------------------------------------------------------

    async def comments(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        arg = cmd.args.strip().lstrip("#")
        post_id = ascii_number(arg) if arg else None
        if arg and (post_id is None or post_id > MAX_POST_ID):
            raise DomainError(
                f"I need a post number here, not {arg[:20]!r} (e.g. {code('/comments 12')})."
            )
        return await self._list(actor, profile, post_id)

    async def _list(
        self, actor: Actor, profile: Profile, post_id: int | None, *, edit: bool = False
    ) -> Reply:
        async with self._uow() as uow:
            if post_id is not None:
                post = reach(actor, post_id, await uow.posts.get(post_id))
                if post is None or post.profile_id != profile.id:
                    raise DomainError(f"There is no post #{post_id} of yours; /posts lists them.")
            found, total = await uow.engage.open_for(profile.id, post_id=post_id, limit=50)
            titles: dict[int, str] = {}
            shown: list[Comment] = []
            for c in found:
                if c.post_id not in titles:
                    post = await uow.posts.get(c.post_id)
                    # In a group, only the comments on posts made there (`reach`).
                    if post is None or (not actor.chat.private and post.origin != actor.chat):
                        titles[c.post_id] = ""
                        continue
                    titles[c.post_id] = render.post_title(post, c.post_id)
                if titles[c.post_id]:
                    shown.append(c)
        if not actor.chat.private:
            total = len(shown)
        scope = (
            f"on post #{post_id}"
            if post_id is not None
            else ("on your posts" if actor.chat.private else "on this chat's posts")
        )
        reply = render.listing(shown[:LISTED], total, profile.timezone, titles, scope=scope)
        notes = self._notes(profile)
        text = "\n".join([reply.text, *notes])
        return Reply(text, reply.fields, reply.buttons + self._reconnect(profile), edit=edit)

    # --- taps -----------------------------------------------------------------------------

    async def _own(self, uow: UnitOfWork, actor: Actor, profile: Profile, arg: str) -> Comment:
        """The open comment a button names, or a refusal: malformed, gone, not the tapper's
        (a forged id), or handled already."""
        head, sep, tail = arg.partition(":")
        comment_id = ascii_number(head)
        if comment_id is None or comment_id > MAX_POST_ID or (sep and tail != "l"):
            raise DomainError("This button is broken. Send /comments to see your comments.")
        comment = await uow.engage.get(comment_id)
        if comment is None:
            raise DomainError("That comment is gone: its post was deleted.")
        if comment.profile_id != profile.id:
            raise DomainError(NOT_YOURS)
        if comment.state is not CommentState.OPEN:  # a repeated tap, or an old message
            raise DomainError(_handled(comment))
        return comment

    async def tap_reply(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            comment = await self._own(uow, actor, profile, arg)
            source = self._source(profile, comment.network)
            settings = await uow.engage.settings(profile.id)
            settings.pending_comment = comment.id
            settings.pending_chat = actor.chat
            settings.pending_since = self._clock.now()
            await uow.engage.save_settings(settings)
            await uow.commit()
        limit = source.reply_limit(comment.network)
        how = (
            "Send it as your next message"
            if actor.chat.private
            else f"Send it as {code('/reply <your text>')} (in a group I read commands only)"
        )
        text = (
            f"✍️ Your reply to @{render.clip(comment.author, 40)} on {comment.network.label}: "
            f"“{render.clip(comment.text, 80)}”\n{how}, up to {limit:,} characters. "
            "Any command instead cancels it."
        )
        if comment.reply_draft:
            text += f"\nYour last text, not sent yet: “{comment.reply_draft}”"
        return Reply(text, toast="Send your reply")

    async def tap_done(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            comment = await self._own(uow, actor, profile, arg)
            comment.state = CommentState.DONE
            comment.handled_at = self._clock.now()
            await uow.engage.save(comment)
            await self._drop_pending(uow, profile.id, comment.id)
            await uow.commit()
        return await self._shown(actor, profile, comment, arg, message, "✅ Marked done.")

    async def tap_hide(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            comment = await self._own(uow, actor, profile, arg)
        source = self._source(profile, comment.network)
        if why := source.hide_refusal(comment.network):
            return refuse(why)
        try:
            await source.hide(profile, comment.network, comment.external_id)
        except CommentGone:
            comment.state = CommentState.GONE
        except PublishError as e:
            return refuse(f"Not hidden: {e.reason}")
        else:
            comment.state = CommentState.HIDDEN
        comment.handled_at = self._clock.now()
        async with self._uow() as uow:
            await uow.engage.save(comment)
            await self._drop_pending(uow, profile.id, comment.id)
            await uow.commit()
        said = "🙈 Hidden." if comment.state is CommentState.HIDDEN else "It was already deleted."
        return await self._shown(actor, profile, comment, arg, message, said)

    async def _shown(
        self,
        actor: Actor,
        profile: Profile,
        comment: Comment,
        arg: str,
        message: MessageRef | None,
        toast: str,
    ) -> Reply:
        """The tapped message again, showing the change (a push batch, or the /comments list)."""
        if arg.endswith(":l"):
            listed = await self._list(actor, profile, None, edit=True)
            return Reply(listed.text, listed.fields, listed.buttons, edit=True, toast=toast)
        if message is None or comment.message != message:
            return Reply("", toast=toast)
        shown = await self._batch(profile, message)
        return Reply(shown.text, shown.fields, shown.buttons, edit=True, toast=toast)

    async def _batch(self, profile: Profile, message: MessageRef) -> Reply:
        async with self._uow() as uow:
            comments = await uow.engage.in_message(message)
            post_id = comments[0].post_id if comments else 0
            post = await uow.posts.get(post_id) if comments else None
        return render.batch(post, post_id, comments, profile.timezone)

    # --- the reply's text -----------------------------------------------------------------

    async def waiting(self, actor: Actor, profile: Profile) -> bool:
        async with self._uow() as uow:
            settings = await uow.engage.settings(profile.id)
        return settings.pending_comment is not None and settings.pending_chat == actor.chat

    async def interrupted(self, actor: Actor, profile: Profile, command: str) -> str | None:
        if command == "reply" or not await self.waiting(actor, profile):
            return None
        async with self._uow() as uow:
            settings = await uow.engage.settings(profile.id)
            settings.pending_comment = settings.pending_chat = settings.pending_since = None
            await uow.engage.save_settings(settings)
            await uow.commit()
        return "(The reply you were writing was cancelled; tap Reply again to write it.)"

    async def reply(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not await self.waiting(actor, profile):
            return Reply("Tap ↩️ Reply under a comment first; /comments lists the open ones.")
        return await self.typed(actor, profile, cmd.args)

    async def typed(self, actor: Actor, profile: Profile, text: str) -> Reply:
        text = text.strip()
        now = self._clock.now()
        async with self._uow() as uow:
            settings = await uow.engage.settings(profile.id)
            comment_id = settings.pending_comment
            comment = None if comment_id is None else await uow.engage.get(comment_id)
            since = settings.pending_since
            expired = since is None or now - since > REPLY_WAIT
            done = comment is None or comment.state is not CommentState.OPEN or expired
            if done:
                settings.pending_comment = settings.pending_chat = settings.pending_since = None
                await uow.engage.save_settings(settings)
                await uow.commit()
        kept = f"\nYour text, not sent: “{text}”" if text else ""
        if comment is None or comment.profile_id != profile.id:
            return Reply("That comment is gone: its post was deleted. Nothing was sent." + kept)
        if comment.state is not CommentState.OPEN:
            return Reply(f"Nothing was sent: {_handled(comment)}" + kept)
        if expired:
            minutes = int(REPLY_WAIT.total_seconds() // 60)
            return Reply(
                f"Your reply to @{comment.author} waited more than {minutes} minutes, so I did "
                "not send it. Tap ↩️ Reply again to send it." + kept
            )
        if not text:
            return Reply("Your reply is empty; send the text you want to post.")
        source = self._source(profile, comment.network)
        limit = source.reply_limit(comment.network)
        if len(text) > limit:
            return Reply(
                f"Your reply is {len(text):,} characters; {comment.network.label} takes "
                f"{limit:,} at most. Nothing was sent: send a shorter one."
            )
        try:
            ours = await source.reply(profile, comment.network, comment.external_id, text)
        except CommentGone:
            comment.state = CommentState.GONE
            comment.reply_draft = text
            comment.handled_at = now
            await self._store(profile.id, comment, clear=True)
            await self._refresh(profile, comment)
            return Reply(
                f"{comment.network.label} says that comment no longer exists (deleted?), so "
                f"nothing was sent.\nYour text: “{text}”"
            )
        except PublishError as e:
            comment.reply_draft = text
            await self._store(profile.id, comment, clear=False)
            return Reply(
                f"Your reply was not sent: {e.reason}\nYour text is kept: send it again (or "
                f"another) to retry.\n“{text}”"
            )
        comment.state = CommentState.REPLIED
        comment.reply_draft = None
        comment.handled_at = now
        await self._store(profile.id, comment, clear=True, ours=(ours, text))
        await self._refresh(profile, comment)
        return Reply(f"↩️ Replied to @{comment.author} on {comment.network.label}.")

    async def _store(
        self,
        profile_id: int,
        comment: Comment,
        *,
        clear: bool,
        ours: tuple[str | None, str] | None = None,
    ) -> None:
        async with self._uow() as uow:
            await uow.engage.save(comment)
            if ours is not None and ours[0]:
                await uow.engage.add_ours(comment, ours[0], ours[1], now=self._clock.now())
            if clear:
                await self._drop_pending(uow, profile_id, comment.id)
            await uow.commit()

    @staticmethod
    async def _drop_pending(uow: UnitOfWork, profile_id: int, comment_id: int) -> None:
        settings = await uow.engage.settings(profile_id)
        if settings.pending_comment == comment_id:
            settings.pending_comment = settings.pending_chat = settings.pending_since = None
            await uow.engage.save_settings(settings)

    async def _refresh(self, profile: Profile, comment: Comment) -> None:
        """The pushed message shows the result in place (the reply came as a message, so no
        tap answer can edit it)."""
        message = comment.message
        messenger = None if message is None else self._messengers.get(message.chat.platform)
        if message is None or messenger is None:
            return
        shown = seal(await self._batch(profile, message), profile.id, self._clock.now())
        try:
            await messenger.edit(message, shown)
        except Exception as e:  # the message was deleted or is too old: the answer says it
            log.info("could not edit comment message %s: %s", message.message_id, e)

    def _source(self, profile: Profile, network: Network) -> CommentSource:
        route = self._policy[profile.tier].routes.get(network)
        source = None if route is None else self._sources.get(route)
        if source is None:
            raise DomainError(
                f"Comments on {network.label} can't be answered on your plan or this server."
            )
        return source


def _handled(comment: Comment) -> str:
    return {
        CommentState.REPLIED: "you already replied to that comment.",
        CommentState.DONE: "that comment is already marked done.",
        CommentState.HIDDEN: "that comment is already hidden.",
        CommentState.GONE: "that comment was deleted on the network.",
    }.get(comment.state, "that comment is already handled.")
