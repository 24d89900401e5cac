"""The Telegram front end over core, memory storage and sandbox networks: what users see."""

from __future__ import annotations

import contextlib
from datetime import timedelta

from telegram import Update

from adapters.sandbox import FailMode, SandboxPublisher
from adapters.telegram.application import build_application
from adapters.telegram.chat import TelegramChat
from adapters.telegram.limiter import TelegramRateLimiter
from adapters.telegram.messenger import TelegramMessenger
from bot.media import SandboxMediaHost
from core.actions import Action
from core.chat.seen_updates import SeenUpdates
from core.model import ChatPlatform, ChatRef, Network, Route, Tier
from core.states import PostState
from tests.fakes.telegram_api import BOT_USERNAME, TOKEN
from tests.telegram.conftest import MakeWorld, World
from tests.telegram.driver import ANA, BEN, GROUP, TelegramDriver

TT = Network.TIKTOK


async def _connect(tg: TelegramDriver, *labels: str) -> None:
    await tg.say("/connect")
    for label in labels:
        await tg.tap(label)


async def test_setup_registers_the_menu_and_descriptions(world: World) -> None:
    fake = world.fake
    assert world.postroom.bot_username == BOT_USERNAME
    assert [c["command"] for c in fake.commands] == [
        "post",
        "posts",
        "schedule",
        "connect",
        "status",
        "timezone",
        "tier",
        # Plugged in by analytics (bot.analytics), then help last.
        "stats",
        "report",
        "track",
        "campaign",
        "hide",
        "unhide",
        "digest",
        # Then by import and export (bot.wiring.add_transfer).
        "import",
        "export",
        # Plugged in by planning (bot.planning).
        "templates",
        "slots",
        "queue",
        # Plugged in by engage (bot.engage).
        "comments",
        "engage",
        "reply",
        "help",
    ]
    assert len(fake.calls_to("setMyDescription")) == 1
    assert len(fake.calls_to("setMyShortDescription")) == 1


async def test_start_greets_in_three_lines_with_next_steps(world: World) -> None:
    await world.tg.say("/start")
    greeting = world.tg.last()
    assert greeting.text.count("\n") == 2 and "You're on Pro (sandbox)." in greeting.text
    assert greeting.labels() == ["🔗 Connect networks", "✍️ New post", "❓ Help"]
    call = world.fake.calls_to("sendMessage")[-1]
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_deep_links_complete_flows_and_unknown_payloads_fall_back(world: World) -> None:
    tg = world.tg
    await tg.say("/start connect")
    assert tg.last().text.startswith("Connect your accounts")
    await tg.say("/start connected")
    assert tg.last().text.startswith("Your Postroom status")
    await tg.say("/start bogus_payload-123")
    assert "That link has expired or is not for this bot" in tg.last().text


async def test_sandbox_connect_ticks_networks_in_the_same_message(world: World) -> None:
    tg = world.tg
    await tg.say("/connect")
    view = tg.last()
    await tg.tap("TikTok", message=view)
    await tg.tap("Facebook", message=view)
    assert "Connected: Facebook, TikTok ✅" in view.text
    assert "✅ TikTok" in view.labels() and view.edits == 2
    toasts = [c.params.get("text") for c in world.fake.calls_to("answerCallbackQuery")]
    assert toasts == ["TikTok connected ✅", "Facebook connected ✅"]


async def test_photo_with_caption_becomes_a_draft_without_downloading_in_the_sandbox(
    world: World,
) -> None:
    tg = world.tg
    await _connect(tg, "Instagram", "TikTok")
    await tg.send_photo("Launch day! Our new app is live 🚀")
    composer = tg.last()
    assert composer.text.startswith("✍️ New post — 33 characters, 1 media")
    assert [label for label in composer.labels() if "☑" in label] == ["☑ Instagram", "☑ TikTok"]
    assert world.fake.calls_to("getFile") == []  # the sandbox needs no bytes
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None
    assert post.media == ("https://sandbox.postroom.invalid/media/AQADlarge.jpg",)
    assert post.origin == ChatRef(ChatPlatform.TELEGRAM, str(ANA.id))


