"""Changing a draft: its main text and media (/edit, or the next message), and each network's
own version of the text (/version), checked against that network's limits."""

from __future__ import annotations

import re

from core import limits, views
from core.chat.base import Flow, int_arg, parse_network, require_editable
from core.chat.focus import focus_on, working_draft
from core.commands import Command, split_media
from core.errors import DomainError
from core.graphemes import visible
from core.handlers import Actor
from core.model import MessageRef, Network, Post, Profile
from core.ports import UnitOfWork
from core.replies import Reply, code

# `/version 12 x New text`, `/version #12 x reset`, `/version x New text` (the working draft).
_VERSION = re.compile(r"^(\S+)(?:\s+(.*))?$", re.DOTALL)
RESET_WORDS = frozenset({"reset", "main", "off"})
VERSION_USAGE = (
    f"e.g. {code('/version 12 x Shorter text for X')}, or {code('/version 12 x reset')} "
    "to give X the main text again."
)


class DraftEditFlow(Flow):
    """/edit, /version and the buttons that change a draft."""

    def _composer(
        self, post: Post, profile: Profile, *, edit: bool, toast: str | None = None
    ) -> Reply:
        unavailable = self._unavailable(profile)
        return views.composer(post, profile, self._policy, unavailable, toast=toast, edit=edit)

    async def _edit_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        args, post_id = cmd.args.strip(), None
        if args.startswith("#"):
            first, _, args = args.partition(" ")
            post_id = int_arg(first, "post", "/edit #12 <text>")
        if post_id is None:
            async with self._uow() as uow:
                draft = await working_draft(uow, actor, profile)
            if draft is None:
                raise DomainError("No draft here to edit. Compose one with /post <text>.")
            post_id = draft.id
        text, typed = split_media(args)
        if not visible(text) and not typed and not media:
            raise DomainError(
                f"Write the new text after /edit, e.g. {code('/edit #12 Launch day! 🚀')}."
            )
        new_media = (*media, *typed) if media or typed else None
        return await self._set_content(actor, profile, post_id, text, new_media, keep_text=True)

    async def _set_content(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        text: str | None,
        media: tuple[str, ...] | None,
        *,
        keep_text: bool = False,
        edit: bool = False,
    ) -> Reply:
        """A new main text (None: kept) and media (None: kept); `keep_text`: an empty text
        keeps the one it has (an /edit that only gives media)."""
        if text is not None:
            text, typed = split_media(text)
            media = (*(media or ()), *typed) if typed else media
            if not visible(text):
                if not keep_text or media is None:
                    raise DomainError("That text is empty: write what the post should say.")
                text = None
        if text is not None and len(text) > limits.MAX_POST_CHARS:
            raise DomainError(
                f"Your text has {len(text):,} characters; the longest any network takes is "
                f"{limits.MAX_POST_CHARS:,}. Nothing was changed."
            )
        if media is not None:
            media = limits.check_media_urls(media)
            most = max(lim.max_media for lim in limits.LIMITS.values())
            if len(media) > most:
                raise DomainError(f"That is {len(media)} media; no network takes over {most}.")
        async with self._uow() as uow:
            post = await self._editable(uow, actor, profile, post_id)
            if text is not None:
                post.text = text
                for t in post.targets.values():
                    if t.text == text:
                        t.text = None  # a version that is the new main text is no version
            if media is not None:
                post.media = media
            changed = [what for what, new in (("Text", text), ("media", media)) if new is not None]
            toast = f"{' and '.join(changed).capitalize()} changed"
            return await self._saved(uow, actor, profile, post, toast, edit=edit)

    async def _tap_no_media(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_id = int_arg(arg, "post")
        return await self._set_content(actor, profile, post_id, None, (), edit=True)

    async def _version_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        found = _VERSION.match(cmd.args.strip())
        if found is None:
            raise DomainError(f"Which post, which network, and what text? {VERSION_USAGE}")
        first, rest = found.group(1), (found.group(2) or "").strip()
        if Network.parse(first) is not None:  # `/version x Text`: the working draft
            async with self._uow() as uow:
                draft = await working_draft(uow, actor, profile)
            if draft is None:
                raise DomainError(f"No draft here. Compose one with /post, or {VERSION_USAGE}")
            post_id, network_arg, text = draft.id, first, rest
        else:
            post_id = int_arg(first, "post")
            network_arg, _, text = rest.partition(" ")
            if not network_arg:
                raise DomainError(f"Which network? {VERSION_USAGE}")
        network = parse_network(network_arg.strip())
        if text.strip().lower() in RESET_WORDS:
            return await self._set_version(actor, profile, post_id, network, None)
        return await self._set_version(actor, profile, post_id, network, text)

    async def _tap_version_reset(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, network_arg = arg.partition(":")
        post_id, network = int_arg(post_arg, "post"), parse_network(network_arg)
        return await self._set_version(actor, profile, post_id, network, None, edit=True)

    async def _set_version(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        network: Network,
        text: str | None,
        *,
        edit: bool = False,
    ) -> Reply:
        """`network`'s own text on the draft (None: back to the main text), checked against
        that network's limits: nothing is changed unless it fits."""
        if text is not None:
            text = text.strip()
            if not visible(text):
                raise DomainError(
                    f"That {network.label} text is empty. Send the text {network.label} should "
                    f"get, or {code(f'/version {post_id} {network.value} reset')} for the main "
                    "one."
                )
            if problems := limits.text_problems(network, text):
                found = " ".join(p.replace("this post has", "this text has") for p in problems)
                raise DomainError(f"{found} Nothing was changed; send a shorter one.")
        async with self._uow() as uow:
            post = await self._editable(uow, actor, profile, post_id)
            current = target_text(post, network)
            wanted = None if text == post.text else text
            if wanted == current:
                same = "the main text" if current is None else "that text"
                raise DomainError(f"{network.label} already gets {same} on post #{post.id}.")
            post.targets[network].text = wanted
            own = f"{network.label} version set"
            toast = f"{network.label}: main text" if wanted is None else own
            return await self._saved(uow, actor, profile, post, toast, edit=edit)

    async def _editable(
        self, uow: UnitOfWork, actor: Actor, profile: Profile, post_id: int
    ) -> Post:
        # Locked and checked under the lock: a Publish now at the same moment goes first (and
        # this refuses) or sees this change.
        post = await self._own_post_in(uow, actor, profile, post_id, lock=True)
        await require_editable(uow, post)
        return post

    async def _saved(
        self,
        uow: UnitOfWork,
        actor: Actor,
        profile: Profile,
        post: Post,
        toast: str,
        *,
        edit: bool,
    ) -> Reply:
        """Store the edited draft, open it in this chat (the wait for a message is over) and
        show it in the composer."""
        now = self._clock.now()
        post.edited_at = now
        await uow.posts.save(post)
        await focus_on(uow, actor, profile, post)
        await uow.commit()
        return self._composer(post, profile, edit=edit, toast=toast)


def target_text(post: Post, network: Network) -> str | None:
    """The network's own text on `post`, refusing a network the post does not go to."""
    target = post.targets.get(network)
    if target is None:
        raise DomainError(
            f"Post #{post.id} doesn't go to {network.label}; tick {network.label} first."
        )
    return target.text
