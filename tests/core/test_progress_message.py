"""A post keeps its one progress message whichever message a change is made from (SQL)."""

from __future__ import annotations

import pytest

from adapters.db.uow import SqlUnitOfWorkFactory
from adapters.sandbox import FailMode
from core.model import Network
from tests.core.harness import VIDEO, Harness, field_values

TT, FB = Network.TIKTOK, Network.FACEBOOK


@pytest.fixture
def h(uow_factory: SqlUnitOfWorkFactory) -> Harness:
    return Harness(uow=uow_factory, fail={TT: FailMode.ONCE})


async def test_a_retry_from_the_open_view_keeps_the_progress_message_current(h: Harness) -> None:
    composer = await h.compose(f"Launch day! media: {VIDEO}", TT, FB)
    progress = h.message_of(await h.tap(composer, "Publish now"))
    await h.pipeline.run_until_idle()
    assert "1 of 2 published" in h.current(progress).text
    listing = await h.say("/posts")
    opened = await h.tap(listing, "Open #1")
    assert field_values(opened)["TikTok"].startswith("❌")
    retried = await h.tap(opened, "Retry TikTok")
    # The tapped view answers, and the progress message says the same at once.
    assert retried.toast == "Retrying TikTok…" and retried.edit
    assert field_values(retried)["TikTok"] == "🕒 pending"
    assert field_values(h.current(progress))["TikTok"] == "🕒 pending"
    await h.pipeline.run_until_idle()
    shown = h.current(progress)
    assert "2 of 2 published" in shown.text
    assert field_values(shown) == {"TikTok": "✅ published", "Facebook": "✅ published"}
    assert "Retry" not in str(shown.buttons)
    async with h.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.progress == progress
