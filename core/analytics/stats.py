"""/stats and /report: totals, engagement rate, best post and per-network lines, "n/a" for what
a network does not report."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.analytics.engagement import RATE_RULE, Engagement, engagement, format_engagement
from core.analytics.reported import posts_of, published_on, unmeasured
from core.commands import Command, ascii_number
from core.errors import DomainError
from core.handlers import MAX_POST_ID, Actor, profile_wide, reach
from core.metrics import (
    AccountMetric,
    AccountSnapshot,
    AnalyticsItem,
    DailyTotal,
    Metric,
    Snapshot,
    add_known,
    delta_count,
    exposure,
    format_count,
    interactions,
    subtract,
)
from core.model import Network, Profile
from core.ports import Clock, UnitOfWorkFactory
from core.replies import Field, Reply
from core.views import clip
from core.when import format_short
from core.wording import count_of, plural

__all__ = [
    "SHOWN",
    "StatsCommands",
    "Summary",
    "best_item",
    "network_line",
    "parse_item_ref",
    "summarize",
]

# The metrics /stats lists, in order; impressions and reach only when some network gave them.
SHOWN = (Metric.VIEWS, Metric.LIKES, Metric.COMMENTS, Metric.SHARES, Metric.SAVES)
OPTIONAL = (Metric.IMPRESSIONS, Metric.REACH)
MAX_DAYS = 365
MAX_LISTED = 15
# Meta's insights may lag up to 48 hours behind (docs/limits-by-platform.md#instagram-graph-api):
# an Instagram post younger than that shows numbers that are still provisional.
SETTLING: Mapping[Network, timedelta] = {Network.INSTAGRAM: timedelta(hours=48)}

_PERIOD = re.compile(r"^([0-9]+)\s*d(?:ays?)?$")


@dataclass(frozen=True, slots=True)
class Summary:
    posts: int
    totals: Mapping[Metric, int]
    rate: Engagement
    best: AnalyticsItem | None
    networks: Mapping[Network, tuple[int, Mapping[Metric, int], Engagement]]


def best_item(items: Iterable[AnalyticsItem]) -> AnalyticsItem | None:
    """The item seen most (views, else impressions), interactions breaking ties."""
    ranked = [
        (exposure(i.metrics) or 0, interactions(i.metrics) or 0, -i.id, i)
        for i in items
        if exposure(i.metrics) is not None or interactions(i.metrics) is not None
    ]
    if not ranked:
        return None
    return max(ranked, key=lambda r: r[:3])[3]


def summarize(items: Sequence[AnalyticsItem]) -> Summary:
    by_network: dict[Network, list[AnalyticsItem]] = defaultdict(list)
    for item in items:
        by_network[item.network].append(item)
    networks = {
        n: (
            len(members),
            add_known(i.metrics for i in members),
            engagement(i.metrics for i in members),
        )
        for n, members in sorted(by_network.items(), key=lambda kv: kv[0].rank)
    }
    return Summary(
        posts=len(items),
        totals=add_known(i.metrics for i in items),
        rate=engagement(i.metrics for i in items),
        best=best_item(items),
        networks=networks,
    )


def provisional(item: AnalyticsItem, now: datetime) -> bool:
    """Whether the item's numbers may still change a lot: its network still settles them."""
    settling = SETTLING.get(item.network)
    posted = item.posted_at or item.created_at
    return settling is not None and now - posted < settling