async def test_publish_fail_retry_edits_one_message(make_world: MakeWorld) -> None:
    world = await make_world(fail={TT: FailMode.ONCE})
    tg, fake = world.tg, world.fake
    await _connect(tg, "Instagram", "Facebook", "TikTok")
    await tg.send_photo("Launch day!")
    composer = tg.last()
    sent = len(fake.calls_to("sendMessage"))
    await tg.tap("Publish now", message=composer)
    assert "2 of 3 published" in composer.text
    assert "TikTok  ❌ TikTok rejected the post: video too short" in composer.text
    await tg.tap("Retry TikTok", message=composer)
    assert "3 of 3 published" in composer.text and composer.labels() == []
    edits = {c.params["message_id"] for c in fake.calls_to("editMessageText")}
    assert composer.message_id in edits
    notices = [c.params["text"] for c in fake.calls_to("sendMessage")[sent:]]
    assert all(n.startswith("❌ Post #1 was not published to TikTok") for n in notices)
    assert len(notices) <= 1
    sandbox = world.publishers[Route.AYRSHARE]
    assert isinstance(sandbox, SandboxPublisher)
    assert sorted(p.network for p in sandbox.posts()) == sorted(
        [Network.INSTAGRAM, Network.FACEBOOK, TT]
    )


async def test_locked_networks_explain_themselves(make_world: MakeWorld) -> None:
    world = await make_world(tier=Tier.FREE)
    tg = world.tg
    await tg.say("/connect")
    view = tg.last()
    assert "🔒 LinkedIn" in view.labels()
    await tg.tap("LinkedIn", message=view)
    answer = world.fake.calls_to("answerCallbackQuery")[-1].params
    assert answer["text"].startswith("🔒 LinkedIn is a Pro network")
    assert answer["show_alert"] is True  # long enough to need reading
    assert view.edits == 0


async def test_schedule_quick_pick_and_typed_time(world: World) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    await tg.say("/timezone Europe/Berlin")
    await tg.say("/post Teaser for tomorrow")
    composer = tg.last()
    await tg.tap("Schedule", message=composer)
    assert "Times are in Europe/Berlin" in composer.text
    await tg.tap("Tomorrow 09:00", message=composer)
    assert composer.text.startswith("🕒 Scheduled for")
    assert "(Europe/Berlin)" in composer.text or "09:00" in composer.text
    await tg.say("/post Another one")
    await tg.say("/schedule in 2h")
    assert tg.last().text.startswith("🕒 Scheduled for")


async def test_posts_pages_open_and_delete_with_confirmation(world: World) -> None:
    tg = world.tg
    await _connect(tg, "Facebook")
    for n in range(6):
        await tg.say(f"/post Post number {n}")
    await tg.say("/posts")
    listing = tg.last()
    assert listing.text.startswith("Your posts (6) — page 1 of 2")
    await tg.tap("Next", message=listing)
    assert listing.text.startswith("Your posts (6) — page 2 of 2")
    await tg.tap("Open #1", message=listing)
    assert listing.text.startswith("Post #1 — draft")
    await tg.tap("Delete", message=listing)
    assert listing.text.startswith("Delete post #1")
    await tg.tap("Yes, delete", message=listing)
    assert listing.text == "Post #1 deleted."
    async with world.uow() as uow:
        assert await uow.posts.get(1) is None


# --- bad input, through Telegram ----------------------------------------------------------


async def test_malformed_callback_data_is_refused_with_a_toast(world: World) -> None:
    tg, fake = world.tg, world.fake
    await tg.say("/start")
    greeting = tg.last()
    for data, expected in [
        (await world.sealed(f"{Action.PUBLISH}:abc"), "I need a post number here, not 'abc'"),
        ("zz:1", "This button is no longer supported"),
        (None, "This button is broken"),
        (
            await world.sealed(f"{Action.PUBLISH}:" + "9" * 40),
            "There is no post 99999999999999999999",
        ),
        (await world.sealed(f"{Action.PUBLISH}:²"), "There is no post ²"),
        (f"{Action.PUBLISH}:" + "9" * 61, "This button is broken"),  # over 64 bytes
        (await world.sealed(f"{Action.TOGGLE}:1:myspace"), "I don't know the network 'myspace'"),
        (f"{Action.PUBLISH}:1", "This button is too old to use"),  # no seal
        (f"{Action.PUBLISH}:1~1.zz~", "This button is too old to use"),
        (f"{Action.PUBLISH}:1~٣.1", "This button is too old to use"),
    ]:
        await tg.tap_data(data, user=ANA, message=greeting)
        toast = fake.calls_to("answerCallbackQuery")[-1].params["text"]
        assert toast.startswith(expected), (data, toast)
    assert greeting.edits == 0
    assert len(fake.calls_to("sendMessage")) == 1


