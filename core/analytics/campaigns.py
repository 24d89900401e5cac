"""Campaign tags, posts tracked by hand (/track) and hiding posts from reports."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from core.analytics.post_links import parse_link, same_post
from core.analytics.stats import SHOWN, parse_item_ref
from core.analytics_ports import AnalyticsRepository
from core.commands import Command
from core.errors import DomainError
from core.handlers import Actor, profile_wide, reach
from core.metrics import AnalyticsItem, ItemKind, Metric, PostTags
from core.model import Network, Profile
from core.policy import Policy
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.replies import Reply
from core.views import clip
from core.wording import article, count_of

__all__ = ["CampaignCommands", "parse_campaign"]

MAX_CAMPAIGN = 64  # the campaign columns' width
_NUMBER = re.compile(r"^(\w+)=([\d,_.]+)([km]?)$", re.IGNORECASE | re.ASCII)
MAX_URL = 2000
MAX_COUNT = 10**13
MAX_NATIVE_ID = 64  # the longest post id any network uses is far shorter (columns hold 255)

_METRIC_NAMES = {m.value: m for m in Metric} | {
    "view": Metric.VIEWS,
    "like": Metric.LIKES,
    "comment": Metric.COMMENTS,
    "share": Metric.SHARES,
    "save": Metric.SAVES,
    "impression": Metric.IMPRESSIONS,
}


def parse_campaign(text: str) -> str:
    """A campaign name as stored: NFC, lower case; letters of any script (Café_été, השקה),
    digits, - and _, up to 64 characters, starting with a letter or digit."""
    name = unicodedata.normalize("NFC", text.strip()).lower().lstrip("#")
    if not 0 < len(name) <= MAX_CAMPAIGN or not all(map(_campaign_char, name)) or name[0] in "-_":
        raise DomainError(
            f"Campaign names are letters, digits, - and _ (up to {MAX_CAMPAIGN}), "
            f"not {text.strip()[:30]!r}."
        )
    return name


def _campaign_char(char: str) -> bool:
    # Letters and their combining marks (Hindi vowel signs, accents), decimal digits; no
    # spaces, punctuation, symbols or invisible format characters.
    return (
        char in "-_" or unicodedata.category(char)[0] in "LM" or unicodedata.category(char) == "Nd"
    )


def _title(url: str) -> str:
    """How a tracked post is named in lists: its link without scheme and www."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return clip(host + parts.path.rstrip("/"), 200)


def _count(raw: str, suffix: str) -> int:
    number = float(raw.replace(",", "").replace("_", ""))
    number *= {"": 1, "k": 1_000, "m": 1_000_000}[suffix.lower()]
    if number < 0 or number > MAX_COUNT:
        raise ValueError(raw)
    return int(number)


