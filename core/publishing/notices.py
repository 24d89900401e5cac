"""What the pipeline tells an author who may be elsewhere when targets fail."""

from __future__ import annotations

from collections.abc import Sequence

from core import views
from core.actions import Action
from core.model import Post, Target
from core.replies import Button, Field, Reply


def author_away(post: Post) -> bool:
    """A scheduled post fails while its author may be elsewhere: the edited progress message
    alone could go unseen, so a short notice follows. After "Publish now" the author is looking
    at that message, and a second one would be noise (one message per task:
    docs/product-rules.md#chat)."""
    return post.scheduled_at is not None


def late_notice(post: Post, when: str, late_by: str) -> Reply:
    """The message an author gets when a post was due while the bot was not running: it
    waits for them, with what they can do."""
    nets = ", ".join(t.network.label for t in post.ordered_targets())
    return Reply(
        f"⏰ Post #{post.id} was due {when}, while the bot was not running, so it was "
        f"not sent. Posts more than {late_by} late wait for you: publish it "
        f"now, edit it, or delete it.\n{views.clip(post.text) or '(media only)'}\nTo: {nets}",
        buttons=waiting_buttons(post),
    )


def waiting_buttons(post: Post) -> tuple[tuple[Button, ...], ...]:
    """What an author can do with a post that was not sent at its time."""
    return (
        (
            Button("🚀 Publish now", Action.PUBLISH, str(post.id)),
            Button("✍️ Edit", Action.EDIT, str(post.id)),
            # Asks for confirmation first: the draft's text and media are lost.
            Button("🗑 Delete", Action.DELETE, str(post.id)),
        ),
    )


def failure_notice(post: Post, failed: Sequence[Target]) -> Reply:
    """The short message an author gets when targets of a post fail for good."""
    failed = sorted(failed, key=lambda t: t.network.rank)
    names = ", ".join(t.network.label for t in failed)
    retry = views.retry_buttons(post, failed)
    return Reply(
        f"❌ Post #{post.id} was not published to {names}: "
        f"{views.clip(post.text, 40) or '(media only)'}",
        fields=tuple(Field(t.network.label, t.error or "failed") for t in failed),
        buttons=views.rows(retry, 2),
    )
