"""Bad input on the engage inbox, through Telegram on the real wiring: deleted comments, long
replies, other users' comments, repeated taps, a command instead of the text, expired and
malformed buttons, odd /comments and /engage arguments."""

from __future__ import annotations

from datetime import timedelta

from core.actions import Action
from tests.engage.conftest import Bot, publish_pro
from tests.telegram.driver import ANA, User

BOB = User(2222222, "Bob", "bob_posts")


async def _pushed(pro: Bot, text: str = "Love it!", platform: str = "instagram") -> str:
    post_id = await publish_pro(pro)
    comment = pro.ayrshare.add_comment(post_id, platform, text, username="fan_one")
    await pro.run_pass()
    return comment


async def test_reply_to_a_deleted_comment_keeps_the_text(pro: Bot) -> None:
    comment = await _pushed(pro)
    pushed = pro.comment_message()
    await pro.tg.tap("Reply 1", message=pushed)
    pro.ayrshare.delete_comment(comment)
    await pro.tg.say("Thanks!")
    answer = pro.tg.last().text
    assert "Instagram says that comment no longer exists" in answer
    assert "nothing was sent" in answer and "“Thanks!”" in answer
    assert pro.ayrshare.replies == []
    shown = pro.fake.messages[(ANA.id, pushed.message_id)]
    assert "🗑 deleted on the network" in shown.text and shown.labels() == []


async def test_a_reply_over_the_networks_limit_is_refused_and_can_be_retried(pro: Bot) -> None:
    await _pushed(pro)
    await pro.tg.tap("Reply 1", message=pro.comment_message())
    await pro.tg.say("a" * 2201)
    assert pro.tg.last().text == (
        "Your reply is 2,201 characters; Instagram takes 2,200 at most. Nothing was sent: "
        "send a shorter one."
    )
    assert pro.ayrshare.replies == []
    await pro.tg.say("a" * 2200)  # still waiting for the text: the shorter one goes out
    assert pro.tg.last().text == "↩️ Replied to @fan_one on Instagram."
    assert len(pro.ayrshare.replies) == 1


async def test_ayrshare_down_keeps_the_text_for_a_retry(pro: Bot) -> None:
    comment = await _pushed(pro)
    await pro.tg.tap("Reply 1", message=pro.comment_message())
    pro.ayrshare.fail_next(f"/comments/reply/{comment}", status=503, json_body={})
    await pro.tg.say("Thanks!")
    assert "Your reply was not sent: Ayrshare had a server error" in pro.tg.last().text
    assert "Your text is kept" in pro.tg.last().text
    await pro.tg.say("Thanks!")
    assert pro.tg.last().text == "↩️ Replied to @fan_one on Instagram."


async def test_another_users_comment_cannot_be_acted_on(pro: Bot) -> None:
    await _pushed(pro)
    pushed = pro.comment_message()
    await pro.tg.say("/start", user=BOB)
    # Bob taps Ana's buttons (a forwarded message), then forges his own seal on her comment.
    await pro.tg.tap("Done 1", user=BOB, message=pushed)
    assert pro.toasts()[-1] == "Only the author can do that."
    forged = await pro.sealed(Action.COMMENT_DONE.data(1), user=BOB)
    await pro.tg.tap_data(forged, user=BOB, message=pushed)
    assert pro.toasts()[-1] == "That comment is not one of yours."
    forged = await pro.sealed(Action.COMMENT_REPLY.data(1), user=BOB)
    await pro.tg.tap_data(forged, user=BOB, message=pushed)
    assert pro.toasts()[-1] == "That comment is not one of yours."
    await pro.tg.say("/comments 1", user=BOB)
    assert "There is no post #1 of yours" in pro.tg.last(BOB.id).text
    assert "Reply 1" in pro.fake.messages[(ANA.id, pushed.message_id)].labels()[0]


