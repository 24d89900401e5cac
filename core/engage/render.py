"""How comments look in chat: one message per post and batch, a line and three buttons each."""

from __future__ import annotations

from collections.abc import Sequence

from core.actions import Action
from core.engage_ports import Comment, CommentState
from core.model import Post
from core.replies import Button, Field, Reply
from core.when import format_short

# Rows of buttons one message carries: Telegram allows 100 buttons, Slack 50 blocks; eight
# comments (three buttons each) keep a batch readable on a phone. The rest: /comments.
PER_MESSAGE = 8
TEXT_SHOWN = 300  # characters of a comment quoted in chat; the link shows all of it
EXCERPT = 40

_DONE = {
    CommentState.REPLIED: "↩️ replied",
    CommentState.DONE: "✅ done",
    CommentState.HIDDEN: "🙈 hidden",
    CommentState.GONE: "🗑 deleted on the network",
}


def clip(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"


def post_title(post: Post | None, post_id: int) -> str:
    if post is None:
        return f"post #{post_id}"
    return f"post #{post.id} “{clip(post.text, EXCERPT)}”"


def comment_field(number: int, comment: Comment, tz: str) -> Field:
    """`1. @ana · Instagram · Tue 1 Dec 09:12  “Love it!” · view`, with its state once handled."""
    when = format_short(comment.created_at or comment.found_at, tz)
    label = (
        f"{number}. @{clip(comment.author, 40) or 'someone'} · {comment.network.label} · {when}"
    )
    value = f"“{clip(comment.text, TEXT_SHOWN)}”"
    if comment.state in _DONE:
        value += f" — {_DONE[comment.state]}"
    return Field(label, value, url=comment.url)


def buttons(number: int, comment: Comment, *, listed: bool = False) -> tuple[Button, ...]:
    """Reply, Hide and Done for an open comment; `listed`: shown by /comments."""
    if comment.state is not CommentState.OPEN:
        return ()
    arg = f"{comment.id}:l" if listed else str(comment.id)
    return (
        Button(f"↩️ Reply {number}", Action.COMMENT_REPLY, arg),
        Button(f"🙈 Hide {number}", Action.COMMENT_HIDE, arg),
        Button(f"✅ Done {number}", Action.COMMENT_DONE, arg),
    )


def batch(
    post: Post | None, post_id: int, comments: Sequence[Comment], tz: str, *, more: int = 0
) -> Reply:
    """The message that shows a post's new comments (or, edited, how each was handled)."""
    fresh = sum(c.state is CommentState.OPEN for c in comments)
    count = len(comments)
    noun = "comment" if count == 1 else "comments"
    head = f"💬 {count} new {noun} on {post_title(post, post_id)}"
    if fresh == 0:
        head += " — all handled"
    text = head
    if more:
        text += f"\n…and {more} more: /comments {post_id}"
    fields = tuple(comment_field(i, c, tz) for i, c in enumerate(comments, 1))
    rows = tuple(row for i, c in enumerate(comments, 1) if (row := buttons(i, c)))
    return Reply(text, fields, rows)


def listing(
    comments: Sequence[Comment], total: int, tz: str, titles: dict[int, str], *, scope: str
) -> Reply:
    """/comments: the open comments, newest first, each under its post's name."""
    if not comments:
        return Reply(f"💬 No open comments {scope}. New ones arrive here as they come.")
    head = f"💬 {total} open comment{'s' if total != 1 else ''} {scope}"
    if total > len(comments):
        head += f" (the newest {len(comments)})"
    fields = tuple(
        Field(f"{f.label} · {titles.get(c.post_id, f'post #{c.post_id}')}", f.value, url=f.url)
        for i, c in enumerate(comments, 1)
        for f in (comment_field(i, c, tz),)
    )
    rows = tuple(row for i, c in enumerate(comments, 1) if (row := buttons(i, c, listed=True)))
    return Reply(head, fields, rows)
