"""Several drafts per profile: /drafts, opening one, its edit menu, and the next message its
buttons ask for (a new text, new media, a network's own text)."""

from __future__ import annotations

import logging

from core import limits, views
from core.actions import Action
from core.chat.base import (
    PAGE_SIZE,
    int_arg,
    parse_network,
    require_draft,
    require_editable,
)
from core.chat.draft_edits import DraftEditFlow, target_text
from core.chat.focus import focus_on
from core.chat_ports import Awaiting, DraftFocus
from core.commands import Command, split_media
from core.errors import DomainError
from core.handlers import Actor, refuse
from core.model import MessageRef, Network, Post, Profile
from core.replies import Button, Reply, code
from core.when import format_short

log = logging.getLogger(__name__)


class DraftFlow(DraftEditFlow):
    """/drafts, /draft, the draft's edit menu and what its buttons ask for."""

    # --- the list and opening -------------------------------------------------------------

    async def _drafts(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        page = int_arg(cmd.args or "1", "page") - 1
        return await self._drafts_page(actor, profile, max(page, 0))

    async def _tap_drafts(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._drafts_page(actor, profile, max(int_arg(arg, "page"), 0), edit=True)

    async def _drafts_page(
        self, actor: Actor, profile: Profile, page: int, *, edit: bool = False
    ) -> Reply:
        # As /posts: a group sees only its own drafts; a private chat sees them all.
        origin = None if actor.chat.private else actor.chat
        async with self._uow() as uow:
            drafts, total = await uow.posts.drafts(
                profile.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE, origin=origin
            )
        here = "" if origin is None else " in this chat"
        if total == 0:
            return Reply(f"No drafts{here}. Compose one with /post <text>.", edit=edit)
        if not drafts:
            return refuse("That page is empty now.") if edit else Reply("That page is empty.")
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        lines = [f"Your drafts ({total}{here}) — page {page + 1} of {pages}"]
        lines += [_summary(d, profile.timezone) for d in drafts]
        opens = [Button(f"Open #{d.id}", Action.EDIT, str(d.id)) for d in drafts]
        buttons = views.paged(opens, page, pages, Action.DRAFTS)
        return Reply("\n".join(lines), buttons=buttons, edit=edit)

    async def _draft_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        if not cmd.args.strip():
            return await self._drafts_page(actor, profile, 0)
        return await self._open(actor, profile, int_arg(cmd.args, "post", "/draft 12"), edit=False)

    async def _tap_open_draft(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._open(actor, profile, int_arg(arg, "post"), edit=True)

    async def _open(self, actor: Actor, profile: Profile, post_id: int, *, edit: bool) -> Reply:
        """The draft in the composer, and the one this chat's /schedule and /version act on."""
        async with self._uow() as uow:
            post = await self._own_post_in(uow, actor, profile, post_id)
            require_draft(post)
            await focus_on(uow, actor, profile, post)
            await uow.commit()
        return self._composer(post, profile, edit=edit, toast=f"Draft #{post.id} opened")

    async def _tap_draft_menu(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(actor, profile, int_arg(arg, "post"))
        require_draft(post)
        pid = str(post.id)
        edits = [
            Button("✏️ Text", Action.ASK_TEXT, pid),
            Button("🖼 Media", Action.ASK_MEDIA, pid),
        ]
        versions = post.versions()
        for t in post.ordered_targets():
            own = t.text is not None
            label = f"✏️ {t.network.label} version" if own else f"🌐 Edit for {t.network.label}"
            edits.append(Button(label, Action.VERSION, f"{pid}:{t.network.value}"))
        resets = [
            Button(f"↺ {n.label}: main text", Action.VERSION_RESET, f"{pid}:{n.value}")
            for n in versions
        ]
        lines = [
            f"Edit draft #{post.id}: its text, its media, or a network's own text "
            "(a shorter one for X, a longer one for LinkedIn).",
            *views.version_lines(post),
        ]
        back = (Button("« Back", Action.EDIT, pid),)
        return Reply(
            "\n".join(lines),
            buttons=(*views.rows(edits, 3), *views.rows(resets, 2), back),
            edit=True,
        )

    # --- asking for the next message --------------------------------------------------------

    async def _ask(
        self,
        actor: Actor,
        profile: Profile,
        arg: str,
        awaiting: Awaiting,
        network: Network | None = None,
    ) -> Reply:
        post_id = int_arg(arg.partition(":")[0], "post")
        async with self._uow() as uow:
            post = await self._own_post_in(uow, actor, profile, post_id)
            await require_editable(uow, post)
            if network is not None:
                target_text(post, network)
            now = self._clock.now()
            await focus_on(uow, actor, profile, post, awaiting=awaiting, network=network, now=now)
            await uow.commit()
        pid = str(post.id)
        # A group's chatter does not reach the bot (Telegram's privacy mode, Slack channels):
        # there the command is the way to answer.
        where = "" if actor.chat.private else " (in a group, type it as a command)"
        buttons: list[Button] = []
        if awaiting is Awaiting.VERSION:
            assert network is not None
            limit = limits.LIMITS[network]
            text = (
                f"Send {network.label}'s own text for post #{post.id} as your next message: at "
                f"most {limit.max_chars:,} characters. The other networks keep theirs. Now "
                f"{network.label} gets: {views.quoted(post.text_for(network))}\n"
                f"Or type {code(f'/version {post.id} {network.value} <text>')}{where}."
            )
            if post.targets[network].text is not None:
                buttons.append(
                    Button("↺ Main text", Action.VERSION_RESET, f"{pid}:{network.value}")
                )
        elif awaiting is Awaiting.TEXT:
            text = (
                f"Send the new text of post #{post.id} as your next message (media: lines in "
                f"it replace the media). Or type {code(f'/edit #{pid} <text>')}{where}."
            )
        else:
            text = (
                f"Send the photos or videos for post #{post.id} as your next message, or their "
                f"links ({code('media: https://…')}); they replace what it has. Or type "
                f"{code(f'/edit #{pid} media: <links>')}{where}."
            )
            if post.media:
                buttons.append(Button("🗑 Remove media", Action.NO_MEDIA, pid))
        buttons.append(Button("« Back", Action.EDIT, pid))
        return Reply(text, buttons=(tuple(buttons),), edit=True)

    async def _tap_ask_text(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._ask(actor, profile, arg, Awaiting.TEXT)

    async def _tap_ask_media(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._ask(actor, profile, arg, Awaiting.MEDIA)

    async def _tap_version(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        network = parse_network(arg.partition(":")[2])
        return await self._ask(actor, profile, arg, Awaiting.VERSION, network)

    async def _awaiting(self, actor: Actor) -> tuple[int, DraftFocus] | None:
        """(profile id, focus) when a button asked for the actor's next plain message in this
        chat; one read, and no profile is made for chatter."""
        try:
            async with self._uow() as uow:
                return await uow.drafts.waiting(actor.identity, actor.chat, self._clock.now())
        except Exception:
            log.exception("reading the draft focus of %s failed", actor.identity)
            return None

    async def _take_awaited(
        self,
        actor: Actor,
        profile: Profile,
        owner: int,
        focus: DraftFocus,
        text: str,
        media: tuple[str, ...],
    ) -> Reply:
        """The message a button asked for: the draft's text, media or a network's version.
        `profile` is the one the actor acts for now (a team's, or their own); a prompt asked
        for another one (they switched "Posting as" since) is dropped, not applied there."""
        if profile.id != owner:
            async with self._uow() as uow:
                await uow.drafts.clear(owner, actor.identity, actor.chat)
                await uow.commit()
            raise DomainError(
                "That prompt was for the profile you posted as before; nothing was changed. "
                "Tap its button again."
            )
        if focus.awaiting is Awaiting.VERSION and focus.network is not None:
            if media:  # a version is text only: the photo is not silently dropped
                raise DomainError(
                    f"{focus.network.label}'s own text takes no photo or video (the post's "
                    "media stay as they are): send the text alone."
                )
            return await self._set_version(actor, profile, focus.post_id, focus.network, text)
        if focus.awaiting is Awaiting.TEXT:
            return await self._set_content(actor, profile, focus.post_id, text, media or None)
        typed = text.split()
        if typed and all("://" in word for word in typed):
            text = "media: " + text  # bare links answer "send their links" as well
        _, links = split_media(text)
        if not media and not links:
            raise DomainError(
                "Send a photo or video, or its https:// link, for the draft's media; "
                "« Back keeps what it has."
            )
        return await self._set_content(actor, profile, focus.post_id, None, (*media, *links))


def _summary(post: Post, tz: str) -> str:
    nets = ", ".join(t.network.label for t in post.ordered_targets()) or "no networks"
    versions = len(post.versions())
    extra = f" · {versions} own text{'s' if versions > 1 else ''}" if versions else ""
    edited = format_short(post.last_edit, tz)
    return f"#{post.id} {views.quoted(post.text, 40)} · {nets}{extra} · edited {edited}"
