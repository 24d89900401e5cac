"""Posts that reports count before they have numbers, and counting posts rather than items."""

from __future__ import annotations

from collections.abc import Iterable

from core.metrics import AnalyticsItem
from core.model import Network, Post
from core.ports import UnitOfWork
from core.states import TargetState

__all__ = ["posts_of", "published_on", "unmeasured"]


def posts_of(items: Iterable[AnalyticsItem]) -> set[tuple[str, int]]:
    """Posts, not post × network: a post on two networks is one post."""
    return {("post", i.post_id) if i.post_id else ("tracked", i.id) for i in items}


def published_on(post: Post) -> list[Network]:
    return [t.network for t in post.ordered_targets() if t.state is TargetState.PUBLISHED]


async def unmeasured(
    uow: UnitOfWork, post_ids: Iterable[int], measured: set[int | None]
) -> list[Post]:
    """The posts among `post_ids` that have no numbers yet and are not hidden."""
    found = []
    for post_id in post_ids:
        if post_id in measured or (await uow.analytics.tags(post_id)).hidden:
            continue
        post = await uow.posts.get(post_id)
        if post is not None:
            found.append(post)
    return found
