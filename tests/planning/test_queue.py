"""/slots, Add to queue and /queue through Postroom on SQL: the next free slot, moves at the
edges, pause and resume with posts that fell due meanwhile, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.actions import Action
from core.model import Network, Post
from core.replies import Button, Reply, seal
from core.states import PostState, TargetState
from tests.core.harness import Harness, find_button

FB = Network.FACEBOOK
LI = Network.LINKEDIN


async def get(h: Harness, post_id: int) -> Post:
    async with h.uow() as uow:
        post = await uow.posts.get(post_id)
    assert post is not None
    return post


async def queue_one(h: Harness, text: str, user: str = "ana") -> Reply:
    composer = await h.say(f"/post {text}", user)
    return await h.tap(composer, "Add to queue", user)


async def test_slots_add_list_remove_and_bad_input(h: Harness) -> None:
    empty = await h.say("/slots")
    assert empty.text.startswith("No posting slots yet.")
    added = await h.say("/slots add mon 09:00")
    assert added.text.startswith("Added Mon 09:00.\nYour weekly posting slots (UTC):")
    assert "• Mon 09:00 — next Mon 30 Nov 09:00" in added.text
    assert "Next free slot: Mon 30 Nov 2026, 09:00 (UTC)." in added.text
    await h.say("/slots add Wednesday 12:30")
    listed = await h.say("/slots")
    assert listed.text.index("Mon 09:00") < listed.text.index("Wed 12:30")
    assert "Next free slot: Wed 25 Nov 2026, 12:30 (UTC)." in listed.text
    again = await h.say("/slots add mon 9:00")
    assert again.text == "You have Mon 09:00 already."
    for typed, said in (
        ("/slots add mon 25:00", "'25:00' can't be a time: hours go up to 23"),
        ("/slots add mon 09:60", "'09:60' can't be a time: minutes go up to 59"),
        ("/slots add funday 9:00", "I don't know the day 'funday': use mon, tue, wed"),
        ("/slots add mon", "Give a day and a time"),
        ("/slots add mon 9:00 10:00", "Give a day and a time"),
        ("/slots add mon noon", "'noon' can't be a time. Use 24-hour HH:MM"),
        ("/slots remove tue 09:00", "You have no slot Tue 09:00; /slots lists yours."),
        ("/slots frob", "I don't know /slots 'frob'."),
    ):
        assert (await h.say(typed)).text.startswith(said), typed
    removed = await h.say("/slots remove MON 09:00")
    assert removed.text.startswith("Removed Mon 09:00. Posts queued there keep their time.")
    assert "Mon 09:00" not in removed.text.partition("\n")[2]
    daily = await h.say("/slots add daily 18:00")
    assert daily.text.startswith("Added Mon 18:00, Tue 18:00, Wed 18:00, Thu 18:00, Fri 18:00")
    assert (
        await h.say("/slots add daily 18:00")
    ).text == "You have Mon 18:00 already (every day)."
    assert (await h.say("/slots remove daily 18:00")).text.startswith("Removed Mon 18:00, Tue")
    many = await h.say("/slots add daily 07:00")
    assert many.text.startswith("Added")
    for hour in range(8, 14):
        await h.say(f"/slots add daily {hour:02d}:00")
    over = await h.say("/slots add daily 15:00")
    assert over.text.startswith("That would make 57 slots; the most is 50.")


async def test_add_to_queue_takes_the_next_free_slot(h: Harness) -> None:
    await h.connect(FB)
    no_slots = await queue_one(h, "Before any slot")
    assert no_slots.text.startswith("No posting slots yet, so there is no queue to add to.")
    assert (await get(h, 1)).state is PostState.DRAFT
    await h.say("/slots add mon 09:00")
    await h.say("/slots add wed 12:00")
    composer = await h.say("/post A")
    a = await h.tap(composer, "Add to queue")
    assert a.edit and a.text.startswith("🗓 Added to the queue: slot Wed 12:00.")
    assert "Scheduled for Wed 25 Nov 2026, 12:00 (UTC)" in a.text
    b = await queue_one(h, "B")
    assert "Mon 30 Nov 2026, 09:00 (UTC)" in b.text
    # A post scheduled by hand sits in a slot too: the queue goes past it.
    await h.say("/post C")
    await h.say("/schedule 2026-12-02 12:00")
    d = await queue_one(h, "D")
    assert "Mon 7 Dec 2026, 09:00 (UTC)" in d.text
    # The same composer's button tapped again: the post is no longer a draft.
    repeat = await h.tap(composer, "Add to queue")
    assert repeat.toast == "Post #2 is not a draft any more. /queue shows the queue."
    # A cancelled post frees its slot and leaves the queue.
    await h.say("/cancel 3")
    e = await queue_one(h, "E")
    assert "Mon 30 Nov 2026, 09:00 (UTC)" in e.text
    shown = await h.say("/queue")
    order = [
        line.split(" · #")[1].split()[0] for line in shown.text.splitlines() if " · #" in line
    ]
    assert order == ["2", "6", "5"]  # #4 (C) was scheduled by hand, not queued
    assert (await get(h, 2)).scheduled_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    h.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 2)).state is PostState.PUBLISHED
    after = await h.say("/queue")
    assert " · #2 " not in after.text and after.text.count(" · #") == 2


async def test_add_to_queue_refusals(h: Harness) -> None:
    await h.say("/slots add mon 09:00")
    composer = await h.say("/post Nowhere to go")
    untick = await h.tap(composer, "Add to queue")
    assert untick.toast == "Tick at least one network first."
    assert (await get(h, 1)).state is PostState.DRAFT
    await h.connect(FB)
    bob = await h.say("/post Bob's", user="bob")
    stolen = await h.tap(bob, "Add to queue", user="ana")
    assert stolen.toast == "Only the author can do that."
    ana = await h.accounts.profile_for(h.actor("ana").identity)
    for arg in ("2", "x", "0", "99999999999"):
        forged = seal(
            Reply("", buttons=((Button("x", Action.QUEUE_ADD, arg),),)), ana.id, h.clock.now()
        ).buttons[0][0]
        answer = await h.app.handle_tap(h.actor("ana"), forged.callback_data, None)
        assert answer.toast, arg
    assert (await get(h, 2)).state is PostState.DRAFT  # Bob's draft untouched


async def test_queue_moves_up_and_down_and_stops_at_the_edges(h: Harness) -> None:
    await h.connect(FB)
    await h.say("/slots add mon 09:00")
    await h.say("/slots add wed 12:00")
    for text in ("A", "B", "C"):
        await queue_one(h, text)  # #1 Wed 25, #2 Mon 30, #3 Wed 2
    shown = await h.say("/queue")
    assert shown.text.startswith("🗓 Your queue (UTC) — running.")
    first = await h.tap(shown, "⬆ #1")
    assert first.toast == "Post #1 is already first in the queue."
    last = await h.say("/queue down 3")
    assert last.text == "Post #3 is already last in the queue."
    moved = await h.tap(shown, "⬇ #1")
    assert moved.edit and moved.toast == "Moved"
    assert (await get(h, 1)).scheduled_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert (await get(h, 2)).scheduled_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert {t.due_at for t in (await get(h, 1)).targets.values()} == {
        datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    }
    typed = await h.say("/queue up 3")
    lines = [line for line in typed.text.splitlines() if " · #" in line]
    assert [line.split(" · #")[1][0] for line in lines] == ["2", "3", "1"]
    assert (await get(h, 3)).scheduled_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for typed_text, said in (
        ("/queue up 99", "Post #99 is not in your queue here; /queue lists it."),
        ("/queue up abc", "I need a post number here, not 'abc'"),
        ("/queue up", "Which post? e.g. "),
        ("/queue sideways 1", "I don't know /queue 'sideways'."),
    ):
        assert (await h.say(typed_text)).text.startswith(said), typed_text
    # Bob cannot move Ana's posts, with her buttons or his own command.
    assert (await h.tap(shown, "⬇ #2", user="bob")).toast == "Only the author can do that."
    assert (await h.say("/queue up 3", user="bob")).text.startswith("Post #3 is not in your")
    # Published meanwhile: a stale button says the queue changed, nothing moves.
    h.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    stale = await h.tap(shown, "⬇ #2")
    assert stale.toast == "Post #2 is not in your queue here; /queue lists it."


async def test_pause_holds_the_queue_and_resume_asks_about_what_fell_due(h: Harness) -> None:
    await h.connect(FB, LI)
    await h.say("/slots add mon 09:00")
    await h.say("/slots add wed 12:00")
    await queue_one(h, "Early")  # #1 Wed 25 Nov 12:00
    await queue_one(h, "Later")  # #2 Mon 30 Nov 09:00
    await h.say("/post By hand")
    await h.say("/schedule 2026-11-25 15:00")  # #3: not queued, not held
    shown = await h.say("/queue")
    paused = await h.tap(shown, "Pause queue")
    assert paused.text.startswith("⏸ Queue paused. Held (not sent, keeping their slots): #1, #2.")
    assert "— ⏸ paused" in paused.text
    find_button(paused, "Resume queue")
    again = await h.say("/queue pause")
    assert again.text == "Your queue is already paused. /queue resume sends it on again."
    for post_id in (1, 2):
        post = await get(h, post_id)
        assert post.state is PostState.DRAFT and post.scheduled_at is None
        assert {t.held_due for t in post.targets.values()} != {None}
    # Added while paused: it takes the next free slot and waits with the others.
    held_new = await queue_one(h, "While paused")
    assert held_new.text.startswith("🗓 Queued for Wed 2 Dec 2026, 12:00 (UTC) (slot Wed 12:00).")
    assert (await get(h, 4)).state is PostState.DRAFT
    # Its slot time passes: nothing is sent; the post scheduled by hand goes out.
    h.clock.set(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 1)).state is PostState.DRAFT
    h.clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 3)).state is PostState.PUBLISHED
    h.clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    listing = await h.say("/queue")
    assert "Wed 25 Nov 12:00 (held) · #1" in listing.text

    before = len(h.messenger.sent)
    resumed = await h.say("/queue resume")
    assert resumed.text == (
        "▶️ Queue resumed.\nScheduled again: #2, #4.\nDue while it was paused, so not sent "
        "(each waits for you: publish it now or delete it): #1."
    )
    notices = [r for _, r, _ in h.messenger.sent[before:] if r.text.startswith("⏰")]
    assert len(notices) == 1
    assert notices[0].text.startswith(
        "⏰ Post #1 was due Wed 25 Nov 2026, 12:00 (UTC), while your queue was paused"
    )
    assert (await h.say("/queue resume")).text == (
        "Your queue is not paused. /queue pause holds it."
    )
    late = await get(h, 1)
    assert late.state is PostState.DRAFT and all(t.held_due is None for t in late.targets.values())
    later = await get(h, 2)
    assert later.state is PostState.SCHEDULED
    assert later.scheduled_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert " · #1 " not in (await h.say("/queue")).text  # out of the queue, waiting for Ana
    # Publish now from the notice sends it; the rest go at their slots.
    published = await h.tap(notices[0], "Publish now")
    assert published.toast == "Publishing…"
    await h.pipeline.run_until_idle()
    assert (await get(h, 1)).state is PostState.PUBLISHED
    h.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    await h.pipeline.run_until_idle()
    assert (await get(h, 2)).state is PostState.PUBLISHED
    assert {t.state for t in (await get(h, 4)).targets.values()} == {TargetState.SCHEDULED}


async def test_moves_while_paused_swap_the_held_slots(h: Harness) -> None:
    await h.connect(FB)
    await h.say("/slots add mon 09:00")
    await queue_one(h, "One")  # Mon 30 Nov
    await queue_one(h, "Two")  # Mon 7 Dec
    await h.say("/queue pause")
    await h.say("/queue down 1")
    one, two = await get(h, 1), await get(h, 2)
    assert {t.held_due for t in one.targets.values()} == {datetime(2026, 12, 7, 9, tzinfo=UTC)}
    assert {t.held_due for t in two.targets.values()} == {datetime(2026, 11, 30, 9, tzinfo=UTC)}
    await h.say("/queue resume")
    assert (await get(h, 2)).scheduled_at == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert (await get(h, 1)).scheduled_at == datetime(2026, 12, 7, 9, tzinfo=UTC)


async def test_a_group_sees_only_its_own_queued_posts(h: Harness) -> None:
    from core.handlers import Actor
    from core.model import ChatKind, ChatPlatform, ChatRef

    await h.connect(FB)
    await h.say("/slots add mon 09:00")
    await queue_one(h, "Private one")
    group = Actor(h.actor().identity, ChatRef(ChatPlatform.CONSOLE, "team", kind=ChatKind.SHARED))
    shown = await h.app.handle_text(group, "/queue")
    assert shown is not None and "Nothing is queued." in shown.text
    assert "Private one" not in shown.text
    moved = await h.app.handle_text(group, "/queue down 1")
    assert moved is not None and moved.text.startswith("Post #1 is not in your queue here")


async def test_forget_deletes_templates_slots_and_the_queue(h: Harness) -> None:
    await h.connect(FB)
    await h.say("/slots add mon 09:00")
    await queue_one(h, "Queued {date}")
    await h.say("/post Template {date}")
    await h.say("/templates save t")
    await h.say("/queue pause")
    await h.say("/slots add mon 09:00", user="bob")
    question = await h.say("/forget")
    await h.tap(question, "Yes, delete everything")
    ana = await h.accounts.profile_for(h.actor().identity)
    bob = await h.accounts.profile_for(h.actor("bob").identity)
    async with h.uow() as uow:
        assert await uow.planning.templates(1) == []
        assert await uow.planning.slots(1) == []
        assert await uow.planning.queued(1) == []
        assert not await uow.planning.paused(1)
        assert await uow.planning.slots(bob.id) != []  # Bob's stay
    assert ana.id != 1  # a fresh profile
    assert (await h.say("/slots")).text.startswith("No posting slots yet.")
    assert (await h.say("/templates")).text.startswith("No templates yet.")


async def test_two_adds_at_once_never_share_a_slot(h: Harness) -> None:
    import asyncio

    await h.connect(FB)
    await h.say("/slots add mon 09:00")
    one = await h.say("/post One")
    two = await h.say("/post Two")
    answers = await asyncio.gather(h.tap(one, "Add to queue"), h.tap(two, "Add to queue"))
    # The slower one finds the slot taken under the lock and takes the next one.
    assert [a.toast for a in answers] == ["Queued", "Queued"]
    times = {(await get(h, n)).scheduled_at for n in (1, 2)}
    assert times == {
        datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
    }


async def test_slots_and_the_queue_are_refused_in_a_channel(h: Harness) -> None:
    from core.handlers import Actor
    from core.model import ChatKind, ChatPlatform, ChatRef

    channel = Actor(
        h.actor().identity, ChatRef(ChatPlatform.CONSOLE, "news", kind=ChatKind.CHANNEL)
    )
    for typed in ("/slots add mon 09:00", "/templates", "/queue pause"):
        answer = await h.app.handle_text(channel, typed)
        assert answer is not None and answer.text.startswith("Not in a channel:"), typed
    assert (await h.say("/slots")).text.startswith("No posting slots yet.")


async def test_a_renewal_leaves_a_paused_queue_held(uow_factory: object) -> None:
    from typing import cast

    from core.model import Tier
    from core.ports import UnitOfWorkFactory

    h = Harness(tier=Tier.FREE, uow=cast(UnitOfWorkFactory, uow_factory))
    await h.say("/start")
    me = (await h.accounts.profile_for(h.actor().identity)).id
    billing = h.services.billing
    assert billing is not None and h.services.billing_pass is not None
    await billing.grant(me, Tier.PRO, days=3, reason="test")
    await h.connect(LI)
    await h.say("/slots add mon 09:00")
    await queue_one(h, "Pro only")  # LinkedIn, Mon 30 Nov 09:00
    await h.say("/queue pause")
    h.clock.advance(timedelta(days=4))  # the grant ended: nothing scheduled to hold
    await h.services.billing_pass.run()
    await billing.grant(me, Tier.PRO, days=30, reason="test")  # a renewal releases held posts
    post = await get(h, 1)
    assert post.state is PostState.DRAFT  # but not the paused queue's
    assert {t.held_due for t in post.targets.values()} == {datetime(2026, 11, 30, 9, tzinfo=UTC)}
    resumed = await h.say("/queue resume")
    assert resumed.text == "▶️ Queue resumed.\nScheduled again: #1."
    assert (await get(h, 1)).state is PostState.SCHEDULED
