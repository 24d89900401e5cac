"""/templates through Postroom on SQL: save, list, use with placeholders, delete, bad input."""

from __future__ import annotations

from core import limits
from core.actions import Action
from core.model import Network
from core.replies import Button, Reply, seal
from tests.core.harness import Harness, find_button

FB = Network.FACEBOOK
TIP = "Tip of {date} at {time}: read {link} #{campaign} {{braces}}"


async def latest_text(h: Harness, user: str = "ana") -> str:
    profile = await h.accounts.profile_for(h.actor(user).identity)
    async with h.uow() as uow:
        draft = await uow.posts.latest_draft(profile.id)
    assert draft is not None
    return draft.text


async def test_save_list_use_and_delete_with_placeholders(h: Harness) -> None:
    await h.say("/timezone Europe/Berlin")
    await h.compose(TIP, FB)
    saved = await h.say("/templates save Weekly-Tip")
    assert saved.text.startswith("Saved draft #1 as the template 'weekly-tip'.")
    assert "Filled in at use: date, time, link, campaign." in saved.text
    listed = await h.say("/templates")
    assert "• weekly-tip [date, time, link, campaign] — Tip of {date}" in listed.text

    asked = await h.say("/templates use weekly-tip")
    assert "needs link, campaign" in asked.text and "link=" in asked.text
    asked_by_button = await h.tap(listed, "Use weekly-tip")
    assert "needs link, campaign" in asked_by_button.text

    made = await h.say(
        '/templates use WEEKLY-TIP link=https://example.com/a campaign="Black Friday"'
    )
    assert made.text.startswith("✍️ New post")
    # 10:00 UTC on 24 November is 11:00 in Berlin (CET); braces doubled in the template are one.
    expected = "Tip of 2026-11-24 at 11:00: read https://example.com/a #Black Friday {braces}"
    assert await latest_text(h) == expected
    find_button(made, "Add to queue")  # a normal composer: tick networks, publish, queue

    confirm = await h.tap(listed, "🗑")
    assert "Delete the template 'weekly-tip'?" in confirm.text
    done = await h.tap(confirm, "Yes, delete it")
    assert done.text == "Template 'weekly-tip' deleted."
    assert (await h.say("/templates")).text.startswith("No templates yet.")
    again = await h.tap(confirm, "Yes, delete it")  # the same confirmation tapped twice
    assert again.toast == "That template no longer exists. /templates lists yours."
    gone = await h.say("/templates use weekly-tip")
    assert gone.text == "You have no template called 'weekly-tip'. /templates lists yours."


async def test_templates_without_asked_placeholders_and_with_media(h: Harness) -> None:
    await h.compose("Good morning, it is {date} media: https://cdn.example.com/a.jpg", FB)
    await h.say("/templates save morning")
    made = await h.say("/templates use morning")
    assert made.text.startswith("✍️ New post") and "1 media" in made.text
    assert await latest_text(h) == "Good morning, it is 2026-11-24"
    extra = await h.say("/templates use morning link=https://example.com")
    assert extra.text == "The template 'morning' has no {link}."
    await h.say("/templates delete morning")
    assert (await h.say("/templates")).text.startswith("No templates yet.")


async def test_unknown_placeholder_and_lone_braces_are_refused_naming_them(h: Harness) -> None:
    await h.compose("Hello {name}, see {link}", FB)
    refused = await h.say("/templates save hello")
    assert refused.text.startswith("Unknown placeholder {name}. Templates know {date}, {time},")
    await h.say("/post Price {oops")
    lone = await h.say("/templates save price")
    assert lone.text.startswith("A lone { in the text (at character 7): write {{ for a brace")
    await h.say("/post Closing } here")
    closing = await h.say("/templates save closing")
    assert closing.text.startswith("A lone } in the text (at character 9)")
    await h.say("/post " + "{" + "x" * 100 + "}")
    long_name = await h.say("/templates save long")
    assert "{" + "x" * 30 + "…}" in long_name.text
    assert (await h.say("/templates")).text.startswith("No templates yet.")  # nothing saved


async def test_oversized_names_values_and_filled_text(h: Harness) -> None:
    await h.compose("See {link}", FB)
    name = await h.say("/templates save " + "n" * 33)
    assert name.text.startswith("A template name is 1–32 letters, digits, - or _")
    odd = await h.say("/templates save tip!")
    assert "not 'tip!'" in odd.text
    await h.say("/templates save see")
    link = await h.say("/templates use see link=https://example.com/" + "a" * 2000)
    assert link.text.startswith("link= needs a web address starting with https://")
    await h.say("/post " + "w" * (limits.MAX_POST_CHARS - 10) + " {link}")
    await h.say("/templates save big")
    big = await h.say("/templates use big link=https://example.com/" + "p" * 40)
    assert big.text.startswith("Filled in, the text has 63,257 characters")
    assert (await latest_text(h)).endswith(" {link}")  # no draft made from it