class CampaignCommands:
    """/campaign, /track, /hide and /unhide (plugged in with Postroom.add_command)."""

    def __init__(self, uow: UnitOfWorkFactory, policy: Policy, clock: Clock) -> None:
        self._uow = uow
        self._policy = policy
        self._clock = clock

    async def campaign(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        parts = cmd.args.split()
        if len(parts) != 2:
            return Reply(
                "Tag a post: /campaign <post id> <name> (e.g. /campaign 12 launch); "
                "/campaign 12 off removes the tag. Tracked posts: /campaign t5 launch."
            )
        name = None if parts[1].lower() in ("off", "none", "-") else parse_campaign(parts[1])
        ref = await self._retag(actor, profile, parts[0], lambda t: replace(t, campaign=name))
        if name is None:
            return Reply(f"{ref} is in no campaign now.")
        return Reply(f"🏷 {ref} is in campaign “{name}”. See it with /report {name}.")

    async def hide(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return await self._set_hidden(actor, profile, cmd.args, hidden=True)

    async def unhide(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        return await self._set_hidden(actor, profile, cmd.args, hidden=False)

    async def _set_hidden(
        self, actor: Actor, profile: Profile, arg: str, *, hidden: bool
    ) -> Reply:
        if not arg.strip():
            verb = "hide" if hidden else "unhide"
            return Reply(f"Which post? /{verb} <post id>, or /{verb} t5 for a tracked post.")
        ref = await self._retag(actor, profile, arg, lambda t: replace(t, hidden=hidden))
        if hidden:
            return Reply(f"🙈 {ref} is hidden from /stats totals, reports and digests (/unhide).")
        return Reply(f"{ref} counts in reports again.")

    async def _retag(
        self, actor: Actor, profile: Profile, ref: str, change: Callable[[PostTags], PostTags]
    ) -> str:
        """Change the campaign or hidden flag of one of the profile's posts (`12`) or tracked
        posts (`t5`); returns how the reply names it."""
        kind, number = parse_item_ref(ref)
        async with self._uow() as uow:
            if kind == "post":
                post = reach(actor, number, await uow.posts.get(number))
                if post is None or post.profile_id != profile.id:
                    raise DomainError(f"Post #{number} isn't one of yours. /posts lists them.")
                tags = await uow.analytics.tags(number)
                await uow.analytics.set_tags(number, change(tags))
            else:
                profile_wide(actor, "tracked posts")  # made with /track, in no chat
                item = await self._tracked(uow.analytics, profile, number)
                new = change(PostTags(item.campaign, item.hidden))
                item.campaign, item.hidden = new.campaign, new.hidden
                await uow.analytics.update_tracked(item)
            await uow.commit()
        return f"#{number}" if kind == "post" else f"t{number}"

    async def _tracked(
        self, analytics: AnalyticsRepository, profile: Profile, number: int
    ) -> AnalyticsItem:
        item = await analytics.get(number)
        if item is None or item.profile_id != profile.id or item.kind is not ItemKind.TRACKED:
            raise DomainError(f"t{number} isn't one of your tracked posts.")
        return item

    async def track(
        self, actor: Actor, profile: Profile, cmd: Command, media: tuple[str, ...]
    ) -> Reply:
        # It adds to the profile's numbers, and may tag one of its posts made anywhere.
        profile_wide(actor, "tracking a post")
        words = cmd.args.split()
        if not words:
            return Reply(
                "Add a post published elsewhere: /track <url> [campaign] [views=1200 likes=40 "
                "comments=3 shares=2 saves=5]. Without numbers, Postroom fetches them when the "
                "network allows it."
            )
        url = words[0]
        try:
            scheme = urlsplit(url).scheme
        except ValueError:  # not a URL at all ("https://[oops")
            scheme = ""
        if len(url) > MAX_URL:
            raise DomainError(
                f"That link is {len(url):,} characters; the longest I keep is {MAX_URL:,}."
            )
        if scheme not in ("http", "https"):
            raise DomainError("The first word must be the post's link (https://…).")
        link = parse_link(url)
        if link is None:
            names = ", ".join(n.label for n in Network)
            raise DomainError(f"I can track posts on {names}; that link is none of them.")
        campaign: str | None = None
        entered: dict[Metric, int] = {}
        for word in words[1:]:
            if "=" in word:
                m = _NUMBER.match(word)
                metric = _METRIC_NAMES.get(m.group(1).lower()) if m else None
                if m is None or metric is None:
                    names = ", ".join(x.value for x in SHOWN)
                    raise DomainError(
                        f"I can't read {word[:30]!r}; use e.g. views=1200 ({names})."
                    )
                try:
                    entered[metric] = _count(m.group(2), m.group(3))
                except ValueError:
                    raise DomainError(f"{word[:30]!r} is not a count I can store.") from None
            elif campaign is None:
                campaign = parse_campaign(word)
            else:
                raise DomainError(
                    f"One campaign per post; {word[:30]!r} is extra. Numbers look like views=1200."
                )
        now = self._clock.now()
        network = link.network
        if link.post_id is not None and len(link.post_id) > MAX_NATIVE_ID:
            raise DomainError(
                f"The post id in that {network.label} link is {len(link.post_id):,} characters "
                f"long; {network.label}'s are far shorter (X and TikTok use up to 19 digits). "
                "Check the link."
            )
        route = self._policy[profile.tier].routes.get(network)
        fetch = not entered and link.fetch_id is not None and route is not None
        async with self._uow() as uow:
            known = await uow.analytics.items(profile.id, include_hidden=True)
            item = same_post(link, known)
            if item is not None and item.post_id is not None:
                return await self._own_post(uow, item, campaign, entered, now)
            if item is None:
                item = await uow.analytics.add_tracked(
                    AnalyticsItem(
                        id=0,
                        profile_id=profile.id,
                        network=network,
                        kind=ItemKind.TRACKED,
                        created_at=now,
                        route=route if fetch else None,
                        url=link.url,
                        external_id=link.fetch_id,
                        title=_title(link.url),
                        campaign=campaign,
                        auto_sync=fetch,
                        next_sync_at=now if fetch else None,
                    )
                )
                verb = "Tracking"
            else:
                if campaign is not None:
                    item.campaign = campaign
                if entered:
                    item.auto_sync = False
                await uow.analytics.update_tracked(item)
                verb = "Updated"
            if entered:
                await uow.analytics.record(item.id, entered, taken_at=now, next_sync_at=None)
                # What is stored now: earlier numbers the message did not mention stay.
                item = await uow.analytics.get(item.id) or item
            await uow.commit()
        where = f" in campaign “{item.campaign}”" if item.campaign else ""
        lines = [f"📌 {verb} {item.ref}: {article(network.label)} {network.label} post{where}."]
        if entered:
            lines.append(f"Numbers (entered by hand): {_numbers(item)}.")
            lines.append(f"Change them with /track {clip(link.url, 60)} views=…")
        elif fetch:
            lines.append("Its numbers will be fetched with the next refresh.")
        else:
            lines.append(
                f"Postroom can't read this post's numbers from {network.label}; enter them: "
                f"/track {clip(link.url, 60)} views=1200 likes=40"
            )
        lines.append(f"/stats {item.ref} · /hide {item.ref}")
        return Reply("\n".join(lines))

    async def _own_post(
        self,
        uow: UnitOfWork,
        item: AnalyticsItem,
        campaign: str | None,
        entered: dict[Metric, int],
        now: datetime,
    ) -> Reply:
        """/track of a link to a post Postroom published: the same post, never a second copy."""
        assert item.post_id is not None
        if campaign is not None:
            tags = await uow.analytics.tags(item.post_id)
            await uow.analytics.set_tags(item.post_id, replace(tags, campaign=campaign))
        if entered:
            await uow.analytics.record(
                item.id, entered, taken_at=now, next_sync_at=item.next_sync_at
            )
        stored = await uow.analytics.get(item.id) or item
        await uow.commit()
        lines = [
            f"📌 That is {item.ref}, which Postroom published on {item.network.label}: its "
            "numbers are read from there, so it is not added a second time."
        ]
        if stored.campaign:
            lines.append(f"🏷 {item.ref} is in campaign “{stored.campaign}”.")
        if entered:
            lines.append(f"Numbers (entered by hand): {_numbers(stored)}.")
        lines.append(f"/stats {item.post_id} · /hide {item.post_id}")
        return Reply("\n".join(lines))


def _numbers(item: AnalyticsItem) -> str:
    return " · ".join(count_of(item.metrics.get(m), m.value) for m in SHOWN)
