"""How approvals look in chat: the approvers' card, its decided form, the author's progress
lines and the reviews in a post's detail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core import limits, views
from core.actions import Action
from core.approval_ports import ApprovalRequest, Kind, Review
from core.model import Network, Post
from core.replies import Button, Reply, code
from core.when import format_local, format_short

# The card shows each distinct text once, at most this long: Telegram's message is 4,096
# characters and a Slack section 3,000 (README: Slack), with room for the rest of the card.
CARD_TEXT_CHARS = 1200

HEADS = {
    Kind.SUBMITTED: "sent for approval",
    Kind.APPROVED: "✅ approved",
    Kind.CHANGES: "✏️ changes requested",
    Kind.REJECTED: "✖ rejected",
    Kind.EXPIRED: "⌛ expired: its time passed undecided, held as a draft",
    Kind.WITHDRAWN: "↩️ withdrawn by its author",
    Kind.NOTE: "📝 note",
}


def text_for(post: Post, network: Network) -> str:
    """The text `network` is sent: its own version, else the main text."""
    return post.text_for(network)


def when_line(request: ApprovalRequest, tz: str) -> str:
    if request.publish_at is None:
        return "Publish now, once approved"
    return f"Scheduled for {format_local(request.publish_at, tz)}"


def card(post: Post, request: ApprovalRequest, approvers: Sequence[str], tz: str) -> Reply:
    """The one message approvers decide on: the post as each network will show it, with the
    warnings the composer shows, and its three buttons (carrying the round: `apv:12:3`)."""
    targets = post.ordered_targets()
    lines = [
        f"🗳 Approval needed: post #{post.id} by {request.author_name or 'a member'}"
        + (f" (round {request.round})" if request.round > 1 else ""),
        f"{when_line(request, tz)} · To: {', '.join(t.network.label for t in targets)}",
    ]
    if post.media:
        lines.append(f"Media: {len(post.media)} — " + ", ".join(_clip(m, 60) for m in post.media))
    groups: dict[str, list[Network]] = {}
    for t in targets:
        groups.setdefault(text_for(post, t.network), []).append(t.network)
    for text, networks in groups.items():
        counts = " · ".join(
            f"{n.label} {len(text):,}/{limits.LIMITS[n].max_chars:,}" for n in networks
        )
        lines += ["", f"— {counts} —", _clip(text, CARD_TEXT_CHARS) or "(no text)"]
        for network in networks:
            lines += [f"⚠️ {p}" for p in limits.problems(network, text, post.media)]
    if approvers:
        lines += ["", f"Approvers: {', '.join(approvers)}"]
    return Reply("\n".join(lines), buttons=(decisions(post, request),))


def decisions(post: Post, request: ApprovalRequest) -> tuple[Button, ...]:
    """The card's three buttons for this round (also under the post's detail, for approvers:
    a card that could not be sent, or scrolled far away)."""
    arg = f"{post.id}:{request.round}"
    return (
        Button("✅ Approve", Action.APPROVE, arg),
        Button("✏️ Request changes", Action.REQUEST_CHANGES, arg),
        Button("✖ Reject", Action.REJECT, arg),
    )


def decided(post: Post, request: ApprovalRequest, line: str, *, edit: bool = True) -> Reply:
    """The card once decided (or out of date): what happened, and no buttons left to tap."""
    head = f"🗳 Post #{post.id} by {request.author_name or 'a member'} — {views.quoted(post.text)}"
    return Reply(f"{head}\n{line}", edit=edit)


def outcome(kind: Kind, by: str, note: str = "", tz: str = "UTC", post: Post | None = None) -> str:
    """One line saying what an approver decided, for the card and the author."""
    who = f" by {by}" if by else ""
    said = f": “{views.clip(note, 300)}”" if note else ""
    match kind:
        case Kind.APPROVED if post is not None and post.scheduled_at is not None:
            return f"✅ Approved{who}: goes out {format_local(post.scheduled_at, tz)}."
        case Kind.APPROVED:
            return f"✅ Approved{who}: publishing now."
        case Kind.CHANGES:
            return f"✏️ Changes requested{who}{said}. It is a draft again: edit it, then publish."
        case Kind.REJECTED:
            return f"✖ Rejected{who}{said}. It stays a draft and is not sent."
        case Kind.EXPIRED:
            return (
                "⌛ Not approved before its time: held as a draft. Publish or schedule it again."
            )
        case Kind.WITHDRAWN:
            return "↩️ Withdrawn by its author: a draft again."
        case _:
            return f"📝 Note{who}{said}"


def expired_notice(post: Post) -> Reply:
    """A message of its own (the progress message is edited silently): the author looks."""
    line = outcome(Kind.EXPIRED, "").removeprefix("⌛ ")
    return Reply(f"⌛ Post #{post.id}: {line}")


def ask_note(post: Post, approver: str) -> str:
    """The changes prompt on the card: the approver's next message here is the note."""
    return (
        f"{approver}: what should change? Your next message here (in a group, a reply to this "
        f"message) is the note, or send {code(f'/note {post.id} <text>')}."
    )


def awaiting(post: Post, request: ApprovalRequest, tz: str, line: str = "") -> Reply:
    """The author's progress message while the post waits, or once it is decided (`line`)."""
    shown = views.progress(post)
    head = f"⏸ Awaiting approval — {views.quoted(post.text)}"
    if line:
        head = f"{views.quoted(post.text)}\n{line}"
    else:
        head += f"\n{when_line(request, tz)}. The approvers have a card in the team chat."
    return replace(shown, text=head)


def review_lines(reviews: Sequence[Review], tz: str) -> list[str]:
    """The post's reviews for its detail: who, when, what, and the note."""
    if not reviews:
        return []
    lines = ["", "Reviews:"]
    for r in reviews:
        who = f" by {r.by_name}" if r.by_name else ""
        said = f": “{views.clip(r.note, 200)}”" if r.note else ""
        lines.append(f"• {format_short(r.at, tz)} {HEADS[r.kind]}{who}{said}")
    return lines


def _clip(text: str, width: int) -> str:
    return views.clip(text, width, lines=True)
