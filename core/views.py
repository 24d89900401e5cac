"""How posts, connections and lists look in chat, as neutral replies."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime

from core import limits
from core.actions import Action
from core.graphemes import graphemes
from core.model import ChatKind, Network, Post, Profile, Target
from core.policy import Policy
from core.replies import Button, Field, Reply, code
from core.states import PostState, TargetState
from core.when import format_local, format_short
from core.wording import plural

PREVIEW_CHARS = 60

TARGET_ICONS = {
    TargetState.DRAFT: "☐",
    TargetState.AWAITING_APPROVAL: "⏸",
    TargetState.SCHEDULED: "🕒",
    TargetState.QUEUED: "⏳",
    TargetState.PUBLISHING: "⏳",
    TargetState.PUBLISHED: "✅",
    TargetState.FAILED: "❌",
    TargetState.UNCONFIRMED: "❔",
}


def clip(text: str, width: int = PREVIEW_CHARS, *, lines: bool = False) -> str:
    """`text` in at most `width` user-perceived characters, ending with "…" when cut.

    Runs of spaces become one (and line breaks too, unless `lines`); a cut never splits a
    character such as 👨‍👩‍👧 or 🇩🇪 (core.graphemes).
    """
    if lines:
        flat = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    else:
        flat = " ".join(text.split())
    if len(flat) <= width:  # fewer code points than `width`: fewer characters too
        return flat
    kept = list(itertools.islice(graphemes(flat), width))
    if sum(map(len, kept)) == len(flat):
        return flat
    return "".join(kept[: width - 1]).rstrip() + "…"


def quoted(text: str, width: int = PREVIEW_CHARS) -> str:
    """A post's text in a sentence, as written (no escapes): “Family 👨‍👩‍👧”."""
    shown = clip(text, width)
    return f"“{shown}”" if shown else "(media only)"


def continue_in_private(kind: ChatKind) -> Reply:
    """The answer to /connect anywhere but a private chat: connect links sign in to the user's
    own accounts, so they are never shown where others read. A channel publishes with the
    profile of the admin who links it (`core.chat.linking`), so it is offered the link too."""
    connect = Button("🔗 Connect in private ↗", private="connect")
    if kind is not ChatKind.CHANNEL:
        return Reply(
            "Connect your networks in a private chat with me, so your sign-in links stay yours.",
            buttons=((connect,),),
        )
    return Reply(
        "This channel publishes with the networks of the profile it is linked to. To link "
        f"it to yours, tap “Link this channel”, then post the {code('/link <code>')} I give "
        "you here. Connect your networks in that private chat too.",
        buttons=((Button("🔗 Link this channel ↗", private="link"),), (connect,)),
    )


def connect_team_in_private(team_id: int, name: str) -> Reply:
    """/connect in a team's chat: sign-in links stay out of the group, as for anyone's; the
    private chat it opens connects the team's networks and posts as the team from then on."""
    return Reply(
        f"Connect {name}'s networks in a private chat with me, so the sign-in links stay "
        f"yours. There you then post as {name} (switch with /team).",
        buttons=((Button("🔗 Connect in private ↗", private=f"connect-{team_id}"),),),
    )


def rows(buttons: Sequence[Button], per_row: int = 3) -> tuple[tuple[Button, ...], ...]:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def paged(
    opens: Sequence[Button], page: int, pages: int, turn: Action
) -> tuple[tuple[Button, ...], ...]:
    """A list's Open buttons, three a row, then « Prev / Next » (`turn`: its page action)."""
    nav = []
    if page > 0:
        nav.append(Button("« Prev", turn, str(page - 1)))
    if page + 1 < pages:
        nav.append(Button("Next »", turn, str(page + 1)))
    return rows(opens, 3) + ((tuple(nav),) if nav else ())


def describe_content(post: Post) -> str:
    media = f"{len(post.media)} media" if post.media else "no media"
    return f"{plural(len(post.text), 'character')}, {media}"


