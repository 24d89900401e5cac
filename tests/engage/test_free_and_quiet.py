"""The Free tier's Instagram comments (read, reply, hide through the Graph API), a connection
without the comments permission, quiet hours on the fake clock, /engage, and /forget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from adapters.db.engage_tables import CommentRow, EngageSettingsRow
from adapters.instagram.login import SCOPES
from tests.engage.conftest import Bot, connect_instagram, publish_free, publish_pro
from tests.telegram.driver import ANA, User

BOB = User(2222222, "Bob", "bob_posts")


async def test_free_instagram_comment_pushed_replied_and_hidden(free: Bot) -> None:
    await connect_instagram(free)
    media = await publish_free(free)
    nice = free.ig.comments.add(media, "So crusty!", username="bread_fan")
    spam = free.ig.comments.add(media, "cheap followers here", username="spam_bot")
    free.ig.comments.add(media, "our own", username="ana.bakes")  # the account itself

    report = await free.run_pass()
    assert (report.found, report.messages) == (2, 1)
    pushed = free.comment_message()
    assert "@bread_fan · Instagram" in pushed.text and "@spam_bot" in pushed.text
    assert "ana.bakes" not in pushed.text
    [read] = free.ig.calls("GET", f"/{media}/comments")
    assert read["fields"] == "id,text,username,timestamp,like_count,hidden"

    await free.tg.tap("Hide 2", message=pushed)
    assert free.ig.comments.hidden == [spam]
    shown = free.fake.messages[(ANA.id, pushed.message_id)]
    assert "“cheap followers here” — 🙈 hidden" in shown.text
    assert free.toasts()[-1] == "🙈 Hidden."

    await free.tg.tap("Reply 1", message=shown)
    await free.tg.say("Thank you 🍞")
    assert free.ig.comments.replies == [(nice, "Thank you 🍞")]
    assert free.tg.last().text == "↩️ Replied to @bread_fan on Instagram."
    assert "all handled" in free.fake.messages[(ANA.id, pushed.message_id)].text


async def test_free_reply_to_a_deleted_comment_and_hide_of_one(free: Bot) -> None:
    await connect_instagram(free)
    media = await publish_free(free)
    first = free.ig.comments.add(media, "one")
    second = free.ig.comments.add(media, "two")
    await free.run_pass()
    pushed = free.comment_message()
    await free.tg.tap("Reply 1", message=pushed)
    free.ig.comments.delete(first)
    await free.tg.say("Thanks")
    assert "Instagram says that comment no longer exists" in free.tg.last().text
    free.ig.comments.delete(second)
    await free.tg.tap("Hide 2", message=pushed)
    assert "🗑 deleted on the network" in free.fake.messages[(ANA.id, pushed.message_id)].text


async def test_a_connection_without_the_comments_permission_asks_to_reconnect(free: Bot) -> None:
    old = tuple(s for s in SCOPES if s != "instagram_business_manage_comments")
    await connect_instagram(free, scopes=old)
    media = await publish_free(free)
    free.ig.comments.add(media, "unseen")
    report = await free.run_pass()
    assert report.found == 0 and free.ig.calls("GET", f"/{media}/comments") == []
    await free.tg.say("/comments")
    listing = free.tg.last()
    assert "Reconnect Instagram to see comments" in listing.text
    assert listing.labels() == ["🔗 Reconnect Instagram"]
    await free.tg.say("/engage")
    assert free.tg.last().labels() == ["🔗 Reconnect Instagram"]


async def test_a_token_refused_for_comments_is_retried_later_not_pushed(free: Bot) -> None:
    await connect_instagram(free)
    media = await publish_free(free)
    free.ig.comments.add(media, "x")
    free.ig.comments.no_permission = True
    report = await free.run_pass()
    assert (report.failed, report.found) == (1, 0)
    free.ig.comments.no_permission = False
    free.clock.advance(timedelta(minutes=16))
    assert (await free.run_pass()).found == 1


async def test_quiet_hours_hold_pushes_until_eight_then_one_batch(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    pro.clock.set(datetime(2026, 11, 24, 22, 30, tzinfo=UTC))
    pro.ayrshare.add_comment(post_id, "instagram", "late one")
    report = await pro.run_pass()
    assert (report.found, report.held, report.pushed) == (1, 1, 0)
    pro.clock.set(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    pro.ayrshare.add_comment(post_id, "facebook", "night owl")
    assert (await pro.run_pass()).held == 2
    pro.clock.set(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    morning = await pro.run_pass()
    assert (morning.pushed, morning.messages) == (2, 1)
    batch = pro.comment_message().text
    assert "“late one”" in batch and "“night owl”" in batch


async def test_quiet_hours_follow_the_profiles_zone_and_can_be_turned_off(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    await pro.tg.say("/timezone Asia/Tokyo")  # 10:00 UTC is 19:00 in Tokyo
    await pro.tg.say("/engage quiet 18:00-07:00")
    assert "quiet 18:00–07:00 (Asia/Tokyo)" in pro.tg.last().text
    pro.ayrshare.add_comment(post_id, "instagram", "evening")
    assert (await pro.run_pass()).held == 1
    await pro.tg.say("/engage quiet off")
    assert "no quiet hours" in pro.tg.last().text
    assert (await pro.run_pass()).pushed == 1


async def test_engage_off_stops_pushes_and_comments_lists_them(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    await pro.tg.say("/engage off")
    assert "Comment pushes off" in pro.tg.last().text
    pro.ayrshare.add_comment(post_id, "instagram", "while off", username="quiet_fan")
    report = await pro.run_pass()
    assert (report.found, report.pushed) == (1, 0)
    await pro.tg.say("/engage on")
    assert (await pro.run_pass()).pushed == 0  # not pushed later either
    await pro.tg.say("/comments 1")
    listing = pro.tg.last()
    assert listing.text.startswith("💬 1 open comment on post #1")
    assert "@quiet_fan" in listing.text and "“while off”" in listing.text
    await pro.tg.tap("Done 1", message=listing)
    assert "No open comments" in pro.fake.messages[(ANA.id, listing.message_id)].text


async def test_forget_removes_comments_and_settings(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    pro.ayrshare.add_comment(post_id, "instagram", "bye")
    await pro.tg.say("/engage quiet 21:00-07:00")
    await pro.run_pass()
    await pro.tg.say("/forget")
    await pro.tg.tap("Delete", message=pro.tg.last())
    async with pro.services.engine.connect() as db:
        comments = await db.scalar(select(func.count()).select_from(CommentRow))
        settings = await db.scalar(select(func.count()).select_from(EngageSettingsRow))
    assert (comments, settings) == (0, 0)


async def test_comments_held_for_quiet_hours_do_not_hold_back_other_profiles(pro: Bot) -> None:
    from core.engage.sweep import EngageConfig

    assert pro.services.engage is not None
    pro.services.engage.sweep.config = EngageConfig(page=1)  # one comment a page
    post_id = await publish_pro(pro)
    await pro.tg.say("/engage quiet 09:00-11:00")  # 10:00 now: Ana's are held
    for n in range(3):
        pro.ayrshare.add_comment(post_id, "instagram", f"held {n}")
    await pro.run_pass()
    await pro.run_pass()  # the pull read one target a page: both are read by now
    bob_post = await publish_pro(pro, "Bob's", user=BOB)
    pro.ayrshare.add_comment(bob_post, "facebook", "for bob")
    for _ in range(3):
        await pro.run_pass()
    assert "“for bob”" in pro.comment_message(BOB.id).text