async def test_oversized_post_text_is_checked_against_each_network(world: World) -> None:
    tg = world.tg
    await _connect(tg, "Facebook", "X")
    await tg.say("/post " + "word " * 819)  # 4,095 characters, Telegram's most
    composer = tg.last()
    assert "⚠️ X allows 280 characters; this post has 4,094." in composer.text
    await tg.tap("Publish now", message=composer)
    toast = world.fake.calls_to("answerCallbackQuery")[-1].params["text"]
    assert toast.startswith("X allows 280 characters")
    assert composer.text.startswith("✍️ New post")  # nothing was published


async def test_stale_buttons_answer_clearly(world: World) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.say("/post First")
    first = tg.last()
    await tg.tap("Discard", message=first)
    assert first.text == "Draft discarded."
    # The discarded composer's buttons, as an old copy of the message still shows them.
    await tg.say("/post Second")
    second = tg.last()
    await tg.tap_data(await world.sealed(f"{Action.PUBLISH}:1"), user=ANA, message=second)
    assert (
        fake.calls_to("answerCallbackQuery")[-1].params["text"]
        == "There is no post #1 (it may have been deleted)."
    )
    await tg.tap("Publish now", message=second)
    assert "1 of 1 published" in second.text
    await tg.tap_data(await world.sealed(f"{Action.TOGGLE}:2:facebook"), user=ANA, message=second)
    assert "already" in fake.calls_to("answerCallbackQuery")[-1].params["text"]
    await tg.tap_data(await world.sealed(f"{Action.DISCARD}:2"), user=ANA, message=second)
    assert "was already published" in fake.calls_to("answerCallbackQuery")[-1].params["text"]
    assert "1 of 1 published" in second.text


async def test_repeated_taps_publish_once_and_unchanged_edits_are_fine(world: World) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.say("/post Once only")
    composer = tg.last()
    button = next(b for b in composer.buttons() if "Publish" in b["text"])
    await tg.tap_data(button["callback_data"], user=ANA, message=composer)
    await tg.tap_data(button["callback_data"], user=ANA, message=composer)
    assert "already" in fake.calls_to("answerCallbackQuery")[-1].params["text"]
    not_modified = [c for c in fake.calls if c.error and "not modified" in c.error]
    assert not_modified == []  # the second tap is answered, its message left as it is
    sandbox = world.publishers[Route.AYRSHARE]
    assert isinstance(sandbox, SandboxPublisher)
    assert len(sandbox.posts()) == 1


async def test_unknown_commands_other_bots_and_chatter(world: World) -> None:
    tg, fake = world.tg, world.fake
    await tg.say("/frobnicate now")
    assert tg.last().text == "I don't know /frobnicate. Send /help to see what I can do."
    await tg.say("hello there")
    assert tg.last().text.startswith("To compose a post, send /post")
    sent = len(fake.calls_to("sendMessage"))
    await tg.say("/post@OtherBot not for us", chat=GROUP)
    await tg.deliver(tg.message_update("group_message", user=BEN, chat=GROUP))
    await tg.say("just chatting", chat=GROUP)
    assert len(fake.calls_to("sendMessage")) == sent


async def test_files_over_20_mb_are_refused_before_downloading(world: World) -> None:
    tg = world.tg
    await tg.deliver(tg.message_update("video_too_big"))
    refusal = tg.last().text
    assert refusal.startswith("That video is 26.2 MB; Telegram lets bots fetch files up to 20 MB")
    assert "media: https://" in refusal
    assert world.fake.calls_to("getFile") == []
    async with world.uow() as uow:
        assert await uow.posts.get(1) is None


async def test_other_files_are_refused_naming_what_works(world: World) -> None:
    tg = world.tg
    await tg.deliver(tg.message_update("document"))
    assert tg.last().text.startswith("press-kit.pdf is a application/pdf; I can publish photos")


async def test_edited_messages_are_not_replayed(world: World) -> None:
    tg = world.tg
    update = tg.message_update("start")
    update["edited_message"] = update.pop("message")
    await tg.deliver(update)
    assert world.fake.calls_to("sendMessage") == []


async def test_an_update_delivered_twice_is_handled_once(world: World) -> None:
    tg = world.tg
    update = tg.message_update("start")
    await tg.deliver(update)
    await tg.deliver(update)
    assert len(world.fake.calls_to("sendMessage")) == 1