async def test_repeated_taps_do_it_once(pro: Bot) -> None:
    await _pushed(pro)
    pushed = pro.comment_message()
    await pro.tg.tap("Done 1", message=pushed)
    stale = await pro.sealed(Action.COMMENT_DONE.data(1))
    await pro.tg.tap_data(stale, user=ANA, message=pushed)
    assert pro.toasts()[-1] == "that comment is already marked done."
    reply = await pro.sealed(Action.COMMENT_REPLY.data(1))
    await pro.tg.tap_data(reply, user=ANA, message=pushed)
    assert pro.toasts()[-1] == "that comment is already marked done."


async def test_a_command_instead_of_the_text_cancels_the_reply(pro: Bot) -> None:
    await _pushed(pro)
    await pro.tg.tap("Reply 1", message=pro.comment_message())
    await pro.tg.say("/posts")
    assert "(The reply you were writing was cancelled" in pro.tg.last().text
    await pro.tg.say("this is chatter now")
    assert "Replied" not in pro.tg.last().text  # the usual hint, nothing sent
    assert pro.ayrshare.replies == []
    await pro.tg.say("/reply too late")
    assert pro.tg.last().text.startswith("Tap ↩️ Reply under a comment first")


async def test_a_reply_sent_after_the_wait_is_not_posted(pro: Bot) -> None:
    await _pushed(pro)
    await pro.tg.tap("Reply 1", message=pro.comment_message())
    pro.clock.advance(timedelta(minutes=16))
    await pro.tg.say("Thanks!")
    assert "waited more than 15 minutes, so I did not send it" in pro.tg.last().text
    assert "“Thanks!”" in pro.tg.last().text
    assert pro.ayrshare.replies == []


async def test_malformed_and_expired_buttons(pro: Bot) -> None:
    await _pushed(pro)
    pushed = pro.comment_message()
    for body in ("cr:abc", "cr:", "cd:99999999999999999999", "ch:1:x:y"):
        await pro.tg.tap_data(await pro.sealed(body), user=ANA, message=pushed)
        assert pro.toasts()[-1].startswith("This button is broken"), body
    await pro.tg.tap_data(await pro.sealed("cd:4242"), user=ANA, message=pushed)
    assert pro.toasts()[-1] == "That comment is gone: its post was deleted."
    await pro.tg.tap_data("cd:1", user=ANA, message=pushed)  # no seal: from an old client
    assert pro.toasts()[-1] == "This button is too old to use. Send the command again."


async def test_deleted_and_hidden_posts_get_no_comments(pro: Bot) -> None:
    post_id = await publish_pro(pro)
    await pro.tg.say("/hide 1")
    pro.ayrshare.add_comment(post_id, "instagram", "on a hidden post")
    report = await pro.run_pass()
    assert (report.checked, report.found) == (0, 0)
    await pro.tg.say("/unhide 1")
    await pro.run_pass()
    assert "on a hidden post" in pro.comment_message().text
    await pro.tg.say("/delete 1")
    await pro.tg.tap("Delete", message=pro.tg.last())
    await pro.tg.say("/comments")
    assert "No open comments" in pro.tg.last().text


async def test_comments_and_engage_arguments(pro: Bot) -> None:
    await pro.tg.say("/comments abc")
    assert pro.tg.last().text.startswith("I need a post number here, not 'abc'")
    await pro.tg.say("/comments 99999999999")
    assert pro.tg.last().text.startswith("I need a post number here")
    await pro.tg.say("/comments 7")
    assert pro.tg.last().text == "There is no post #7 of yours; /posts lists them."
    await pro.tg.say("/engage quiet 25:00-08:00")
    assert "can't be a time" in pro.tg.last().text or "can't read" in pro.tg.last().text
    await pro.tg.say("/engage quiet 22:00")
    assert pro.tg.last().text.startswith("I need the quiet hours as")
    await pro.tg.say("/engage quiet 08:00-08:00")
    assert pro.tg.last().text == "Quiet hours need a start and an end that differ."
    await pro.tg.say("/engage loud")
    assert pro.tg.last().text.startswith("I don't know /engage loud")
    await pro.tg.say("/engage " + "x" * 5000)
    assert pro.tg.last().text.startswith("I don't know /engage xxxxxxxxxxxxxxxxxxxx.\n")
