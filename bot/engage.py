"""Wires the engage inbox: comment sources per route, /comments /engage /reply and the buttons,
and the pass that pulls and pushes comments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from adapters.ayrshare.budgeted import Budgeted
from adapters.ayrshare.client import AyrshareClient
from adapters.ayrshare.comments import AyrshareComments
from adapters.instagram.comments import InstagramComments
from bot.settings import Settings
from core.actions import Action
from core.chat.entry import Postroom
from core.engage.inbox import EngageInbox
from core.engage.sweep import EngagePass
from core.engage_ports import CommentSource
from core.model import Route
from core.policy import Policy
from core.ports import Clock, Messengers, UnitOfWorkFactory
from core.roles import Capability

__all__ = ["EngageServices", "build_comment_sources", "build_engage"]


@dataclass
class EngageServices:
    inbox: EngageInbox
    sweep: EngagePass


def build_comment_sources(
    settings: Settings,
    client: AyrshareClient | None,
    budgeted: Budgeted,
    http: httpx.AsyncClient | None,
) -> dict[Route, CommentSource]:
    """Ayrshare's comments API for Pro (on the profile's one budget) and the Instagram Graph
    API for Free; the sandbox simulates no comments."""
    if settings.sandbox:
        return {}
    sources: dict[Route, CommentSource] = {}
    if client is not None:
        sources[Route.AYRSHARE] = AyrshareComments(client, budgeted)
    if http is not None:
        sources[Route.INSTAGRAM_GRAPH] = InstagramComments(
            http, base_url=settings.instagram_api_url
        )
    return sources


def build_engage(
    *,
    uow: UnitOfWorkFactory,
    postroom: Postroom,
    policy: Policy,
    clock: Clock,
    messengers: Messengers,
    sources: Mapping[Route, CommentSource],
) -> EngageServices:
    """The engage use cases, with their commands and buttons registered on `postroom`."""
    inbox = EngageInbox(uow, sources, policy, messengers, clock)
    postroom.add_command(
        "comments",
        inbox.comments,
        "/comments [post id] — open comments on your posts",
        capability=Capability.VIEW,
    )
    # Pushes and quiet hours are the profile's settings: MANAGE, the default.
    postroom.add_command(
        "engage", inbox.engage, "/engage on | off | quiet 22:00-08:00 — comment pushes"
    )
    postroom.add_command(
        "reply",
        inbox.reply,
        "/reply <text> — answer the comment you tapped",
        capability=Capability.COMPOSE,
    )
    postroom.add_tap(Action.COMMENT_REPLY, inbox.tap_reply)
    postroom.add_tap(Action.COMMENT_HIDE, inbox.tap_hide)
    postroom.add_tap(Action.COMMENT_DONE, inbox.tap_done)
    postroom.add_typed(inbox)
    return EngageServices(inbox, EngagePass(uow, sources, policy, messengers, clock))