async def test_an_update_redelivered_to_another_process_is_answered_once(world: World) -> None:
    """Two processes behind one webhook on one database: Telegram re-sends an update it got
    no answer for in time, and the other process gets it."""
    other = build_application(
        TOKEN,
        transport=world.fake.transport(),
        rate_limiter=TelegramRateLimiter(clock=world.time.clock, sleep=world.time.sleep),
    )
    chat = TelegramChat(
        world.postroom,
        TelegramMessenger(other.bot),
        media=SandboxMediaHost(),
        seen=SeenUpdates(world.uow, world.clock),
    )
    chat.install(other)
    await other.initialize()
    try:
        update = world.tg.message_update("start")
        await world.tg.deliver(update)
        await other.process_update(Update.de_json(update, other.bot))
        assert len(world.fake.calls_to("sendMessage")) == 1
        # A new update is answered by whichever process gets it.
        await other.process_update(Update.de_json(world.tg.message_update("start"), other.bot))
        assert len(world.fake.calls_to("sendMessage")) == 2
    finally:
        await other.shutdown()


async def test_updates_seen_are_forgotten_after_a_day(world: World) -> None:
    seen = SeenUpdates(world.uow, world.clock)
    assert await seen.first_time("telegram:1", 5)
    assert not await seen.first_time("telegram:1", 5)
    assert await seen.first_time("telegram:2", 5)  # per bot
    world.clock.advance(timedelta(hours=24, seconds=1))
    assert await seen.prune() == 2
    assert await seen.first_time("telegram:1", 5)


async def test_a_deleted_message_is_answered_anew_when_tapped(world: World) -> None:
    tg, fake = world.tg, world.fake
    await tg.say("/connect")
    view = tg.last()
    del fake.messages[(ANA.id, view.message_id)]  # the user deleted it
    await tg.tap("TikTok", message=view)
    assert "Connected: TikTok ✅" in tg.last().text
    assert tg.last().message_id != view.message_id


# --- groups and channels --------------------------------------------------------------------


async def test_group_posts_belong_to_their_author(world: World) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.deliver(tg.message_update("command_botname", user=ANA, chat=GROUP))
    composer = tg.last(GROUP["id"])
    assert composer.text.startswith("✍️ New post")
    call = fake.calls_to("sendMessage")[-1]
    assert call.params["reply_parameters"]["message_id"] > 0  # quotes Ana's command
    before = composer.text
    await tg.tap("Publish now", user=BEN, message=composer)
    answer = fake.calls_to("answerCallbackQuery")[-1].params
    assert answer["text"] == "Only the author can do that."
    assert composer.text == before and composer.edits == 0
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.state is PostState.DRAFT
    await tg.tap("Publish now", user=ANA, message=composer)
    assert "1 of 1 published" in composer.text


async def test_connect_in_a_group_points_to_a_private_chat(world: World) -> None:
    tg = world.tg
    await tg.say(f"/connect@{BOT_USERNAME}", chat=GROUP)
    answer = tg.last(GROUP["id"])
    assert answer.text.startswith("Connect your networks in a private chat")
    (button,) = answer.buttons()
    assert button["url"] == f"https://t.me/{BOT_USERNAME}?start=connect"
    await tg.say("/start", chat=GROUP)
    await tg.tap("Connect networks", chat_id=GROUP["id"])
    assert tg.last(GROUP["id"]).text.startswith("Connect your networks in a private chat")


async def test_anonymous_admins_are_told_how_to_be_recognised(world: World) -> None:
    tg = world.tg
    await tg.deliver(tg.message_update("anonymous_admin", chat=GROUP))
    assert "Remain anonymous" in tg.last(GROUP["id"]).text


async def test_channel_posts_belong_to_the_channel_and_its_admins(world: World) -> None:
    tg, fake = world.tg, world.fake
    channel = {"id": -1005555555555, "type": "channel", "title": "Postroom News"}
    fake.add_chat(channel)
    await tg.deliver(tg.message_update("channel_post", chat=channel))
    composer = tg.last(channel["id"])
    assert composer.text.startswith("✍️ New post")
    await tg.tap("Discard", user=BEN, message=composer)
    assert fake.calls_to("answerCallbackQuery")[-1].params["text"] == (
        "Only the author can do that."
    )
    fake.admins.add((channel["id"], BEN.id))
    await tg.tap("Discard", user=BEN, message=composer)
    assert composer.text == "Draft discarded."


