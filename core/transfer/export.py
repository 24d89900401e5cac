"""/export: the profile's posts, their targets and metrics as a CSV (or JSON) file in the chat."""

from __future__ import annotations

import csv
import io
import json
import secrets
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from core.commands import Command
from core.handlers import Actor
from core.metrics import AnalyticsItem, ItemKind, Metric, PostTags
from core.model import ChatRef, Network, Post, Profile
from core.ports import Clock, PostRepository, UnitOfWorkFactory
from core.replies import Document, Reply, code
from core.wording import plural

MAX_POSTS = 10_000  # the newest ones; far under Telegram's 50 MB for a bot's document
_PAGE = 500
# A cell a spreadsheet would read as a formula (=, +, -, @) or whose leading tab or carriage
# return hides one, and their full-width forms, gets a leading ' so it stays text (OWASP,
# https://owasp.org/www-community/attacks/CSV_Injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
COLUMNS = (
    "post",
    "created_at",
    "post_state",
    "scheduled_at",
    "text",
    "media",
    "campaign",
    "hidden",
    "network",
    "network_text",  # the network's own version of the text; empty: it gets `text`
    "target_state",
    "due_at",
    "published_at",
    "url",
    "error",
    *(m.value for m in Metric),
)
USAGE = f"Export your posts as a file: {code('/export')} (CSV) or {code('/export json')}."


def neutralised(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text, never runs it: `=HYPERLINK(…)` → `'=HYPER…`."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


class ExportCommands:
    """/export (plugged in with Postroom.add_command)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def export(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        kind = cmd.args.strip().lower() or "csv"
        if kind not in ("csv", "json"):
            return Reply(USAGE)
        # In a group or channel: the posts made there (as /posts shows); tracked posts are
        # the profile's own, for the private chat.
        origin = None if actor.chat.private else actor.chat
        async with self._uow() as uow:
            posts = await self._posts(uow.posts, profile.id, origin)
            items = await uow.analytics.items(profile.id, include_hidden=True)
            tagged = dict(await uow.analytics.tagged(profile.id))
        kept = {p.id for p in posts}
        measured = {
            (i.post_id, i.network): i
            for i in items
            if i.kind is ItemKind.PUBLISHED and i.post_id in kept
        }
        tracked = [i for i in items if i.kind is ItemKind.TRACKED] if origin is None else []
        now = self._clock.now()
        # To the second, plus a random suffix: two exports in one second (two users of one
        # console, two processes) never get the same name and overwrite each other's file.
        stamp = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        if kind == "json":
            data = _json(posts, measured, tagged, tracked, now, profile.timezone)
            document = Document(f"postroom-export-{stamp}.json", data, "application/json")
        else:
            data = _csv(posts, measured, tagged, tracked)
            document = Document(f"postroom-export-{stamp}.csv", data, "text/csv")
        targets = sum(len(p.targets) for p in posts)
        cut = f" (the newest {MAX_POSTS:,})" if len(posts) >= MAX_POSTS else ""
        extra = f" and {plural(len(tracked), 'tracked post')}" if tracked else ""
        return Reply(
            f"📤 Your export: {plural(len(posts), 'post')}{cut} with "
            f"{plural(targets, 'network target')}{extra}, as {kind.upper()}. Times are UTC.",
            document=document,
        )

    async def _posts(
        self, repo: PostRepository, profile_id: int, origin: ChatRef | None
    ) -> list[Post]:
        found: list[Post] = []
        while len(found) < MAX_POSTS:
            page, total = await repo.list_for_profile(
                profile_id, offset=len(found), limit=_PAGE, origin=origin
            )
            found.extend(page)
            if not page or len(found) >= total:
                break
        return sorted(found[:MAX_POSTS], key=lambda p: p.id)


Measured = Mapping[tuple[int, Network], AnalyticsItem]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _rows(
    posts: Sequence[Post],
    measured: Measured,
    tagged: Mapping[int, PostTags],
    tracked: Sequence[AnalyticsItem],
) -> Iterator[list[str]]:
    for post in posts:
        tags = tagged.get(post.id, PostTags())
        head = [
            str(post.id),
            _iso(post.created_at),
            post.state.value,
            _iso(post.scheduled_at),
            post.text,
            " ".join(post.media),
            tags.campaign or "",
        ]
        targets = post.ordered_targets()
        if not targets:
            yield [*head, "", "", "", "", "", "", "", "", "", *("" for _ in Metric)]
            continue
        for target in targets:
            item = measured.get((post.id, target.network))
            hidden = tags.hidden or (item is not None and item.hidden)
            yield [
                *head,
                "yes" if hidden else "",
                target.network.value,
                target.text or "",
                target.state.value,
                _iso(target.due_at),
                _iso(target.published_at),
                target.url or "",
                target.error or "",
                *_values(item),
            ]
    for item in tracked:
        yield [
            f"t{item.id}",
            _iso(item.created_at),
            "tracked",
            "",
            item.title,
            "",
            item.campaign or "",
            "yes" if item.hidden else "",
            item.network.value,
            "",
            "",
            "",
            _iso(item.posted_at),
            item.url or "",
            item.last_error or "",
            *_values(item),
        ]


def _values(item: AnalyticsItem | None) -> list[str]:
    if item is None:
        return ["" for _ in Metric]
    return [str(item.metrics[m]) if m in item.metrics else "" for m in Metric]


def _csv(
    posts: Sequence[Post],
    measured: Measured,
    tagged: Mapping[int, PostTags],
    tracked: Sequence[AnalyticsItem],
) -> bytes:
    out = io.StringIO()
    # RFC 4180: CRLF line ends, every cell quoted (a formula-looking cell stays one cell).
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in _rows(posts, measured, tagged, tracked):
        writer.writerow([neutralised(cell) for cell in row])
    # With the BOM, Excel reads the file as UTF-8 (emoji, accents); /import skips it.
    return out.getvalue().encode("utf-8-sig")


def _json(
    posts: Sequence[Post],
    measured: Measured,
    tagged: Mapping[int, PostTags],
    tracked: Sequence[AnalyticsItem],
    now: datetime,
    timezone: str,
) -> bytes:
    def metrics(item: AnalyticsItem | None) -> dict[str, int]:
        return {} if item is None else {m.value: v for m, v in item.metrics.items()}

    data = {
        "exported_at": now.isoformat(),
        "timezone": timezone,
        "posts": [
            {
                "id": post.id,
                "created_at": _iso(post.created_at),
                "state": post.state.value,
                "scheduled_at": post.scheduled_at and post.scheduled_at.isoformat(),
                "text": post.text,
                "media": list(post.media),
                "campaign": tagged.get(post.id, PostTags()).campaign,
                "hidden": tagged.get(post.id, PostTags()).hidden,
                "targets": [
                    {
                        "network": t.network.value,
                        "text": t.text,  # None: the post's main text
                        "state": t.state.value,
                        "due_at": t.due_at and t.due_at.isoformat(),
                        "published_at": t.published_at and t.published_at.isoformat(),
                        "url": t.url,
                        "error": t.error,
                        "metrics": metrics(measured.get((post.id, t.network))),
                    }
                    for t in post.ordered_targets()
                ],
            }
            for post in posts
        ],
        "tracked": [
            {
                "id": f"t{i.id}",
                "network": i.network.value,
                "url": i.url,
                "title": i.title,
                "campaign": i.campaign,
                "hidden": i.hidden,
                "posted_at": i.posted_at and i.posted_at.isoformat(),
                "metrics": metrics(i),
            }
            for i in tracked
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode()
