"""CSV import through Postroom's entry points: a preview with every row's errors, Import
scheduling all valid rows in one transaction (once), Cancel, and every bad file refused with
the way out and nothing imported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory
from core.actions import Action
from core.analytics_ports import AnalyticsRepository
from core.handlers import OOPS
from core.metrics import PostTags
from core.model import Network, Post, Tier
from core.policy import Policy
from core.states import PostState
from core.transfer.table import MAX_BYTES, MAX_ROWS
from tests.core.harness import Harness, find_button
from tests.transfer.conftest import MakeHarness, send_file

HEADER = "text,networks,time,media,campaign\n"
VIDEO = "https://cdn.example.com/launch.mp4"
PHOTO = "https://cdn.example.com/a.jpg"


async def posts_of(h: Harness, user: str = "ana") -> list[Post]:
    profile = await h.app.profile_for(h.actor(user))
    async with h.uow() as uow:
        found = await uow.posts.recent(profile.id, origin=None, limit=5000)
    return sorted(found, key=lambda p: p.id)


async def tags_of(h: Harness, post: Post) -> PostTags:
    async with h.uow() as uow:
        return await uow.analytics.tags(post.id)


async def test_preview_then_import_schedules_every_valid_row_with_its_campaign(
    h: Harness,
) -> None:
    await h.connect(Network.INSTAGRAM, Network.X, Network.LINKEDIN)
    await h.say("/timezone Europe/Berlin")
    preview = await send_file(
        h,
        HEADER
        + f'"Launch day!\nOur app is live",instagram x,2026-12-24 09:00,{VIDEO},Launch\n'
        + "Second post,linkedin,2026-12-25T08:30:00Z,,\n"
        + "Third,X,2026-12-26 10:00 America/New_York,,winter\n",
    )
    assert preview.text.startswith("📥 Import preview: 3 of 3 rows can be scheduled")
    assert "separated by commas" in preview.text and "Europe/Berlin" in preview.text
    assert await posts_of(h) == []  # nothing before Import
    done = await h.tap(preview, "Import 3 posts")
    assert done.edit and done.text.startswith("✅ Imported 3 scheduled posts")
    first, second, third = await posts_of(h)
    assert first.text == "Launch day!\nOur app is live"  # a quoted line break kept
    assert set(first.targets) == {Network.INSTAGRAM, Network.X}
    assert first.media == (VIDEO,)
    # 09:00 in Berlin in winter is 08:00 UTC; the row's own zone wins over the profile's.
    assert first.scheduled_at == datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
    assert second.scheduled_at == datetime(2026, 12, 25, 8, 30, tzinfo=UTC)
    assert third.scheduled_at == datetime(2026, 12, 26, 15, 0, tzinfo=UTC)
    assert all(p.state is PostState.SCHEDULED for p in (first, second, third))
    assert (await tags_of(h, first)).campaign == "launch"
    assert (await tags_of(h, second)).campaign is None
    listed = await h.say("/posts")
    assert "Launch day" in listed.text


async def test_every_bad_row_is_named_with_its_column_and_reason(h: Harness) -> None:
    await h.connect(Network.INSTAGRAM, Network.X)
    long = "x" * 300
    preview = await send_file(
        h,
        HEADER
        + "ok,x,2026-12-24 09:00,,\n"
        + "bad net,myspace,2026-12-24 09:00,,\n"
        + "old,x,2025-12-24 09:00,,\n"
        + f"{long},x,2026-12-24 09:00,,\n"
        + "no media,instagram,2026-12-24 09:00,,\n"
        + "unlinked,linkedin,2026-12-24 09:00,,\n"
        + "what time,x,next tuesday-ish,,\n"
        + "bad link,x,2026-12-24 09:00,http://plain.example/a.jpg,\n"
        + "bad tag,x,2026-12-24 09:00,,no spaces allowed\n"
        + ",x,2026-12-24 09:00,,\n",
    )
    text = preview.text
    assert text.startswith("📥 Import preview: 1 of 10 rows can be scheduled")
    assert "9 rows with errors and will be skipped" in text
    assert "row 3 · networks: unknown network 'myspace'" in text
    assert "row 4 · time: Wed 24 Dec 2025, 09:00 (UTC) is in the past" in text
    assert "row 5 · text: X allows 280 characters; this post has 300." in text
    assert "row 6 · media: Instagram needs a photo or video." in text
    assert "row 7 · networks: LinkedIn is not connected: /connect" in text
    assert "row 8 · time: I can't read 'next tuesday-ish' as a time" in text
    assert "row 9 · media: Media must be a web address starting with https://" in text
    assert "row 10 · campaign: Campaign names are letters" in text
    assert "row 11 · text: empty" in text
    await h.tap(preview, "Import 1 post")
    (post,) = await posts_of(h)
    assert post.text == "ok"


async def test_free_tier_rows_over_its_limits_and_networks_are_refused(
    make_h: MakeHarness,
) -> None:
    h = make_h(Tier.FREE, Policy.default().with_limits(Tier.FREE, max_scheduled=2))
    await h.connect(Network.INSTAGRAM)
    rows = "".join(f"Post {i},instagram,2026-12-{10 + i} 09:00,{PHOTO},\n" for i in range(3))
    preview = await send_file(h, HEADER + "Pro only,tiktok,2026-12-24 09:00,,\n" + rows)
    text = preview.text
    assert text.startswith("📥 Import preview: 2 of 4 rows can be scheduled")
    assert "row 2 · networks: 🔒 TikTok is a Pro network" in text
    assert "row 5: You already have 2 scheduled posts; the Free limit is 2" in text
    await h.tap(preview, "Import 2 posts")
    assert [p.text for p in await posts_of(h)] == ["Post 0", "Post 1"]


async def test_instagram_rolling_quota_counts_the_rows_before(h: Harness) -> None:
    await h.connect(Network.INSTAGRAM)
    rows = "".join(
        f"P{i},instagram,2026-12-10T{i // 60:02d}:{i % 60:02d}Z,{PHOTO},\n" for i in range(51)
    )
    preview = await send_file(h, HEADER + rows)
    assert preview.text.startswith("📥 Import preview: 50 of 51 rows can be scheduled")
    assert "row 52 · time: Instagram allows 50 posts per 24 hours" in preview.text


@pytest.mark.parametrize(
    ("delimiter", "named"), [(";", "semicolons"), ("\t", "tabs"), (",", "commas")]
)
async def test_the_delimiter_is_found_and_the_header_aliases_read(
    h: Harness, delimiter: str, named: str
) -> None:
    await h.connect(Network.X)
    header = delimiter.join(["Message", "Platforms", "Scheduled At", "Media URLs", "Tag"])
    row = delimiter.join(['"Hello, world; tabs\tinside"', "twitter", "2026-12-24 09:00", "", ""])
    preview = await send_file(h, header + "\n" + row + "\n")
    assert f"1 row can be scheduled (separated by {named}" in preview.text
    await h.tap(preview, "Import 1 post")
    (post,) = await posts_of(h)
    assert post.text == "Hello, world; tabs\tinside" and set(post.targets) == {Network.X}


async def test_a_wrong_delimiter_is_refused_naming_the_one_it_seems_to_use(h: Harness) -> None:
    reply = await send_file(h, "text|networks|time\nHello|x|2026-12-24 09:00\n")
    assert "I can't find the columns in the first line" in reply.text
    assert "It seems to be separated by |" in reply.text
    assert "Separate them with commas, semicolons or tabs" in reply.text
    assert not reply.buttons and await posts_of(h) == []


async def test_a_row_with_more_cells_than_the_header_is_an_error_of_its_own(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(
        h, "text,networks,time\nHello, world,x,2026-12-24 09:00\nFine,x,2026-12-24 09:00\n"
    )
    assert "row 2: 4 cells but the header names 3: put text that holds commas" in preview.text
    assert preview.text.startswith("📥 Import preview: 1 of 2 rows")


async def test_a_utf8_bom_and_utf16_from_excel_are_read(h: Harness) -> None:
    await h.connect(Network.X)
    body = "text\tnetworks\ttime\nCafé ☕ 🚀\tx\t2026-12-24 09:00\n"
    for data in ("\ufeff" + body.replace("\t", ",")).encode(), body.encode("utf-16"):
        preview = await send_file(h, data)
        assert preview.text.startswith("📥 Import preview: 1 of 1 row"), preview.text
        await h.tap(preview, "Import 1 post")
    assert [p.text for p in await posts_of(h)] == ["Café ☕ 🚀", "Café ☕ 🚀"]


async def test_bytes_that_are_not_utf8_are_refused_with_the_line(h: Harness) -> None:
    data = HEADER.encode() + "Caf\xe9,x,2026-12-24 09:00,,\n".encode("latin-1")
    reply = await send_file(h, data)
    assert reply.text.startswith("That file is not UTF-8 text: byte 0xe9 on line 2.")
    assert "CSV UTF-8" in reply.text and not reply.buttons


async def test_an_unclosed_quote_is_refused_with_its_line(h: Harness) -> None:
    reply = await send_file(h, HEADER + '"Never closed,x,2026-12-24 09:00,,\n' + "x" * 10)
    assert reply.text.startswith("I can't read line")
    assert "a quote may be left open" in reply.text


async def test_ten_thousand_rows_are_refused_whole(h: Harness) -> None:
    await h.connect(Network.X)
    rows = "".join(f"P{i},x,2026-12-24 09:00\n" for i in range(10_000))
    data = ("text,networks,time\n" + rows).encode()
    assert len(data) < MAX_BYTES  # refused for its rows, not its size
    reply = await send_file(h, data)
    assert reply.text.startswith(f"That file has more than {MAX_ROWS:,} rows")
    assert "Nothing was imported" in reply.text and not reply.buttons
    assert await posts_of(h) == []


async def test_a_thousand_rows_import_in_one_go(make_h: MakeHarness) -> None:
    h = make_h(Tier.PRO, Policy.default().with_limits(Tier.PRO, max_scheduled=MAX_ROWS))
    await h.connect(Network.X)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    rows = "".join(
        f"P{i},x,{(start + timedelta(minutes=10 * i)).isoformat()}\n" for i in range(MAX_ROWS)
    )
    preview = await send_file(h, "text,networks,time\n" + rows)
    assert preview.text.startswith("📥 Import preview: 1,000 of 1,000 rows")
    done = await h.tap(preview, "Import 1,000 posts")
    assert done.text.startswith("✅ Imported 1,000 scheduled posts")
    assert len(await posts_of(h)) == MAX_ROWS


async def test_an_oversized_file_is_refused_before_it_is_read(h: Harness) -> None:
    reply = await send_file(h, HEADER + "x" * MAX_BYTES)
    assert reply.text.startswith("That file is 1.0 MB; one import takes at most 1 MB")


@pytest.mark.parametrize(
    ("data", "said"),
    [
        ("", "That file is empty."),
        ("\n\n  \n", "That file is empty."),
        ("text,networks\nHello,x\n", "The header has no time column."),
        ("text,networks,time,text\n", "The header names the text column twice"),
        (b"\x00\x01text,networks,time", "That file holds binary data"),
    ],
)
async def test_malformed_files_get_a_clear_answer(
    h: Harness, data: str | bytes, said: str
) -> None:
    reply = await send_file(h, data)
    assert reply.text.startswith(said), reply.text
    assert not reply.buttons


async def test_a_file_of_only_bad_rows_offers_nothing_to_import(h: Harness) -> None:
    reply = await send_file(h, HEADER + "Hi,myspace,2026-12-24 09:00,,\n")
    assert reply.text.startswith("📥 Nothing to import: none of the 1 row can be scheduled")
    assert reply.text.endswith("Fix the file and send it again.") and not reply.buttons


async def test_a_header_without_rows_says_what_a_table_looks_like(h: Harness) -> None:
    for sent in (send_file(h, "text,networks,time\n"), h.say("/import text,networks,time")):
        reply = await sent
        assert reply.text.startswith("📥 Nothing to import: the table has no rows."), reply.text
        assert "paste rows after /import" in reply.text and "text,networks,time" in reply.text
        assert "0 rows" not in reply.text and not reply.buttons


async def test_pasted_after_import(h: Harness) -> None:
    await h.connect(Network.X)
    help_text = await h.say("/import")
    assert "send me a CSV file, or paste it after /import" in help_text.text
    preview = await h.say("/import text;networks;time\nPasted;x;2026-12-24 09:00")
    assert "(separated by semicolons" in preview.text
    await h.tap(preview, "Import 1 post")
    assert [p.text for p in await posts_of(h)] == ["Pasted"]


async def test_a_repeated_import_tap_imports_nothing_twice(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nOnce,x,2026-12-24 09:00\n")
    data = find_button(preview, "Import").callback_data
    message = h.message_of(preview)
    first = await h.app.handle_tap(h.actor(), data, message)
    again = await h.app.handle_tap(h.actor(), data, message)
    assert first.text.startswith("✅ Imported 1 scheduled post")
    assert (again.text, again.toast) == ("", "Already imported: 1 post. See /posts.")
    cancel = await h.tap(preview, "Cancel")  # too late to cancel: it is imported
    assert cancel.toast == "Already imported: 1 post. See /posts." and not cancel.text
    assert len(await posts_of(h)) == 1


async def test_an_expired_preview_imports_nothing(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nLate,x,2026-12-24 09:00\n")
    h.clock.advance(timedelta(minutes=31))
    answer = await h.tap(preview, "Import")
    assert answer.text.startswith("This preview expired (an Import button works for 30 minutes)")
    assert await posts_of(h) == []


async def test_another_users_tap_is_refused(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nMine,x,2026-12-24 09:00\n")
    answer = await h.tap(preview, "Import", user="ben")
    assert answer.toast == "Only the author can do that." and not answer.text
    assert await posts_of(h) == [] and await posts_of(h, "ben") == []


async def test_cancel_then_import_imports_nothing(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nNope,x,2026-12-24 09:00\n")
    cancelled = await h.tap(preview, "Cancel")
    assert cancelled.text == "Import cancelled; nothing was imported."
    again = await h.tap(preview, "Import")
    assert again.toast == "This import was cancelled; nothing was imported." and not again.edit
    assert await posts_of(h) == []


async def test_what_changed_since_the_preview_refuses_the_whole_import(h: Harness) -> None:
    await h.connect(Network.X, Network.LINKEDIN)
    preview = await send_file(
        h,
        "text,networks,time\nSoon,x,2026-11-24T10:20Z\nLater,linkedin,2026-12-24 09:00\n",
    )
    h.clock.advance(timedelta(minutes=25))  # the first row's time has passed
    answer = await h.tap(preview, "Import 2 posts")
    assert answer.text.startswith("Things changed since the preview, so nothing was imported:")
    assert "row 2 · time: Tue 24 Nov 2026, 10:20 (UTC) has passed" in answer.text
    assert await posts_of(h) == []  # not even the row that still fits


async def test_a_limit_reached_since_the_preview_refuses_the_whole_import(
    make_h: MakeHarness,
) -> None:
    h = make_h(Tier.FREE, Policy.default().with_limits(Tier.FREE, max_scheduled=2))
    await h.connect(Network.INSTAGRAM)
    body = HEADER + "".join(f"P{i},ig,2026-12-1{i} 09:00,{PHOTO},\n" for i in range(2))
    first = await send_file(h, body)
    second = await send_file(h, body)  # previewed against the same empty schedule
    await h.tap(first, "Import 2 posts")
    answer = await h.tap(second, "Import 2 posts")
    assert answer.text.startswith("Things changed since the preview")
    assert "the Free limit is 2" in answer.text
    assert len(await posts_of(h)) == 2


async def test_broken_and_forged_button_data_is_refused(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nHi,x,2026-12-24 09:00\n")
    button = find_button(preview, "Import")
    seal = button.callback_data.rpartition("~")[2]
    message = h.message_of(preview)
    for body in ("im:abc:y", "im:1:maybe", "im:99999999999:y", "im:424242:y"):
        answer = await h.app.handle_tap(h.actor(), f"{body}~{seal}", message)
        assert answer.toast and not answer.text, body
    assert Action.IMPORT.value == "im"
    assert await posts_of(h) == []


class _TagsFail:
    """The analytics store, except that tagging imported posts fails (a lost connection)."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    async def tag_new(self, tags: object) -> None:
        raise ConnectionError("the database went away")