def composer(
    post: Post,
    profile: Profile,
    policy: Policy,
    unavailable: dict[Network, str],
    *,
    toast: str | None = None,
    edit: bool = False,
) -> Reply:
    """The draft with its network toggles and what each network would refuse."""
    toggles: list[Button] = []
    for network in Network:
        if not policy.allows(profile.tier, network):
            toggles.append(
                Button(f"🔒 {network.label}", Action.LOCKED, network.value, locked=True)
            )
        elif network in unavailable:
            toggles.append(
                Button(f"⛔ {network.label}", Action.LOCKED, network.value, locked=True)
            )
        else:
            ticked = "☑" if network in post.targets else "☐"
            toggles.append(
                Button(f"{ticked} {network.label}", Action.TOGGLE, f"{post.id}:{network.value}")
            )
    warnings = [
        problem
        for target in post.ordered_targets()
        for problem in limits.problems(target.network, post.text_for(target.network), post.media)
    ]
    not_linked = [
        t.network.label for t in post.ordered_targets() if t.network not in profile.connected()
    ]
    if not_linked:
        warnings.append(f"Not connected yet: {', '.join(not_linked)}. /connect")
    lines = [
        f"✍️ New post — {describe_content(post)}",
        "",
        clip(post.text, 300, lines=True) or "(no text)",
    ]
    lines += version_lines(post)
    if post.media:
        lines.append("Media:")
        lines += [f"{n}. {clip(m, 60)}" for n, m in enumerate(post.media, 1)]
    lines += ["", "Networks:"] + [f"⚠️ {w}" for w in warnings]
    actions = (
        Button("🚀 Publish now", Action.PUBLISH, str(post.id)),
        Button("🕒 Schedule…", Action.SCHEDULE_MENU, str(post.id)),
        # The next free weekly posting slot (core.planning.queue).
        Button("🗓 Add to queue", Action.QUEUE_ADD, str(post.id)),
        Button("✖ Discard", Action.DISCARD, str(post.id)),
    )
    editing = (*version_offers(post), Button("✏️ Edit…", Action.DRAFT_MENU, str(post.id)))
    return Reply(
        "\n".join(lines),
        buttons=(*rows(toggles), *rows(editing), actions),
        toast=toast,
        edit=edit,
    )


def version_lines(post: Post, width: int = 120) -> list[str]:
    """Each network's own text, as the composer and a post's detail show it."""
    versions = post.versions()
    if not versions:
        return []
    lines = ["", "Versions:"]
    for network, text in versions.items():
        lines.append(f"• {network.label} ({plural(len(text), 'character')}): {clip(text, width)}")
    return lines


def version_offers(post: Post) -> list[Button]:
    """“Edit for <network>” where a network's limits refuse the text it would get."""
    return [
        Button(f"✂️ Edit for {t.network.label}", Action.VERSION, f"{post.id}:{t.network.value}")
        for t in post.ordered_targets()
        if limits.text_problems(t.network, post.text_for(t.network))
    ]


def target_line(target: Target) -> Field:
    icon = TARGET_ICONS[target.state]
    label = target.network.label
    match target.state:
        case TargetState.PUBLISHED:
            return Field(label, f"{icon} published", url=target.url)
        case TargetState.FAILED:
            return Field(label, f"{icon} {target.error or 'failed'}")
        case TargetState.UNCONFIRMED:
            return Field(label, f"{icon} checking whether it went out…")
        case TargetState.QUEUED | TargetState.PUBLISHING:
            return Field(label, f"{icon} publishing…")
        case TargetState.SCHEDULED:
            return Field(label, f"{icon} pending")
        case TargetState.AWAITING_APPROVAL:
            return Field(label, f"{icon} awaiting approval")
        case _:
            return Field(label, f"{icon} not sent")


def progress(post: Post, *, edit: bool = False, toast: str | None = None) -> Reply:
    """The one message a post's publishing is tracked in, edited as each target moves on."""
    targets = post.ordered_targets()
    done = sum(t.state is TargetState.PUBLISHED for t in targets)
    head = f"📤 {clip(post.text) or '(media only)'}"
    if post.state in (PostState.PUBLISHED, PostState.PARTIAL, PostState.FAILED):
        head += f" — {done} of {len(targets)} published"
    return Reply(
        head,
        fields=tuple(target_line(t) for t in targets),
        buttons=rows(retry_buttons(post), 2),
        edit=edit,
        toast=toast,
    )


