"""Drafts, versions and the draft each chat has open, stored alike by the write-side fake and
SQL (both databases): the list's order and filter, versions kept per target, the focus."""

from __future__ import annotations

from datetime import timedelta

from core.chat_ports import Awaiting, DraftFocus
from core.model import ChatPlatform, Identity, Network, Route, Target
from core.ports import UnitOfWorkFactory
from core.states import TargetState
from tests.db.test_post_ids import (  # noqa: F401 (uow: the fixture)
    ANA,
    GROUP,
    NOW,
    PRIVATE,
    add,
    draft,
    profile_id,
    uow,
)

BEN = Identity(ChatPlatform.TELEGRAM, "2222222")


async def test_drafts_are_listed_last_edited_first_and_versions_kept(
    uow: UnitOfWorkFactory,  # noqa: F811
) -> None:
    me = await profile_id(uow)
    old = await add(uow, draft(me, text="old"))
    edited = await add(uow, draft(me, text="edited"))
    group = await add(uow, draft(me, GROUP, "group"))
    sent = await add(uow, draft(me, text="sent"))
    async with uow() as u:
        post = await u.posts.get(edited.id)
        assert post is not None
        post.targets[Network.LINKEDIN] = Target(Network.LINKEDIN, Route.AYRSHARE, text="Longer")
        post.targets[Network.X].text = "Short"
        post.edited_at = NOW + timedelta(hours=1)
        await u.posts.save(post)
        done = await u.posts.get(sent.id)
        assert done is not None
        done.targets[Network.X].move_to(TargetState.SCHEDULED, NOW)
        await u.posts.save(done)
        await u.commit()
    async with uow() as u:
        listed, total = await u.posts.drafts(me, offset=0, limit=10)
        in_group, group_total = await u.posts.drafts(me, offset=0, limit=10, origin=GROUP)
        page, _ = await u.posts.drafts(me, offset=1, limit=1)
    assert ([p.id for p in listed], total) == ([edited.id, group.id, old.id], 3)
    assert ([p.id for p in in_group], group_total) == ([group.id], 1)
    assert [p.id for p in page] == [group.id]
    assert listed[0].versions() == {Network.LINKEDIN: "Longer", Network.X: "Short"}
    assert listed[0].text_for(Network.X) == "Short" and listed[1].text_for(Network.X) == "group"
    assert listed[0].edited_at == NOW + timedelta(hours=1)

    async with uow() as u:  # back to the main text
        post = await u.posts.get(edited.id)
        assert post is not None
        post.targets[Network.X].text = None
        await u.posts.save(post)
        await u.commit()
    async with uow() as u:
        again = await u.posts.get(edited.id)
    assert again is not None and again.versions() == {Network.LINKEDIN: "Longer"}


async def test_each_chat_user_has_one_focus_which_goes_with_its_post(
    uow: UnitOfWorkFactory,  # noqa: F811
) -> None:
    me = await profile_id(uow)
    one, two = await add(uow, draft(me)), await add(uow, draft(me))
    until = NOW + timedelta(minutes=10)
    asks = DraftFocus(two.id, two.id, Awaiting.VERSION, Network.X, until)
    async with uow() as u:
        assert await u.drafts.get(me, ANA, PRIVATE) is None
        await u.drafts.put(me, ANA, PRIVATE, DraftFocus(one.id, two.id))
        await u.drafts.put(me, ANA, GROUP, DraftFocus(two.id, two.id))
        await u.drafts.put(me, BEN, GROUP, DraftFocus(one.id, one.id))  # a team mate's own
        await u.commit()
    async with uow() as u:  # replaced, not added
        await u.drafts.put(me, ANA, PRIVATE, asks)
        await u.commit()
    async with uow() as u:
        assert await u.drafts.get(me, ANA, PRIVATE) == asks
        assert asks.waits(NOW) and not asks.waits(until)
        assert await u.drafts.waiting(ANA, PRIVATE, NOW) == (me, asks)
        assert await u.drafts.waiting(ANA, PRIVATE, until) is None  # run out
        assert await u.drafts.waiting(ANA, GROUP, NOW) is None  # opened, asks nothing
        assert await u.drafts.waiting(BEN, PRIVATE, NOW) is None
        assert await u.drafts.get(me, BEN, GROUP) == DraftFocus(one.id, one.id)
        await u.drafts.put(me, ANA, GROUP, DraftFocus(one.id, two.id))  # not committed
    async with uow() as u:
        assert await u.drafts.get(me, ANA, GROUP) == DraftFocus(two.id, two.id)
        await u.posts.delete(two.id)
        await u.commit()
    async with uow() as u:  # the post went, and both chats' focus with it
        assert await u.drafts.get(me, ANA, PRIVATE) is None
        assert await u.drafts.get(me, ANA, GROUP) is None
        assert await u.drafts.get(me, BEN, GROUP) == DraftFocus(one.id, one.id)
        await u.drafts.clear(me, BEN, GROUP)
        await u.commit()
    async with uow() as u:
        assert await u.drafts.get(me, BEN, GROUP) is None
