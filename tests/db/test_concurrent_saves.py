"""Two units of work changing one post at once (the pipeline recording one network while the
author retries another): each save writes only what its unit changed, on both stores."""

from __future__ import annotations

from core.model import MessageRef, Network
from core.ports import UnitOfWorkFactory
from tests.db.test_repositories import (
    CHAT,
    NOW,
    S,
    add,
    draft,
    get_post,
    make_profile,
    target,
)

X, FB, IG = Network.X, Network.FACEBOOK, Network.INSTAGRAM


async def test_a_save_keeps_what_another_unit_committed_meanwhile(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(X, S.FAILED), target(FB, S.PUBLISHING)))
    async with uow() as recorder:
        recording = await recorder.posts.get(post.id)
        assert recording is not None
        async with uow() as author:  # taps Retry X on a new progress message meanwhile
            retrying = await author.posts.get(post.id)
            assert retrying is not None
            retrying.targets[X].state, retrying.targets[X].due_at = S.SCHEDULED, NOW
            retrying.progress = MessageRef(CHAT, "9")
            await author.posts.save(retrying)
            await author.commit()
        recording.targets[FB].state = S.PUBLISHED
        recording.targets[FB].url = "https://facebook.example/1"
        await recorder.posts.save(recording)
        await recorder.commit()

    stored = await get_post(uow, post.id)
    assert stored is not None
    assert (stored.targets[X].state, stored.targets[X].due_at) == (S.SCHEDULED, NOW)
    assert stored.progress == MessageRef(CHAT, "9")
    assert (stored.targets[FB].state, stored.targets[FB].url) == (
        S.PUBLISHED,
        "https://facebook.example/1",
    )


async def test_targets_ticked_or_unticked_meanwhile_stay_so(uow: UnitOfWorkFactory) -> None:
    profile = await make_profile(uow)
    post = await add(uow, draft(profile.id, target(X), target(FB)))
    async with uow() as first:
        mine = await first.posts.get(post.id)
        assert mine is not None
        async with uow() as other:
            theirs = await other.posts.get(post.id)
            assert theirs is not None
            del theirs.targets[FB]
            theirs.targets[IG] = target(IG)
            await other.posts.save(theirs)
            await other.commit()
        mine.text = "Edited"
        await first.posts.save(mine)
        await first.commit()

    stored = await get_post(uow, post.id)
    assert stored is not None
    assert stored.text == "Edited"
    assert set(stored.targets) == {X, IG}
