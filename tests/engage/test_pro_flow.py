"""Pro through Telegram against the fake Ayrshare: a comment appears, is pushed once, Reply
sends the next message through Ayrshare's reply endpoint and the pushed message shows it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.model import ChatPlatform, Identity, Route
from tests.engage.conftest import Bot, publish_pro
from tests.telegram.driver import ANA, GROUP

GROUP_ID = int(GROUP["id"])


async def test_comment_pushed_replied_through_ayrshare_and_shown_in_place(pro: Bot) -> None:
    tg, ayr = pro.tg, pro.ayrshare
    post_id = await publish_pro(pro)
    first = ayr.add_comment(post_id, "instagram", "Love it! 😍", username="fan_one")
    ayr.add_comment(post_id, "facebook", "When is it out?", username="Bo Fan")

    report = await pro.run_pass()
    assert (report.found, report.pushed, report.messages) == (2, 2, 1)
    pushed = pro.comment_message()
    assert pushed.text.startswith("💬 2 new comments on post #1 “Launch day!”")
    assert "@fan_one · Instagram · Tue 24 Nov 10:00" in pushed.text
    assert "“Love it! 😍”" in pushed.text and "@Bo Fan · Facebook" in pushed.text
    assert pushed.labels() == [
        "↩️ Reply 1",
        "🙈 Hide 1",
        "✅ Done 1",
        "↩️ Reply 2",
        "🙈 Hide 2",
        "✅ Done 2",
    ]
    assert [r.path for r in ayr.requests_to("GET", f"/comments/{post_id}")] == [
        f"/comments/{post_id}"
    ]  # one request for both networks of the post

    # The next pass (after the cadence) finds the same comments: nothing is pushed again.
    sent = len(pro.fake.calls_to("sendMessage"))
    pro.clock.advance(timedelta(minutes=16))
    again = await pro.run_pass()
    assert (again.checked, again.found, again.pushed) == (2, 0, 0)
    assert len(pro.fake.calls_to("sendMessage")) == sent

    await tg.tap("Reply 1", message=pushed)
    prompt = tg.last()
    assert prompt.text.startswith("✍️ Your reply to @fan_one on Instagram: “Love it! 😍”")
    assert "up to 2,200 characters" in prompt.text
    await tg.say("Thank you so much!")
    assert tg.last().text == "↩️ Replied to @fan_one on Instagram."
    [reply] = ayr.replies
    assert reply["commentId"] == first
    assert (reply["comment"], reply["platforms"]) == ("Thank you so much!", ["instagram"])
    shown = pro.fake.messages[(ANA.id, pushed.message_id)]
    assert "“Love it! 😍” — ↩️ replied" in shown.text
    assert shown.labels() == ["↩️ Reply 2", "🙈 Hide 2", "✅ Done 2"]

    # Our reply, listed by Ayrshare with the others, is never pushed back.
    ayr.replies_listed = True
    ayr.add_comment(post_id, "instagram", "x", username="y")  # (one real new one)
    ayr.replies.clear()
    await tg.tap("Reply 2", message=shown)
    await tg.say("Next week!")
    pro.clock.advance(timedelta(minutes=16))
    later = await pro.run_pass()
    assert later.found == 1  # the stranger's, not our two replies

    assert "all handled" in pro.fake.messages[(ANA.id, pushed.message_id)].text
    third = tg.showing("Done 1")
    assert "“x”" in third.text and third.message_id != pushed.message_id
    await tg.tap("Done 1", message=third)
    done = pro.fake.messages[(ANA.id, third.message_id)]
    assert "“x” — ✅ done" in done.text and done.labels() == []
    assert pro.toasts()[-1] == "✅ Marked done."

    await tg.say("/stats")
    assert "New comments  3 (Instagram 2 · Facebook 1)" in tg.last().text
    assert pro.services.analytics is not None
    await pro.services.analytics.sync.sweep()
    await tg.say("/stats 1")
    assert "Comments in chat  3 (/comments 1)" in tg.last().text
    await tg.say("/comments")
    assert "💬 No open comments on your posts" in tg.last().text


async def test_pro_hide_says_why_and_changes_nothing(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    pro.ayrshare.add_comment(post_id, "facebook", "spam spam", username="spammer")
    await pro.run_pass()
    pushed = pro.comment_message()
    await pro.tg.tap("Hide 1", message=pushed)
    assert "isn't offered through Ayrshare" in pro.toasts()[-1]
    assert pro.fake.messages[(ANA.id, pushed.message_id)].labels()[0] == "↩️ Reply 1"


async def test_flat_comment_list_is_read_too(pro_flat: Bot) -> None:
    post_id = await publish_pro(pro_flat)
    pro_flat.ayrshare.add_comment(post_id, "facebook", "flat one", username="flat")
    report = await pro_flat.run_pass()
    assert (report.found, report.pushed) == (1, 1)
    assert "“flat one”" in pro_flat.comment_message().text


async def _group_post(pro: Bot) -> str:
    await pro.tg.say("/connect")
    (key,) = pro.ayrshare.profiles
    pro.ayrshare.link(key, "facebook", "Ana on facebook")
    await pro.tg.say("/status")
    await pro.tg.say("/post Team launch", chat=GROUP)
    await pro.tg.tap("Publish now", message=pro.tg.last(GROUP_ID))
    assert "1 of 1 published" in pro.tg.last(GROUP_ID).text
    return str(pro.ayrshare.posts_for(key)[-1]["id"])


async def test_in_a_group_the_reply_is_sent_with_slash_reply(pro: Bot) -> None:
    post_id = await _group_post(pro)
    pro.ayrshare.add_comment(post_id, "facebook", "Congrats team", username="Cy")
    await pro.run_pass()
    pushed = pro.comment_message(GROUP_ID)
    assert "“Congrats team”" in pushed.text
    await pro.tg.tap("Reply 1", message=pushed)
    assert "Send it as /reply <your text> (in a group I read commands only)" in (
        pro.tg.last(GROUP_ID).text
    )
    await pro.tg.say("/reply Thanks all!", chat=GROUP)
    assert pro.tg.last(GROUP_ID).text == "↩️ Replied to @Cy on Facebook."
    assert pro.ayrshare.replies[0]["comment"] == "Thanks all!"
    assert "↩️ replied" in pro.fake.messages[(GROUP_ID, pushed.message_id)].text


async def test_a_group_the_bot_left_gets_the_push_in_the_owners_private_chat(pro: Bot) -> None:
    post_id = await _group_post(pro)
    pro.ayrshare.add_comment(post_id, "facebook", "hello?", username="Cy")
    pro.fake.fail_next(
        "sendMessage", code=403, description="Forbidden: bot was kicked from the supergroup chat"
    )
    report = await pro.run_pass()
    assert report.messages == 1
    assert "“hello?”" in pro.comment_message(ANA.id).text


async def test_pulls_count_in_the_profiles_budget_and_a_429_waits_for_the_next_pass(
    pro: Bot,
) -> None:
    post_id = await publish_pro(pro)
    pro.ayrshare.add_comment(post_id, "instagram", "hi")
    profile = await pro.services.accounts.find(Identity(ChatPlatform.TELEGRAM, str(ANA.id)))
    assert profile is not None
    key = (Route.AYRSHARE, profile.id)
    before = pro.services.budget.sent_in_window(key, pro.clock.now())
    pro.ayrshare.fail_next(
        f"/comments/{post_id}",
        method="GET",
        status=429,
        json_body={"status": "error", "message": "Too many requests"},
        headers={"Retry-After": "60"},
    )
    report = await pro.run_pass()
    assert (report.failed, report.found) == (2, 0)
    assert pro.services.budget.sent_in_window(key, pro.clock.now()) == before + 1
    assert (await pro.run_pass()).checked == 0  # not due again before the retry time
    pro.clock.advance(timedelta(minutes=16))
    assert (await pro.run_pass()).found == 1


async def test_two_passes_at_once_push_a_comment_once(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    pro.ayrshare.add_comment(post_id, "instagram", "only once")
    reports = await asyncio.gather(pro.run_pass(), pro.run_pass())
    assert sum(r.found for r in reports) == 1
    assert sum(r.messages for r in reports) == 1
    texts = [m.text for m in pro.fake.chat_messages(ANA.id) if "only once" in m.text]
    assert len(texts) == 1