class _FailingTags:
    """A unit of work factory over the SQL one whose tag writes fail, while `broken`."""

    def __init__(self, inner: SqlUnitOfWorkFactory) -> None:
        self._inner = inner
        self.broken = True

    def __call__(self) -> SqlUnitOfWork:
        uow = self._inner()
        if self.broken:
            uow.analytics = cast(AnalyticsRepository, _TagsFail(uow.analytics))
        return uow


async def test_a_storage_failure_mid_import_leaves_nothing_half_imported(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    failing = _FailingTags(uow_factory)
    h = Harness(uow=failing)
    await h.connect(Network.X)
    preview = await send_file(
        h, HEADER + "".join(f"P{i},x,2026-12-2{i} 09:00,,c\n" for i in range(5))
    )
    answer = await h.tap(preview, "Import 5 posts")
    assert answer.toast == OOPS  # the posts were written, then the tags failed: all undone
    assert await posts_of(h) == []
    failing.broken = False
    done = await h.tap(preview, "Import 5 posts")  # still pending: it can be tapped again
    assert done.text.startswith("✅ Imported 5 scheduled posts")
    assert len(await posts_of(h)) == 5


async def test_two_import_taps_at_once_import_once(h: Harness) -> None:
    await h.connect(Network.X)
    preview = await send_file(h, "text,networks,time\nOnce,x,2026-12-24 09:00\n")
    data = find_button(preview, "Import").callback_data
    message = h.message_of(preview)
    answers = await asyncio.gather(
        h.app.handle_tap(h.actor(), data, message), h.app.handle_tap(h.actor(), data, message)
    )
    said = sorted(a.text or a.toast or "" for a in answers)
    assert said[0].startswith("Already imported") and said[1].startswith("✅ Imported 1")
    assert len(await posts_of(h)) == 1