def scheduled(post: Post, tz: str, *, edit: bool = False) -> Reply:
    assert post.scheduled_at is not None
    nets = ", ".join(t.network.label for t in post.ordered_targets())
    return Reply(
        f"🕒 Scheduled for {format_local(post.scheduled_at, tz)}\n{clip(post.text)}\nTo: {nets}",
        buttons=(
            (
                Button("✖ Cancel", Action.CANCEL, str(post.id)),
                Button("Open", Action.OPEN, str(post.id)),
            ),
        ),
        edit=edit,
    )


def which_draft(
    latest: Post, drafts: Sequence[Post], when: datetime, tz: str, note: str | None
) -> Reply:
    """Asked when the latest post is past scheduling but older drafts wait: which one?"""
    minute = int(when.timestamp() // 60)
    choices = [
        Button(f"#{d.id} · {clip(d.text, 24)}", Action.SCHEDULE_AT, f"{d.id}:{minute}")
        for d in drafts
    ]
    text = (
        f"Your latest post here, #{latest.id}, is {latest.state.value}. "
        f"Which draft should go out {format_local(when, tz)}?"
    )
    return Reply(text + (f"\n{note}" if note else ""), buttons=rows(choices, 1))


def post_summary(post: Post, tz: str) -> str:
    nets = ", ".join(t.network.label for t in post.ordered_targets()) or "no networks"
    state = post.state
    if state is PostState.SCHEDULED and post.scheduled_at is not None:
        when = format_short(post.scheduled_at, tz)
        return f"#{post.id} {when} · {quoted(post.text, 30)} · {nets}"
    counts = " ".join(
        f"{icon} {n}"
        for icon, n in (
            ("✅", sum(t.state is TargetState.PUBLISHED for t in post.targets.values())),
            ("❌", sum(t.state is TargetState.FAILED for t in post.targets.values())),
        )
        if n
    )
    when = format_short(post.created_at, tz)
    return f"#{post.id} {when} · {state.value} {counts} · {quoted(post.text, 30)}".replace(
        "  ", " "
    )


def retry_buttons(post: Post, failed: Iterable[Target] | None = None) -> list[Button]:
    """A Retry button per failed target of `post` (or per target of `failed`), in network
    order: the progress message, the post's detail and the failure notice all use these."""
    chosen = post.ordered_targets() if failed is None else failed
    return [
        Button(f"🔁 Retry {t.network.label}", Action.RETRY, f"{post.id}:{t.network.value}")
        for t in sorted(chosen, key=lambda t: t.network.rank)
        if t.state is TargetState.FAILED
    ]


def state_phrase(state: PostState) -> str:
    """A post's state after "is": "a draft", "partly published"."""
    return {
        PostState.DRAFT: "a draft",
        PostState.AWAITING_APPROVAL: "awaiting approval",
        PostState.PARTIAL: "partly published",
        PostState.FAILED: "failed",
    }.get(state, state.value)


def post_detail(post: Post, tz: str, *, edit: bool = True, toast: str | None = None) -> Reply:
    lines = [
        f"Post #{post.id} — {post.state.value}",
        clip(post.text, 500, lines=True) or "(media only)",
    ]
    lines += version_lines(post, 200)
    if post.scheduled_at is not None and post.state is PostState.SCHEDULED:
        lines.append(f"Scheduled for {format_local(post.scheduled_at, tz)}")
    if post.scheduled_at is not None and post.state is PostState.AWAITING_APPROVAL:
        lines.append(f"Due {format_local(post.scheduled_at, tz)} once approved")
    lines.append(f"Created {format_local(post.created_at, tz)}")
    buttons: list[Button] = []
    if post.state is PostState.SCHEDULED:
        buttons.append(Button("✖ Cancel", Action.CANCEL, str(post.id)))
    if post.state is PostState.AWAITING_APPROVAL:
        buttons.append(Button("↩️ Withdraw", Action.CANCEL, str(post.id)))
    if post.state is PostState.DRAFT:
        buttons.append(Button("✍️ Edit", Action.EDIT, str(post.id)))
    buttons += retry_buttons(post)
    if not any(t.may_be_out for t in post.targets.values()):
        buttons.append(Button("🗑 Delete", Action.DELETE, str(post.id)))
    buttons.append(Button("« Posts", Action.PAGE, "0"))
    return Reply(
        "\n".join(lines),
        fields=tuple(target_line(t) for t in post.ordered_targets()),
        buttons=rows(buttons, 3),
        edit=edit,
        toast=toast,
    )
