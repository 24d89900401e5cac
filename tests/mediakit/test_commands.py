"""/mediakit in chat: the card, publishing, slugs, theme, words, blocks, several kits, and the
bad forms of each (a clear answer, nothing changed)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.actions import Action
from core.mediakit.model import BlockKind
from tests.mediakit.support import PUBLIC, KitWorld, button, with_numbers


def blocks_of(reply_text: str) -> list[str]:
    return [line.split(". ", 1)[1] for line in reply_text.splitlines() if line[:1].isdigit()]


async def test_the_card_is_a_png_within_telegram_and_slack_limits(world: KitWorld) -> None:
    await with_numbers(world)
    reply = await world.say("/mediakit")
    assert reply.image is not None
    image = Image.open(io.BytesIO(reply.image))
    assert image.format == "PNG"
    width, height = image.size
    # Telegram's sendPhoto: 10 MB, width + height ≤ 10,000, ratio ≤ 20.
    assert len(reply.image) < 10 * 1024 * 1024
    assert width + height <= 10_000 and max(width, height) / min(width, height) <= 20
    assert "Followers 17,000 · views (30 days) 7,800 · engagement 7.2%" in reply.text
    assert "not published" in reply.text
    assert button(reply, "Publish page").action is Action.MEDIAKIT


async def test_a_profile_with_no_data_yet_reads_n_a_never_zero(world: KitWorld) -> None:
    reply = await world.say("/mediakit")
    assert reply.image is not None
    assert "Followers n/a · views (30 days) n/a · engagement n/a" in reply.text
    assert "Numbers last updated: n/a" in reply.text
    assert " 0" not in reply.text.split("\n")[1]


async def test_publish_unpublish_and_repeats(world: KitWorld) -> None:
    first = await world.say("/mediakit")
    slug = first.text.split("Page ", 1)[1].split(":", 1)[0]
    published = await world.say("/mediakit publish")
    assert f"{PUBLIC}/kit/{slug}" in published.text
    again = await world.say("/mediakit publish")
    assert "already published" in again.text
    assert (await world.get(f"/kit/{slug}")).status_code == 200
    down = await world.say("/mediakit unpublish")
    assert "not found" in down.text
    assert "not published" in (await world.say("/mediakit unpublish")).text
    assert (await world.get(f"/kit/{slug}")).status_code == 404
    # The card's button publishes too, once.
    card = await world.say("/mediakit")
    on = await world.tap(button(card, "Publish page"))
    assert "Published" in on.text
    assert "already published" in (await world.tap(button(card, "Publish page"))).text


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("ab", "3–32 characters"),
        ("a" * 33, "3–32 characters"),
        ("ana_bakes", "letters a–z, digits and single hyphens"),
        ("-ana", "letters a–z"),
        ("ana--bakes", "letters a–z"),
        ("anä-bakes", "letters a–z"),
        ("ana/../x", "letters a–z"),
        ("<script>", "letters a–z"),
        ("admin", "reserved"),
        ("API", "reserved"),
        ("healthz", "reserved"),
        ("static", "reserved"),
        ("stripe", "reserved"),
        ("kit", "reserved"),
        ("login", "reserved"),
        ("slack", "reserved"),
        ("media", "reserved"),
    ],
)
async def test_bad_slugs_are_refused_and_nothing_changes(
    world: KitWorld, typed: str, answer: str
) -> None:
    before = await world.say("/mediakit kits")
    reply = await world.say(f"/mediakit slug {typed}")
    assert answer in reply.text
    assert (await world.say("/mediakit kits")).text == before.text


async def test_a_slug_another_profile_has_is_refused(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")
    taken = await world.say("/mediakit slug ana-bakes", user="ben")
    assert "'ana-bakes' is taken" in taken.text
    assert "'ana-bakes' is taken" in (await world.say("/mediakit new ana-bakes", user="ben")).text
    assert "ana-bakes" not in (await world.say("/mediakit kits", user="ben")).text
    # Case does not make another address.
    assert "taken" in (await world.say("/mediakit slug Ana-Bakes", user="ben")).text
    same = await world.say("/mediakit slug ana-bakes")
    assert "already" in same.text


async def test_renaming_a_published_kit_moves_its_page(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")
    await world.say("/mediakit publish")
    assert (await world.get("/kit/ana-bakes")).status_code == 200
    moved = await world.say("/mediakit slug ana-cakes")
    assert "old address ana-bakes no longer works" in moved.text
    assert (await world.get("/kit/ana-bakes")).status_code == 404
    assert (await world.get("/kit/ana-cakes")).status_code == 200


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("", "Send a colour and a corner radius"),
        ("#ff55", "isn't a colour"),
        ("#gg5500 8", "isn't a colour"),
        ("ff5500", "neither a colour"),
        ("#ff5500 25", "0–24 px, not 25"),
        ("#ff5500 -1", "neither a colour"),
        ("#ff5500 8 9", "Send a colour"),
        ("red 8", "neither a colour"),
        ("#ff5500 99999", "neither a colour"),
    ],
)
async def test_bad_colours_and_radii_are_refused(world: KitWorld, typed: str, answer: str) -> None:
    assert answer in (await world.say(f"/mediakit theme {typed}")).text


async def test_theme_is_kept(world: KitWorld) -> None:
    reply = await world.say("/mediakit theme #FF5500 8")
    assert "colour #ff5500, corners 8 px" in reply.text
    assert "corners 0 px" in (await world.say("/mediakit theme 0")).text
    await world.say("/mediakit slug ana-bakes")
    await world.say("/mediakit publish")
    page = (await world.get("/kit/ana-bakes")).text
    assert "--primary:#ff5500;--radius:0px" in page


async def test_text_and_contact_limits(world: KitWorld) -> None:
    assert "none yet" in (await world.say("/mediakit text")).text
    long = await world.say("/mediakit text " + "x" * 501)
    assert "501 characters; the most is 500" in long.text
    assert "none yet" in (await world.say("/mediakit text")).text
    over = await world.say("/mediakit contact " + "y" * 201)
    assert "the most is 200" in over.text
    assert "nothing I can show" in (await world.say("/mediakit text \u202e\u0007")).text
    # The invisible direction marks (LRM, RLM, ALM) go too: nothing left, nothing to show.
    assert "nothing I can show" in (await world.say("/mediakit text \u200e\u200f\u061c")).text
    done = await world.say("/mediakit text Baker in Lisbon")
    assert "Custom text set" in done.text
    listed = await world.say("/mediakit blocks")
    assert blocks_of(listed.text) == ["Profile", "Stats", "Growth chart", "Custom text"]
    cleared = await world.say("/mediakit text clear")
    assert "its block removed" in cleared.text
    assert "Custom text" not in blocks_of((await world.say("/mediakit blocks")).text)


async def test_blocks_are_added_removed_and_moved_with_buttons(world: KitWorld) -> None:
    shown = await world.say("/mediakit blocks")
    assert blocks_of(shown.text) == ["Profile", "Stats", "Growth chart"]
    shown = await world.tap(button(shown, "+ Separator"))
    assert shown.edit and shown.toast == "Saved."
    assert blocks_of(shown.text) == ["Profile", "Stats", "Growth chart", "Separator"]
    shown = await world.tap(button(shown, "↑ Separator"))
    assert blocks_of(shown.text) == ["Profile", "Stats", "Separator", "Growth chart"]
    up_profile = button(shown, "↑ Profile")
    top = await world.tap(up_profile)
    assert top.toast == "Profile is first already."
    stats_row = next(row for row in shown.buttons if row[0].label == "↑ Stats")
    shown = await world.tap(stats_row[2])  # ✕ Stats
    assert blocks_of(shown.text) == ["Profile", "Separator", "Growth chart"]
    # The same button again (an old message): nothing to remove, said so.
    again = await world.tap(stats_row[2])
    assert again.toast == "Stats isn't on the kit."
    chart_row = next(row for row in shown.buttons if row[0].label == "↑ Growth chart")
    last = await world.tap(chart_row[1])  # ↓ Growth chart
    assert last.toast == "Growth chart is last already."
    # Text and contact blocks need their words first.
    needs = await world.tap(button(shown, "+ Custom text"))
    assert needs.toast is not None and "/mediakit text" in needs.toast


async def test_foreign_and_forged_kit_buttons_are_refused(world: KitWorld) -> None:
    shown = await world.say("/mediakit blocks")
    add = button(shown, "+ Separator")
    ben = await world.tap(add, user="ben")
    assert ben.toast == "Only the author can do that."
    kit_id = add.arg.split(":")[0]
    forged = await world.tap_data(f"mk:{kit_id}:al", user="ben")
    assert forged.toast is not None and "isn't yours" in forged.toast
    for body in (f"mk:{kit_id}:zz", f"mk:{kit_id}:a", "mk:999999:al", "mk:x:al", "mk:", "mk:1"):
        reply = await world.tap_data(body)
        assert reply.toast is not None, body
    assert blocks_of((await world.say("/mediakit blocks")).text) == [
        "Profile",
        "Stats",
        "Growth chart",
    ]


async def test_several_kits_each_with_its_page(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")
    made = await world.say("/mediakit new ana-brands")
    assert "Kit ana-brands made" in made.text
    await world.say("/mediakit text For brand deals only")
    await world.say("/mediakit publish")
    listed = await world.say("/mediakit kits")
    assert "ana-bakes (default) — not published" in listed.text
    assert "ana-brands (current) — published" in listed.text
    assert (await world.get("/kit/ana-brands")).status_code == 200
    assert (await world.get("/kit/ana-bakes")).status_code == 404
    assert "You have no kit 'ben-kit'" in (await world.say("/mediakit use ben-kit")).text
    assert "default kit; it stays" in (await world.say("/mediakit delete ana-bakes")).text
    gone = await world.say("/mediakit delete ana-brands")
    assert "deleted" in gone.text
    assert (await world.get("/kit/ana-brands")).status_code == 404
    assert "ana-brands" not in (await world.say("/mediakit kits")).text
    assert "now change ana-bakes" in (await world.say("/mediakit use ana-bakes")).text
    assert "I don't know /mediakit frobnicate" in (await world.say("/mediakit frobnicate")).text


async def test_not_in_a_channel_but_in_a_group(world: KitWorld) -> None:
    group = await world.say("/mediakit kits", chat="team")
    assert "Your media kits" in group.text


async def test_forget_removes_every_kit(world: KitWorld) -> None:
    await world.say("/mediakit slug ana-bakes")
    await world.say("/mediakit new ana-brands")
    await world.say("/mediakit publish")
    asked = await world.say("/forget")
    assert "media kits (pages go offline)" in asked.text
    done = await world.tap(button(asked, "Yes, delete everything"))
    assert "deleted" in done.text.lower()
    assert (await world.get("/kit/ana-brands")).status_code == 404
    # The addresses are free again.
    assert "ana-bakes" in (await world.say("/mediakit slug ana-bakes", user="ben")).text
    assert BlockKind.PROFILE.label == "Profile"


async def test_a_deleted_kits_buttons_and_help(world: KitWorld) -> None:
    await world.say("/mediakit new ana-brands")
    shown = await world.say("/mediakit blocks")
    await world.say("/mediakit delete ana-brands")
    stale = await world.tap(button(shown, "+ Separator"))
    assert stale.toast is not None and "no longer exists" in stale.toast
    assert "kit ana-brands" not in (await world.say("/mediakit kits")).text
    helped = await world.say("/help")
    assert "/mediakit [publish | blocks | theme | slug | text | contact | new]" in helped.text
    assert "/mediakit publish | unpublish" in (await world.say("/mediakit help")).text


async def test_refused_in_a_channel(world: KitWorld) -> None:
    from core.handlers import Actor
    from core.model import ChatKind, ChatPlatform, ChatRef, Identity

    actor = Actor(
        Identity(ChatPlatform.CONSOLE, "ana"),
        ChatRef(ChatPlatform.CONSOLE, "news", kind=ChatKind.CHANNEL),
    )
    reply = await world.services.postroom.handle_text(actor, "/mediakit publish")
    assert reply is not None and reply.text.startswith("Not in a channel: your media kit")
    assert "not published" in (await world.say("/mediakit kits")).text


async def test_an_address_taken_by_hand_gets_a_default_kit_another(world: KitWorld) -> None:
    # Ben takes the address Ana's first kit would have had (her name, then her profile id).
    await world.say("/start")
    await world.say("/mediakit slug ana-1", user="ben")
    listed = await world.say("/mediakit kits")
    assert listed.text.startswith("Your media kits (1):")
    assert "• ana-1 " not in listed.text and "• ana-1-" in listed.text
