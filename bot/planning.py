"""Templates, posting slots and the queue: their commands and buttons plugged into Postroom."""

from __future__ import annotations

from dataclasses import dataclass

from core.actions import Action
from core.chat.entry import Postroom
from core.planning.queue import QueueCommands
from core.planning.templates import TemplateCommands
from core.policy import Policy
from core.ports import Clock, UnitOfWorkFactory
from core.publishing.progress import ProgressNotifier
from core.roles import Capability


@dataclass(frozen=True)
class PlanningServices:
    templates: TemplateCommands
    queue: QueueCommands


def build_planning(
    postroom: Postroom,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    policy: Policy,
    notifier: ProgressNotifier,
) -> PlanningServices:
    templates = TemplateCommands(uow, clock, postroom)
    queue = QueueCommands(uow, clock, policy, postroom, notifier)
    # Listing is for every member of a team; what changes asks for more itself: templates
    # and moves COMPOSE, slots and pausing the queue MANAGE (profile-wide settings).
    view = Capability.VIEW
    postroom.add_command(
        "templates",
        templates.command,
        "/templates [save | use | delete <name>] — reusable posts",
        capability=view,
    )
    postroom.add_command(
        "slots",
        queue.slots,
        "/slots [add | remove <day> <HH:MM>] — weekly posting slots",
        capability=view,
    )
    postroom.add_command(
        "queue",
        queue.queue,
        "/queue [up | down <id> | pause | resume] — posts in your slots",
        capability=view,
    )
    postroom.add_tap(Action.TEMPLATE, templates.tap)
    postroom.add_tap(Action.QUEUE_ADD, queue.add_tap)
    postroom.add_tap(Action.QUEUE, queue.tap)
    return PlanningServices(templates, queue)