async def test_group_migration_moves_posts_and_progress(world: World) -> None:
    tg, fake = world.tg, world.fake
    old = {"id": -4098765432, "type": "group", "title": "Launch team"}
    new_id = -1009876543210
    await _connect(tg, "Facebook")
    await tg.say(f"/post@{BOT_USERNAME} Published before the upgrade", chat=old)
    await tg.tap("Publish now", chat_id=old["id"])
    await tg.say(f"/post@{BOT_USERNAME} Due after the upgrade", chat=old)
    await tg.say(f"/schedule@{BOT_USERNAME} in 1h", chat=old)
    await tg.deliver(tg.message_update("migrate_to_chat_id", chat=old))
    async with world.uow() as uow:
        published, scheduled = await uow.posts.get(1), await uow.posts.get(2)
    assert published is not None and scheduled is not None
    assert published.origin.chat == scheduled.origin.chat == str(new_id)
    assert published.progress is not None and published.progress.chat.chat == str(new_id)
    calls_before = len(fake.calls)
    world.clock.advance(timedelta(hours=1, minutes=1))
    await world.pipeline.run_until_idle()
    later = fake.calls[calls_before:]
    assert later and {int(c.params["chat_id"]) for c in later} == {new_id}
    assert "1 of 1 published" in tg.last(new_id).text


async def test_sending_into_a_migrated_group_follows_it(world: World) -> None:
    tg, fake = world.tg, world.fake
    old = {"id": -4098765432, "type": "group", "title": "Launch team"}
    new = {"id": -1009876543210, "type": "supergroup", "title": "Launch team"}
    await _connect(tg, "Facebook")
    await tg.say(f"/post@{BOT_USERNAME} Moving", chat=old)
    await tg.say(f"/schedule@{BOT_USERNAME} in 1h", chat=old)
    fake.migrate(old["id"], new["id"])  # we missed the service message
    world.clock.advance(timedelta(hours=1, minutes=1))
    await world.pipeline.run_until_idle()
    progress = tg.last(new["id"])
    assert "1 of 1 published" in progress.text
    async with world.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.origin.chat == str(new["id"])


async def test_typed_bad_input_gets_clear_answers_and_changes_nothing(world: World) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.say("/post Keep me")
    cases = {
        "/post": "Empty post",
        "/post Hi media: ftp://files.example/a.jpg": "Media must be a web address",
        "/schedule": "When?",
        "/schedule yesterday at noon": "",
        "/schedule 2026-13-45 99:99": "",
        "/timezone Mars/Olympus_Mons": "",
        "/cancel abc": "I need a post number here, not 'abc'",
        "/cancel 999": "There is no post #999 (it may have been deleted).",
        "/delete 99999999999999999999": "There is no post 99999999999999999999",
        "/cancel ²": "There is no post ²; /posts lists yours.",
        "/cancel ١": "There is no post ١; /posts lists yours.",
        "/delete ①": "There is no post ①; /posts lists yours.",
        "/retry ³": "There is no post ³; /posts lists yours.",
        "/posts ²": "I need a page number here",
        "/schedule in ²h": "I can't read",
        "/retry 1 myspace": "I don't know the network 'myspace'.",
        "/retry 1": "Post #1 has no failed networks to retry.",
        "/posts x": "I need a page number here",
    }
    for typed, expected in cases.items():
        await tg.say(typed)
        answer = tg.last().text
        assert answer and answer.startswith(expected), (typed, answer)
    assert not [c for c in fake.calls if c.error]
    async with world.uow() as uow:
        post = await uow.posts.get(1)
        profile = await uow.profiles.get(1)
        assert await uow.posts.get(2) is None
    assert post is not None and post.state is PostState.DRAFT and post.text == "Keep me"
    assert profile is not None and profile.timezone == "UTC"


async def test_a_late_tap_answer_still_shows_what_was_done(world: World) -> None:
    tg, fake = world.tg, world.fake
    await _connect(tg, "Facebook")
    await tg.say("/post Hello")
    composer = tg.last(ANA.id)
    fake.fail_next(
        "answerCallbackQuery",
        description="Bad Request: query is too old and response timeout expired "
        "or query ID is invalid",
    )
    with contextlib.suppress(AssertionError):  # the driver notes the failed answer
        await tg.tap("Discard", message=composer)
    async with world.uow() as uow:
        assert await uow.posts.get(1) is None
    assert composer.text.startswith("Draft discarded.")  # not a live composer any more
