"""Managing posts after composing: the list, opening one, cancel, delete and retry."""

from __future__ import annotations

from dataclasses import replace

from core import views
from core.actions import Action
from core.approval_ports import Status
from core.approvals import cards
from core.approvals.notices import settle_card
from core.chat.base import PAGE_SIZE, int_arg, parse_network
from core.chat.submit import SubmitFlow
from core.commands import Command
from core.errors import DomainError, PolicyRefusal, PublishError
from core.handlers import Actor, refuse
from core.model import (
    ChatRef,
    MessageRef,
    Network,
    Post,
    Profile,
    Route,
)
from core.replies import Button, Reply
from core.roles import Capability, allows
from core.states import PostState, TargetState


class PostFlow(SubmitFlow):
    """/posts, /cancel, /delete, /retry and their buttons."""

    async def _posts(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        page = int_arg(cmd.args or "1", "page") - 1
        return await self._posts_page(profile, actor.chat, max(page, 0))

    async def _posts_page(
        self, profile: Profile, chat: ChatRef, page: int, *, edit: bool = False
    ) -> Reply:
        # A group sees only what was made in it: drafts from a private chat stay private.
        origin = None if chat.private else chat
        async with self._uow() as uow:
            posts, total = await uow.posts.list_for_profile(
                profile.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE, origin=origin
            )
        here = "" if origin is None else " in this chat"
        if total == 0:
            return Reply(f"No posts yet{here}. Compose one with /post <text>.", edit=edit)
        if not posts:
            return refuse("That page is empty now.") if edit else Reply("That page is empty.")
        pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
        lines = [f"Your posts ({total}{here}) — page {page + 1} of {pages}"]
        lines += [views.post_summary(p, profile.timezone) for p in posts]
        opens = [Button(f"Open #{p.id}", Action.OPEN, str(p.id)) for p in posts]
        buttons = views.paged(opens, page, pages, Action.PAGE)
        return Reply("\n".join(lines), buttons=buttons, edit=edit)

    async def _cancel_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return await self._cancel(actor, profile, int_arg(cmd.args, "post"), None)

    async def _delete_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        post = await self._own_post(actor, profile, int_arg(cmd.args, "post", "/delete 12"))
        return self._delete_question(post, edit=False)

    async def _retry_cmd(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        post_arg, _, network_arg = cmd.args.partition(" ")
        post = await self._own_post(actor, profile, int_arg(post_arg, "post", "/retry 12"))
        if network_arg.strip():
            network = Network.parse(network_arg)
            if network is None:
                raise DomainError(f"I don't know the network {network_arg.strip()[:30]!r}.")
            networks = [network]
        else:
            networks = [t.network for t in post.targets.values() if t.state is TargetState.FAILED]
            if not networks:
                raise DomainError(f"Post #{post.id} has no failed networks to retry.")
        return await self._retry(actor, profile, post.id, networks, None)

    async def _tap_open(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_id = int_arg(arg, "post")
        async with self._uow() as uow:
            post = await self._own_post_in(uow, actor, profile, post_id)
            reviews = await uow.approvals.reviews(post.id)
            waiting = post.state is PostState.AWAITING_APPROVAL and actor.team is not None
            request = await uow.approvals.request(post.id) if waiting else None
        shown = views.post_detail(post, profile.timezone)
        lines = cards.review_lines(reviews, profile.timezone)
        if lines:
            shown = replace(shown, text="\n".join([shown.text, *lines]))
        pending = request is not None and request.status is Status.PENDING
        if pending and request is not None and allows(actor.role, Capability.APPROVE):
            # An approver decides here too: a card that could not be sent, or long scrolled by.
            shown = replace(shown, buttons=(cards.decisions(post, request), *shown.buttons))
        return shown

    async def _tap_cancel(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        return await self._cancel(actor, profile, int_arg(arg, "post"), message)

    async def _cancel(
        self, actor: Actor, profile: Profile, post_id: int, message: MessageRef | None
    ) -> Reply:
        edit = message is not None
        async with self._uow() as uow:
            # Locked: a worker claiming it now would otherwise have its "publishing" overwritten
            # by this "draft", and the post sent while shown as cancelled.
            post = await self._own_post_in(uow, actor, profile, post_id, lock=True)
            if post.state is PostState.AWAITING_APPROVAL:
                withdrawn = await self._withdraw(uow, actor, post)
                await uow.commit()
                if withdrawn is not None:
                    await self._withdrawn(post, withdrawn)
                await self._show_progress(post, message)
                return Reply(
                    f"Withdrawn: post #{post.id} is a draft again; its approval card is "
                    "out of date. Publish or schedule it to send it for approval again.",
                    buttons=((Button("✍️ Edit", Action.EDIT, str(post.id)),),),
                    edit=edit,
                    toast="Withdrawn",
                )
            out = [t for t in post.ordered_targets() if t.may_be_out]
            if out and all(t.state is TargetState.SCHEDULED for t in out):
                names = ", ".join(t.network.label for t in out)
                raise DomainError(
                    f"Post #{post.id} can't be cancelled: {names} gave no clear answer to "
                    "its last try, so it may already be out. It is tried again shortly; "
                    "you can delete it from the networks once it is out."
                )
            if out:
                raise DomainError(
                    f"Post #{post.id} is being published, so it can't be cancelled now; "
                    "you can delete it from the networks once it is out."
                )
            if post.state is not PostState.SCHEDULED:
                raise DomainError(
                    f"Post #{post.id} is {views.state_phrase(post.state)}; "
                    "only scheduled posts can be cancelled."
                )
            stopped = []
            for target in post.ordered_targets():
                if target.state is TargetState.SCHEDULED:
                    target.move_to(TargetState.DRAFT)
                    stopped.append(target.network.label)
            post.scheduled_at = None
            await uow.posts.save(post)
            await uow.commit()
        await self._show_progress(post, message)
        if any(t.state is not TargetState.DRAFT for t in post.targets.values()):
            # Part of it already went out (a retry was waiting): only the rest is stopped.
            gone = [
                t.network.label for t in post.ordered_targets() if t.state is TargetState.PUBLISHED
            ]
            return Reply(
                f"Cancelled: post #{post.id} won't be sent to {', '.join(stopped)}. "
                f"It stays published on {', '.join(gone) or 'no network'}.",
                buttons=((Button("Open", Action.OPEN, str(post.id)),),),
                edit=edit,
                toast="Cancelled",
            )
        return Reply(
            f"Cancelled. Post #{post.id} is a draft again.",
            buttons=(
                (
                    Button("✍️ Edit", Action.EDIT, str(post.id)),
                    Button("🗑 Delete", Action.DELETE, str(post.id)),
                ),
            ),
            edit=edit,
            toast="Cancelled",
        )

    async def _tap_delete(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post = await self._own_post(actor, profile, int_arg(arg, "post"))
        return self._delete_question(post, edit=True)

    def _delete_question(self, post: Post, *, edit: bool) -> Reply:
        _refuse_while_out(post)
        published = [
            t.network.label for t in post.ordered_targets() if t.state is TargetState.PUBLISHED
        ]
        text = f"Delete post #{post.id} — {views.quoted(post.text)}?"
        if published:
            where = ", ".join(published)
            text += f"\nIt will also be removed from {where} where the network allows it."
        return Reply(
            text,
            buttons=(
                (
                    Button("🗑 Yes, delete", Action.DELETE_CONFIRMED, str(post.id)),
                    Button("Keep", Action.OPEN, str(post.id)),
                ),
            ),
            edit=edit,
        )

    async def _tap_delete_confirmed(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        async with self._uow() as uow:
            # Locked, and gone before anything is removed from the networks: no worker can
            # claim it meanwhile, so nothing of it goes out after the answer "deleted".
            post = await self._own_post_in(uow, actor, profile, int_arg(arg, "post"), lock=True)
            _refuse_while_out(post)
            request = await uow.approvals.request(post.id)
            await uow.posts.delete(post.id)
            await uow.commit()
        if request is not None and post.state is PostState.AWAITING_APPROVAL:
            await settle_card(self._notifier, post, request, "🗑 Deleted by its author.")
        notes: list[str] = []
        published: dict[Route, list[Network]] = {}
        for t in post.targets.values():
            if t.state is TargetState.PUBLISHED:
                published.setdefault(t.route, []).append(t.network)
        for route, networks in published.items():
            publisher = self._publishers.get(route)
            if publisher is None:
                continue
            try:
                await publisher.delete(profile, post, networks)
            except PublishError as e:
                names = ", ".join(n.label for n in networks)
                notes.append(f"Couldn't remove it from {names}: {e.reason}")
        text = "\n".join([f"Post #{post.id} deleted.", *notes])
        await self._show_progress(post, message, Reply(f"🗑 {text}"))
        return Reply(text, edit=True, toast="Deleted")

    async def _tap_retry(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        post_arg, _, network_arg = arg.partition(":")
        return await self._retry(
            actor, profile, int_arg(post_arg, "post"), [parse_network(network_arg)], message
        )

    async def _retry(
        self,
        actor: Actor,
        profile: Profile,
        post_id: int,
        networks: list[Network],
        message: MessageRef | None,
    ) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            # Locked: the pipeline may be recording this post's other targets right now.
            post = await self._own_post_in(uow, actor, profile, post_id, lock=True)
            for network in networks:
                target = post.targets.get(network)
                if target is None:
                    raise DomainError(f"Post #{post.id} was not sent to {network.label}.")
                if target.state is not TargetState.FAILED:
                    refusal = (
                        f"{network.label} is {target.state.value}; "
                        "only failed networks can be retried."
                    )
                    if message is None:  # typed: the answer is a message, not a toast
                        raise DomainError(refusal)
                    if message == post.progress:
                        # It shows this already, kept current by the pipeline: re-sending the
                        # same text is refused by Telegram ("message is not modified").
                        return refuse(refusal)
                    return views.progress(
                        post,
                        edit=True,
                        toast=refusal,
                    )
                if not self._policy.allows(profile.tier, network):
                    raise PolicyRefusal(self._policy.refusal(profile.tier, network))
                target.move_to(TargetState.SCHEDULED, now)
                target.round += 1
                target.attempts = 0
                target.error = None
                target.route = self._policy.route(profile.tier, network)
            if post.progress is None:  # never shown (its chat refused it): this one is now
                post.progress = message
            await uow.posts.save(post)
            await uow.commit()
        # The post keeps its one progress message, which the pipeline goes on editing; a retry
        # from another message (the Open view, a failure notice) refreshes it too.
        await self._show_progress(post, message)
        names = ", ".join(n.label for n in networks)
        return views.progress(post, edit=message is not None, toast=f"Retrying {names}…")

    async def _tap_page(
        self, actor: Actor, profile: Profile, arg: str, message: MessageRef | None
    ) -> Reply:
        page = max(int_arg(arg, "page"), 0)
        return await self._posts_page(profile, actor.chat, page, edit=True)


def _refuse_while_out(post: Post) -> None:
    """Deleting a post whose request may have reached a network would lose its outcome."""
    if any(t.may_be_out for t in post.targets.values()):
        raise DomainError(
            f"Post #{post.id} is being published; "
            "you can delete it from the networks once it is out."
        )
