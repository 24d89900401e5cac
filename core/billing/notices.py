"""What the billing lifecycle tells a profile's owner: plan ended, back, ending soon."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core import views
from core.actions import Action
from core.model import Network, Post, Tier
from core.publishing.notices import waiting_buttons
from core.replies import Button, Reply
from core.tiers import Standing
from core.when import format_local

RENEW = Button("🔁 Renew", Action.RENEW)


def held_line(post: Post) -> str:
    nets = ", ".join(t.network.label for t in post.ordered_targets() if t.held_due is not None)
    return f"#{post.id} {views.clip(post.text, 30) or '(media only)'} — {nets}"


def ended(before: Tier, now_on: Tier, held: Sequence[Post]) -> Reply:
    """The one message a lapse sends: what was held, that nothing is lost, the way back."""
    lines = [
        f"Your {before.label} plan has ended; you're on {now_on.label} now. Your connections stay."
    ]
    if held:
        lines.append(
            "Held (not sent, kept as drafts there) until you renew: "
            + "; ".join(held_line(p) for p in held)
        )
    return Reply("\n".join(lines), buttons=((RENEW,),))


def back(standing: Standing, scheduled: Sequence[Post], tz: str) -> Reply:
    """After a renewal or a grant: the plan, until when, and the held posts released."""
    text = f"You're on {standing.tier.label}"
    if standing.renews_at is not None:
        text += f"; it renews {format_local(standing.renews_at, tz)}."
    elif standing.ends_at is not None:
        text += f" until {format_local(standing.ends_at, tz)}."
    else:
        text += "."
    if scheduled:
        text += " Scheduled again: " + ", ".join(f"#{p.id}" for p in scheduled) + "."
    return Reply(text)


def late(post: Post, due: datetime | None, tz: str) -> Reply:
    """A released post whose time passed while it was held: publish now, edit or delete."""
    nets = ", ".join(t.network.label for t in post.ordered_targets())
    when = "" if due is None else f" was due {format_local(due, tz)} and"
    return Reply(
        f"⏰ Post #{post.id}{when} was held while your plan had ended, so it was not sent. "
        f"Publish it now, edit it, or delete it.\n{views.clip(post.text) or '(media only)'}"
        f"\nTo: {nets}",
        buttons=waiting_buttons(post),
    )


def unfit(post: Post, problems: Sequence[str], why: str) -> Reply:
    """A held post not released (`why`: what held it) because it may not go as it is."""
    return Reply(
        f"⚠️ Post #{post.id} was held {why}, and was not scheduled again: "
        + " ".join(problems)
        + f" It is a draft now: fix it, then Publish or Schedule.\n"
        f"{views.clip(post.text) or '(media only)'}",
        buttons=waiting_buttons(post),
    )


def ending(standing: Standing, tz: str, losing: Sequence[Network]) -> Reply:
    """The one reminder three days before a plan that does not renew ends."""
    assert standing.ends_at is not None
    text = f"Your {standing.tier.label} plan ends {format_local(standing.ends_at, tz)}."
    if losing:
        text += " After that " + ", ".join(n.label for n in losing) + " are locked"
        text += " and posts scheduled there are held until you renew."
    return Reply(text, buttons=((RENEW,),))
