"""Per-network versions end to end: the composer, the requests to the fake Ayrshare API (one
per distinct text, each with its own idempotency key), retries, restarts and bad input."""

from __future__ import annotations

from datetime import timedelta

from core.model import MessageRef, Network
from core.publishing.keys import idempotency_key
from core.replies import mark
from tests.e2e.conftest import BuildServices
from tests.e2e.drafts_support import LONG, Chat, actor, labels, pro_chat
from tests.fakes.clock import FixedClock

FB, LI, X = Network.FACEBOOK, Network.LINKEDIN, Network.X
SHORT = "Launch day! Our app is live 🚀"


async def compose_long(chat: Chat) -> tuple[MessageRef, str]:
    """/post a text too long for X; returns the composer's message and the text."""
    composer = await chat.said(f"/post {LONG}")
    assert "X allows 280 characters" in composer.text
    return await chat.show(composer), LONG.strip()


async def publish(chat: Chat, message: MessageRef) -> None:
    composer = chat.messenger.last(message)
    assert composer is not None
    progress = await chat.tap(composer, "Publish now", message=message)
    await chat.messenger.edit(message, progress)
    await chat.services.pipeline.run_until_idle()


async def test_edit_for_x_then_two_requests_with_their_own_keys(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook", "linkedin", "twitter")
    message, text = await compose_long(chat)
    composer = chat.messenger.last(message)
    assert composer is not None
    assert "✂️ Edit for X" in labels(composer)  # X's limit calls for it
    assert "✂️ Edit for LinkedIn" not in labels(composer)

    prompt = await chat.tap(composer, "Edit for X", message=message)
    assert prompt.edit and "Send X's own text for post #1" in prompt.text
    assert "at most 280 characters" in prompt.text
    answer = await chat.said(SHORT)  # the next message is X's text
    assert answer.toast == "X version set"
    assert f"• X (29 characters): {SHORT}" in answer.text
    assert "X allows" not in answer.text  # limits are checked on X's own text now
    assert await chat.say("Just chatting") is None  # the prompt was answered: chatter again

    await publish(chat, message)
    first, second = chat.posts()
    bodies = {tuple(r.json["platforms"]): r.json for r in (first, second)}
    assert bodies[("facebook", "linkedin")]["post"] == text
    assert bodies[("twitter",)]["post"] == SHORT
    assert bodies[("facebook", "linkedin")]["idempotencyKey"] == idempotency_key(1, [FB, LI], 0)
    assert bodies[("twitter",)]["idempotencyKey"] == idempotency_key(1, [X], 0)
    progress = chat.messenger.last(message)
    assert progress is not None and progress.text.endswith("— 3 of 3 published")
    assert chat.messenger.sent[-1][2] == message  # one progress message, edited in place


async def test_networks_sharing_a_text_share_one_request(make_services: BuildServices) -> None:
    chat = await pro_chat(make_services, "facebook", "linkedin", "twitter")
    message, text = await compose_long(chat)
    assert (await chat.said(f"/version 1 x {SHORT}")).toast == "X version set"
    assert (await chat.said(f"/version 1 linkedin {SHORT}")).toast == "LinkedIn version set"
    # The main text as a version is no version: it already gets it.
    same = await chat.said(f"/version 1 facebook {text}")
    assert same.text == "Facebook already gets the main text on post #1."

    await publish(chat, message)
    bodies = {tuple(r.json["platforms"]): r.json for r in chat.posts()}
    assert set(bodies) == {("facebook",), ("linkedin", "twitter")}
    assert bodies[("linkedin", "twitter")]["post"] == SHORT
    assert bodies[("facebook",)]["post"] == text
    assert bodies[("linkedin", "twitter")]["idempotencyKey"] == idempotency_key(1, [LI, X], 0)


async def test_a_version_reset_to_the_main_text_goes_in_the_main_request(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook", "linkedin")
    composer = await chat.said("/post Hello from the team")
    message = await chat.show(composer)
    await chat.said("/version 1 linkedin A longer hello for LinkedIn readers")
    menu = await chat.tap(composer, "Edit…", message=message)
    assert "• LinkedIn (35 characters)" in menu.text
    reset = await chat.tap(menu, "LinkedIn: main text", message=message)
    assert reset.toast == "LinkedIn: main text" and "Versions:" not in reset.text
    again = await chat.said("/version 1 linkedin reset")  # repeated: nothing to change
    assert again.text == "LinkedIn already gets the main text on post #1."
    await publish(chat, message)
    (request,) = chat.posts()
    assert request.json["platforms"] == ["facebook", "linkedin"]
    assert request.json["post"] == "Hello from the team"


async def test_retry_of_one_network_resends_only_its_version(
    make_services: BuildServices, clock: FixedClock
) -> None:
    chat = await pro_chat(make_services, "facebook", "twitter")
    message, _ = await compose_long(chat)
    await chat.said(f"/version 1 x {SHORT}")
    chat.fake.fail_platform("twitter", 187, "Status is a duplicate.")
    await publish(chat, message)
    progress = chat.messenger.last(message)
    assert progress is not None and "1 of 2 published" in progress.text

    del chat.fake.platform_errors["twitter"]
    retry = await chat.tap(progress, "Retry X", message=message)
    assert retry.toast == "Retrying X…"
    await chat.services.pipeline.run_until_idle()
    *_, resent = chat.posts()
    assert resent.json["platforms"] == ["twitter"] and resent.json["post"] == SHORT
    # A retry asked for by the author is a new round, so a key of its own (round 1).
    assert resent.json["idempotencyKey"] == idempotency_key(1, [X], 1)
    assert len(chat.posts()) == 3
    shown = chat.messenger.last(message)
    assert shown is not None and shown.text.endswith("— 2 of 2 published")


async def test_a_server_error_resends_the_same_version_with_the_same_key_after_a_restart(
    make_services: BuildServices, clock: FixedClock
) -> None:
    chat = await pro_chat(make_services, "facebook", "twitter")
    message, text = await compose_long(chat)
    await chat.said(f"/version 1 x {SHORT}")
    chat.fake.fail_next("/post", status=503, body=b"busy")
    composer = chat.messenger.last(message)
    assert composer is not None
    await chat.tap(composer, "Publish now", message=message)
    await chat.services.pipeline.tick()
    first_two = chat.posts()
    assert len(first_two) == 2
    async with chat.services.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None
    waiting = [t for t in post.targets.values() if t.state.value == "scheduled"]
    assert len(waiting) == 1  # the request that got the 503 waits for its re-send
    (busy,) = waiting
    platform = "twitter" if busy.network is X else "facebook"
    refused = next(r for r in first_two if r.json["platforms"] == [platform])

    # Another process (the bot restarted) re-sends it: the same body, so the same key.
    restarted = await make_services(chat.fake, ayrshare_x_api_key="k", ayrshare_x_api_secret="s")
    assert busy.due_at is not None
    clock.set(busy.due_at + timedelta(seconds=1))
    await restarted.pipeline.run_until_idle()
    *_, again = chat.posts()
    assert len(chat.posts()) == 3
    assert again.json == refused.json
    expected = SHORT if busy.network is X else text
    assert again.json["post"] == expected
    async with restarted.uow() as uow:
        done = await uow.posts.get(1)
    assert done is not None and {t.state.value for t in done.targets.values()} == {"published"}


async def test_versions_survive_a_restart_and_show_in_the_posts_detail(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook", "twitter")
    await chat.said("/post A post with two texts")
    await chat.said("/version 1 x Short X text")
    restarted = await make_services(chat.fake, ayrshare_x_api_key="k", ayrshare_x_api_secret="s")
    posts = await restarted.postroom.handle_text(actor(), "/posts")
    assert posts is not None
    opened = await restarted.postroom.handle_tap(
        actor(),
        next(b for r in posts.buttons for b in r if b.label == "Open #1").callback_data,
        None,
    )
    assert "Versions:\n• X (12 characters): Short X text" in opened.text


async def test_bad_version_input_is_refused_and_changes_nothing(
    make_services: BuildServices,
) -> None:
    chat = await pro_chat(make_services, "facebook", "twitter")
    composer = await chat.said("/post Hello world")
    refusals = {
        "/version": "Which post, which network, and what text?",
        "/version 1": "Which network?",
        "/version 1 myspace Hi": "I don't know the network 'myspace'.",
        "/version 1 x": "That X text is empty.",
        "/version 1 x \u200b ": "That X text is empty.",
        f"/version 1 x {'y' * 281}": "X allows 280 characters; this text has 281. Nothing was",
        "/version 1 linkedin Hi": "Post #1 doesn't go to LinkedIn; tick LinkedIn first.",
        "/version 99 x Hi": "There is no post #99 (it may have been deleted).",
        "/version abc x Hi": "I need a post number here, not 'abc'",
        "/version 99999999999 x Hi": "There is no post 99999999999",
    }
    for line, answer in refusals.items():
        reply = await chat.said(line)
        assert answer in reply.text, (line, reply.text)
    # Ben cannot give Ana's post a version, by command or with her buttons.
    await chat.said("/start", user="ben")
    assert (await chat.said("/version 1 x Ben's", user="ben")).text == (
        "Only the author can do that."
    )
    message = await chat.show(composer)
    menu = await chat.tap(composer, "Edit…", message=message)
    taken = await chat.tap(menu, "Edit for X", user="ben", message=message)
    assert taken.toast == "Only the author can do that."
    assert await chat.say("Ben's text", user="ben") is None  # nothing waits for Ben

    assert (await chat.said("/version 1 x Fine for X")).toast == "X version set"
    again = await chat.said("/version 1 x Fine for X")  # repeated
    assert again.text == "X already gets that text on post #1."
    async with chat.services.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.versions() == {Network.X: "Fine for X"}

    # A published post keeps its texts.
    await publish(chat, message)
    late = await chat.said("/version 1 x Too late")
    assert late.text == "Post #1 was already published."
    stale = await chat.tap(menu, "Edit for X", message=message)
    assert stale.toast == "Post #1 was already published."


async def test_a_prompted_version_over_the_limit_keeps_waiting_then_expires(
    make_services: BuildServices, clock: FixedClock
) -> None:
    chat = await pro_chat(make_services, "twitter")
    composer = await chat.said("/post Short enough")
    message = await chat.show(composer)
    menu = await chat.tap(composer, "Edit…", message=message)
    await chat.tap(menu, "Edit for X", message=message)
    photo = await chat.say("A caption", media=("https://cdn.example.com/a.jpg",))
    assert photo is not None and photo.text.startswith("X's own text takes no photo or video")
    over = await chat.said("z" * 300)
    assert over.text.startswith("X allows 280 characters; this text has 300.")
    fits = await chat.said("Now it fits")  # still waiting: the answer that fits is taken
    assert fits.toast == "X version set"

    await chat.tap(menu, "Edit for X", message=message)  # the old menu still asks for X
    clock.advance(timedelta(minutes=11))  # a prompt waits 10 minutes
    assert await chat.say("Too late for the prompt") is None
    async with chat.services.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.versions() == {Network.X: "Now it fits"}


async def test_forged_and_odd_buttons_change_nothing(
    make_services: BuildServices, clock: FixedClock
) -> None:
    chat = await pro_chat(make_services, "facebook")
    await chat.said("/post Hello")
    await chat.said("/start", user="ben")  # the next profile: Ben's buttons are not Ana's
    async with chat.services.uow() as uow:
        profile = await uow.profiles.by_identity(actor().identity)
    assert profile is not None
    seal = mark(profile.id, clock.now())
    older = mark(profile.id, clock.now() - timedelta(hours=1))  # before post #1 was made
    refusals = {
        f"vr:1:myspace~{seal}": "I don't know the network 'myspace'.",
        f"vr:1:x~{seal}": "Post #1 doesn't go to X; tick X first.",
        f"vx:1:x~{seal}": "Post #1 doesn't go to X; tick X first.",
        f"vx:1:facebook~{seal}": "Facebook already gets the main text on post #1.",
        f"vr:abc:x~{seal}": "I need a post number here, not 'abc'",
        f"vr:7:facebook~{seal}": "There is no post #7 (it may have been deleted).",
        f"dr:zz~{seal}": "I need a page number here, not 'zz'",
        f"dr:9~{seal}": "That page is empty now.",
        f"em:1~{mark(profile.id + 1, clock.now())}": "Only the author can do that.",
        f"vr:1:facebook~{older}": "This button was made for an earlier post #1",
        "vr:1:facebook": "This button is too old to use.",
    }
    for data, toast in refusals.items():
        answer = await chat.services.postroom.handle_tap(actor(), data, None)
        assert answer.toast is not None and answer.toast.startswith(toast), (data, answer)
        assert not answer.text
    assert await chat.say("Not awaited") is None
    async with chat.services.uow() as uow:
        post = await uow.posts.get(1)
    assert post is not None and post.versions() == {} and post.text == "Hello"