def _provisional_note(items: Sequence[AnalyticsItem], now: datetime) -> str | None:
    young = sorted({i.network for i in items if provisional(i, now)}, key=lambda n: n.rank)
    if not young:
        return None
    count = sum(1 for i in items if provisional(i, now))
    hours = int(SETTLING[young[0]].total_seconds() // 3600)
    names = ", ".join(n.label for n in young)
    return (
        f"⏳ provisional: {plural(count, 'post')} on {names} under {hours} h old "
        f"({names} can take {hours} h to settle its numbers)"
    )


def _seen_text(values: Mapping[Metric, int]) -> str:
    if Metric.VIEWS in values:
        return count_of(values[Metric.VIEWS], "views")
    if Metric.IMPRESSIONS in values:
        return count_of(values[Metric.IMPRESSIONS], "impressions")
    return "views n/a"


def network_line(posts: int, values: Mapping[Metric, int], rate: Engagement) -> str:
    parts = [plural(posts, "post")]
    parts += [count_of(values.get(m), m.value) for m in SHOWN]
    parts += [count_of(values[m], m.value) for m in OPTIONAL if m in values]
    parts.append(f"rate {format_engagement(rate)}")
    return " · ".join(parts)


def _best_field(best: AnalyticsItem | None) -> Field:
    if best is None:
        return Field("Best post", "n/a")
    title = clip(best.title, 40) or "(no text)"
    value = f"{best.ref} {best.network.label} “{title}” — {_seen_text(best.metrics)}"
    return Field("Best post", value, url=best.url)


def _total_fields(summary: Summary) -> list[Field]:
    fields = [Field(m.label, format_count(summary.totals.get(m))) for m in SHOWN]
    fields += [Field(m.label, f"{summary.totals[m]:,}") for m in OPTIONAL if m in summary.totals]
    fields.append(Field("Engagement rate", format_engagement(summary.rate)))
    fields.append(_best_field(summary.best))
    return fields


def parse_item_ref(text: str) -> tuple[str, int]:
    """("post", 12) for `12`/`#12`, ("tracked", 5) for `t5`; refuses anything else."""
    raw = text.strip()
    kind, digits = (
        ("tracked", raw[1:])
        if raw[:1] in ("t", "T")
        else ("post", raw[1:] if raw[:1] == "#" else raw)
    )
    number = ascii_number(digits)
    if number is None and not digits.isnumeric():
        raise DomainError(
            f"I need a post number like 12 or a tracked post like t5, not {raw[:20]!r}."
        )
    if number is None or number > MAX_POST_ID:  # digits, but not one of ours (`²`, too big)
        raise DomainError(f"There is no post {raw[:20]}; /posts lists yours.")
    return kind, number


class StatsCommands:
    """The /stats and /report commands (plugged into Postroom with add_command)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def stats(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        arg = cmd.args.strip().lower()
        if not _PERIOD.match(arg) and arg not in ("", "week", "month"):
            # One post: as every command taking a post id, only the chat's own (`reach`).
            kind, number = parse_item_ref(arg)
            return await self.single(actor, profile, kind, number)
        profile_wide(actor, "your numbers")  # totals over the profile, not one chat's
        if not arg:
            return await self.period(profile, 7)
        if m := _PERIOD.match(arg):
            days = ascii_number(m.group(1)) or 0
            if not 1 <= days <= MAX_DAYS:
                shown = f"{days:,}" if days < 10**18 else m.group(1)[:20] + "…"
                raise DomainError(
                    f"I keep numbers for up to {MAX_DAYS} days, so {shown} days can't be shown. "
                    f"Pick between 1 and {MAX_DAYS}, e.g. /stats 30d."
                )
            return await self.period(profile, days)
        return await self.period(profile, 7 if arg == "week" else 30)

    async def period(self, profile: Profile, days: int) -> Reply:
        now = self._clock.now()
        since = now - timedelta(days=days)
        async with self._uow() as uow:
            items = await uow.analytics.items(profile.id, posted_since=since)
            older = [] if items else await uow.analytics.items(profile.id, posted_until=since)
            accounts = await uow.analytics.account_history(
                profile.id, since=(since - timedelta(days=1)).date(), until=now.date()
            )
            measured = {i.post_id for i in items}
            waiting = await unmeasured(
                uow, await uow.analytics.published_posts(profile.id, since=since), measured
            )
            comments = await uow.engage.counts(profile.id, since=since)
        head = f"📈 Last {plural(days, 'day')}"
        if not items and not waiting and older:
            newest = max(i.posted_at or i.created_at for i in older)
            wider = min(MAX_DAYS, (now - newest).days + 1)
            return Reply(
                f"{head}: none of your posts went out in this period; the latest went out "
                f"{format_short(newest, profile.timezone)}. Try /stats {wider}d."
            )
        if not items and not waiting:
            return Reply(
                f"{head}: no posts to measure yet.\nNumbers appear after a post goes out "
                "(hourly on Pro, daily on Free). Add posts published elsewhere with "
                "/track <url>.",
            )
        summary = summarize(items)
        fields = _total_fields(summary)
        followers = _followers(accounts)
        if followers is not None:
            latest, first = followers
            fields.append(
                Field(
                    "Followers",
                    f"{latest:,} ({delta_count(latest, first)} in {plural(days, 'day')})",
                )
            )
        fields += [Field(n.label, network_line(*line)) for n, line in summary.networks.items()]
        if comments:  # the engage inbox's count (core.engage): comments that reached us
            ranked = sorted(comments.items(), key=lambda kv: kv[0].rank)
            per = " · ".join(f"{n.label} {v:,}" for n, v in ranked)
            fields.append(Field("New comments", f"{sum(comments.values()):,} ({per})"))
        posts = len(posts_of(items)) + len(waiting)
        networks = len(set(summary.networks) | {n for p in waiting for n in published_on(p)})
        text = f"{head} — {plural(posts, 'post')} on {plural(networks, 'network')}"
        if waiting:
            text += f" ({len(waiting)} not measured yet: n/a until the next refresh)"
        if (note := _provisional_note(items, now)) is not None:
            text += f"\n{note}"
        return Reply(
            f"{text}\n{RATE_RULE}\nOne post: /stats <id> · a campaign: /report <name>",
            fields=tuple(fields),
        )

    async def single(self, actor: Actor, profile: Profile, kind: str, number: int) -> Reply:
        now = self._clock.now()
        async with self._uow() as uow:
            if kind == "post":
                post = reach(actor, number, await uow.posts.get(number))
                if post is None or post.profile_id != profile.id:
                    raise DomainError(f"Post #{number} isn't one of yours. /posts lists them.")
                items = list(
                    await uow.analytics.items(profile.id, post_id=number, include_hidden=True)
                )
                title = post.text
            else:
                profile_wide(actor, "tracked posts")  # made with /track, in no chat
                item = await uow.analytics.get(number)
                if item is None or item.profile_id != profile.id:
                    raise DomainError(f"t{number} isn't one of your tracked posts.")
                items = [item]
                title = item.title
            history = await uow.analytics.snapshots(
                [i.id for i in items], since=now - timedelta(days=2), until=now
            )
            tags = await uow.analytics.tags(number) if kind == "post" and not items else None
            found = await uow.engage.post_count(number) if kind == "post" else 0
        ref = f"#{number}" if kind == "post" else f"t{number}"
        if not items:
            text = (
                f"📈 {ref} “{clip(title, 50)}” has no numbers yet: they are read after it is "
                "published (hourly on Pro, daily on Free)."
            )
            if tags is not None and tags.campaign:
                hidden = ", hidden from it" if tags.hidden else ""
                text += f"\nIn campaign “{tags.campaign}”{hidden}: /report {tags.campaign}"
            return Reply(text)
        day_ago = _values_before(history, now - timedelta(hours=24))
        fields: list[Field] = []
        for item in items:
            values = item.metrics
            before = day_ago.get(item.id)
            gained = subtract(values, before) if before is not None else None
            parts = []
            for metric in (*SHOWN, *(m for m in OPTIONAL if m in values)):
                part = count_of(values.get(metric), metric.value)
                if gained is not None and metric in values and gained.get(metric):
                    part += f" (▲ {gained[metric]:,} in 24 h)"
                parts.append(part)
            parts.append(f"rate {format_engagement(engagement([values]))}")
            if item.synced_at is not None:
                parts.append(f"updated {format_short(item.synced_at, profile.timezone)}")
            if item.last_error and item.failures:
                parts.append(f"⚠️ last refresh failed: {clip(item.last_error, 80)}")
            elif item.last_error:
                parts.append(f"ℹ️ {clip(item.last_error, 100)}")  # e.g. a refused metric
            if provisional(item, now):
                hours = int(SETTLING[item.network].total_seconds() // 3600)
                parts.append(f"⏳ provisional (under {hours} h old)")
            fields.append(Field(item.network.label, " · ".join(parts), url=item.url))
        if found:  # the engage inbox's count (core.engage): /comments lists the open ones
            fields.append(Field("Comments in chat", f"{found:,} (/comments {number})"))
        flags = []
        if any(i.hidden for i in items):
            flags.append("hidden from reports (/unhide)")
        campaigns = sorted({i.campaign for i in items if i.campaign})
        if campaigns:
            flags.append("campaign " + ", ".join(campaigns))
        rate = engagement(i.metrics for i in items)
        head = f"📈 {ref} “{clip(title, 50)}” — engagement rate {format_engagement(rate)}"
        if flags:
            head += "\n" + " · ".join(flags)
        return Reply(f"{head}\n{RATE_RULE}", fields=tuple(fields))

    async def report(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        profile_wide(actor, "campaign reports")
        # Stored as /campaign wrote it: NFC, lower case (a decomposed "é" is the same name).
        name = unicodedata.normalize("NFC", cmd.args.strip()).lower().lstrip("#")
        async with self._uow() as uow:
            if not name:
                campaigns = sorted(
                    set(await uow.analytics.campaigns(profile.id))
                    | {t.campaign for _, t in await uow.analytics.tagged(profile.id) if t.campaign}
                )
                if not campaigns:
                    return Reply(
                        "No campaigns yet. Tag a post with /campaign <post id> <name>, or add "
                        "one published elsewhere with /track <url> <name>."
                    )
                return Reply("Campaigns: " + ", ".join(campaigns) + "\nSend /report <name>.")
            everything = await uow.analytics.items(profile.id, campaign=name, include_hidden=True)
            today = self._clock.now().date()
            daily = await uow.analytics.daily(
                profile.id, since=today - timedelta(days=2), until=today, campaign=name
            )
            # Tagged posts not measured yet (drafts, scheduled, or waiting for their first
            # refresh) belong to the report from the moment they are tagged, with "n/a".
            tagged = await uow.analytics.tagged(profile.id, name)
            measured = {i.post_id for i in everything}
            waiting = await unmeasured(uow, [p for p, tags in tagged if not tags.hidden], measured)
            waiting_hidden = sum(1 for p, t in tagged if t.hidden and p not in measured)
        if not everything and not waiting and not waiting_hidden:
            raise DomainError(
                f"No posts in campaign {name!r}. /report lists campaigns; tag posts with "
                "/campaign <post id> <name>."
            )
        items = [i for i in everything if not i.hidden]
        hidden = len(posts_of(everything)) - len(posts_of(items)) + waiting_hidden
        tracked = sum(1 for i in items if i.post_id is None)
        summary = summarize(items)
        posts = len(posts_of(items)) + len(waiting)
        head = f"📋 Campaign “{name}” — {plural(posts, 'post')}"
        notes = []
        if tracked:
            notes.append(f"{tracked} tracked by hand")
        if waiting:
            notes.append(f"{len(waiting)} not measured yet")
        if hidden:
            notes.append(f"{hidden} hidden, not counted")
        if notes:
            head += f" ({', '.join(notes)})"
        fields = _total_fields(summary)
        change = _daily_change(daily)
        if change is not None:
            fields.append(Field("Since yesterday", change))
        lines = [head, RATE_RULE]
        ranked = sorted(items, key=lambda i: exposure(i.metrics) or -1, reverse=True)
        lines.append("Posts:")
        for item in ranked[:MAX_LISTED]:
            where = item.network.label + (" (tracked)" if item.post_id is None else "")
            lines.append(
                f"{item.ref} {where} — {_seen_text(item.metrics)} · "
                f"rate {format_engagement(engagement([item.metrics]))} · “{clip(item.title, 30)}”"
            )
        for post in waiting[: max(MAX_LISTED - len(ranked), 0)]:
            networks = ", ".join(t.network.label for t in post.ordered_targets()) or "no network"
            state = "published, numbers after the next refresh"
            if not published_on(post):
                state = f"{post.state.value}, not published yet"
            lines.append(f"#{post.id} {networks} — n/a ({state}) · “{clip(post.text, 30)}”")
        listed = len(ranked) + len(waiting)
        if listed > MAX_LISTED:
            lines.append(f"…and {listed - MAX_LISTED} more")
        return Reply("\n".join(lines), fields=tuple(fields))


def _values_before(
    history: Sequence[Snapshot], moment: datetime
) -> dict[int, Mapping[Metric, int]]:
    """Per item, the last snapshot taken at or before `moment`."""
    found: dict[int, Mapping[Metric, int]] = {}
    for snap in history:
        if snap.taken_at <= moment:
            found[snap.item_id] = snap.values
    return found


def _followers(accounts: Sequence[AccountSnapshot]) -> tuple[int, int] | None:
    """(latest, earliest) followers summed over the networks that report them."""
    by_network: dict[Network, list[AccountSnapshot]] = defaultdict(list)
    for row in accounts:
        if AccountMetric.FOLLOWERS in row.values:
            by_network[row.network].append(row)
    if not by_network:
        return None
    latest = first = 0
    for rows in by_network.values():
        rows.sort(key=lambda r: r.day)
        latest += rows[-1].values[AccountMetric.FOLLOWERS]
        first += rows[0].values[AccountMetric.FOLLOWERS]
    return latest, first


def _daily_change(rows: Sequence[DailyTotal]) -> str | None:
    """Views added since the day before, from the campaign's daily totals."""
    days = sorted({r.day for r in rows})
    if len(days) < 2:
        return None
    last, before = days[-1], days[-2]
    now_views = [r.values for r in rows if r.day == last]
    then_views = [r.values for r in rows if r.day == before]
    a = add_known(now_views).get(Metric.VIEWS)
    b = add_known(then_views).get(Metric.VIEWS)
    if a is None or b is None:
        return None
    return f"{delta_count(a, b)} views"