async def test_malformed_use_values(h: Harness) -> None:
    await h.compose("Read {link} for {campaign}", FB)
    await h.say("/templates save read")
    unknown = await h.say("/templates use read colour=red")
    assert unknown.text.startswith("Templates take link=… and campaign=…, not 'colour'=.")
    twice = await h.say("/templates use read link=https://a.example link=https://b.example")
    assert twice.text == "link= is given twice; give it once."
    ftp = await h.say("/templates use read link=ftp://example.com campaign=x")
    assert ftp.text.startswith("link= needs a web address")
    words = await h.say("/templates use read link=https://a.example and more")
    assert words.text.startswith("I can't read 'and more': give values as name=value")
    campaign = await h.say("/templates use read link=https://a.example campaign=" + "c" * 65)
    assert campaign.text == "campaign= needs a name of 1–64 characters."
    verb = await h.say("/templates frobnicate")
    assert verb.text.startswith("I don't know /templates 'frobnicate'.")
    nameless = await h.say("/templates use")
    assert nameless.text.startswith("A template name is 1–32 letters")


async def test_a_repeated_save_refuses_and_keeps_the_first(h: Harness) -> None:
    await h.compose("First {date}", FB)
    await h.say("/templates save daily")
    await h.say("/post Second")
    again = await h.say("/templates save DAILY")
    assert again.text == (
        "You already have a template called 'daily'. Pick another name, or replace it: "
        "\ufdd0/templates delete daily\ufdd1, then save again."
    )
    await h.say("/templates use daily")
    assert await latest_text(h) == "First 2026-11-24"


async def test_save_needs_a_draft_in_this_chat(h: Harness) -> None:
    nothing = await h.say("/templates save first")
    assert nothing.text.startswith("No draft here to save: compose one with /post <text>")
    composer = await h.compose("Goes out", FB)
    await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    out = await h.say("/templates save first")
    assert out.text.startswith("No draft here to save")


async def test_templates_are_the_profiles_own(h: Harness) -> None:
    await h.compose("Bob's secret {date}", FB, user="bob")
    await h.say("/templates save secret", user="bob")
    bobs = await h.say("/templates", user="bob")
    # Bob's real button tapped by Ana: sealed to Bob, it does nothing for her.
    button = find_button(bobs, "Use secret")
    answer = await h.app.handle_tap(h.actor("ana"), button.callback_data, None)
    assert answer.toast == "Only the author can do that."
    # A forged button with Bob's template id, sealed to Ana: her profile has no such template.
    ana = await h.accounts.profile_for(h.actor("ana").identity)
    template_id = button.arg.partition(":")[2]
    for verb in ("use", "del", "dely"):
        forged = seal(
            Reply("", buttons=((Button("x", Action.TEMPLATE, f"{verb}:{template_id}"),),)),
            ana.id,
            h.clock.now(),
        ).buttons[0][0]
        refused = await h.app.handle_tap(h.actor("ana"), forged.callback_data, None)
        assert refused.toast == "That template no longer exists. /templates lists yours."
    for arg in ("use:", "use:x", "nope:1", "use:99999999999999999999"):
        junk = seal(
            Reply("", buttons=((Button("x", Action.TEMPLATE, arg),),)), ana.id, h.clock.now()
        ).buttons[0][0]
        assert (await h.app.handle_tap(h.actor("ana"), junk.callback_data, None)).toast
    by_name = await h.say("/templates use secret")
    assert by_name.text == "You have no template called 'secret'. /templates lists yours."
    assert "secret" in (await h.say("/templates", user="bob")).text  # Bob's is still there


async def test_save_takes_the_opened_draft_and_says_versions_are_not_kept(h: Harness) -> None:
    await h.compose("First draft", FB, Network.LINKEDIN)
    await h.say("/version linkedin First, for LinkedIn")
    await h.compose("Second draft", FB)
    await h.say("/draft 1")  # opened: /templates save takes it, not the newest
    saved = await h.say("/templates save first")
    assert saved.text.startswith("Saved draft #1 as the template 'first'."), saved.text
    assert "Its own texts for LinkedIn are not kept" in saved.text, saved.text
    await h.say("/templates use first")
    assert await latest_text(h) == "First draft"
    # The template's new draft (#3) is the one in hand now; it has no versions to mention.
    plain = await h.say("/templates save again")
    assert plain.text.startswith("Saved draft #3") and "not kept" not in plain.text, plain.text
