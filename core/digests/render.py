"""A digest's facts as a neutral reply within the smallest chat caption."""

from __future__ import annotations

from datetime import date, timedelta

from core.actions import Action
from core.analytics.engagement import RATE_RULE, Engagement, format_engagement
from core.digests.facts import DigestFacts
from core.digests.figures import outcome_line
from core.metrics import Metric, delta_count, delta_percent, delta_points, format_count
from core.replies import Button, Field, Reply
from core.utf16 import units
from core.views import clip
from core.when import zone
from core.wording import count_of

# A digest with its chart is one photo whose caption Telegram caps at 1024 characters
# (https://core.telegram.org/bots/api#sendphoto); Slack's section text caps at 3000 and ten
# fields (https://api.slack.com/reference/block-kit/blocks#section). Rendered by
# construction well inside the smallest of these.
CAPTION_BUDGET = 1000
MAX_ATTENTION = 3


def plain_size(reply: Reply) -> int:
    """The reply's length as chat clients count it once rendered: text lines, then one line per
    field (`label  value · view`), in UTF-16 units (Telegram's measure)."""
    lines = reply.text.splitlines()
    for f in reply.fields:
        lines.append(f"{f.label}  {f.value}" + (" · view" if f.url else ""))
    return sum(units(line) for line in lines) + max(len(lines) - 1, 0)


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def _period_label(facts: DigestFacts) -> str:
    if facts.weekly:
        start, end = facts.day - timedelta(days=7), facts.day - timedelta(days=1)
        return f"Last week ({start.day} {start:%b} – {end.day} {end:%b}) vs the week before"
    return f"Yesterday ({day_label(facts.day - timedelta(days=1))}) vs the day before"


def render_digest(facts: DigestFacts, image: bytes | None, *, private: bool) -> Reply:
    """The digest as one reply: a photo caption when there is a chart, within every chat
    platform's limits by construction (long names and reasons are clipped)."""
    word = "Weekly" if facts.weekly else "Daily"
    head = f"📊 {word} digest"
    if facts.named:
        head += f" · {clip(facts.profile_name, 40)}"
    lines = [head, _period_label(facts)]
    if facts.late_for is not None:
        local = facts.late_for.astimezone(zone(facts.timezone))
        lines.append(f"⏰ Sent late: it was due {day_label(local.date())} {local:%H:%M}.")
    if not facts.has_data:
        lines.append(
            "No numbers for this period yet: they arrive about an hour after a post is "
            "published (daily on Free). Add posts published elsewhere with /track <url>."
        )
    views_now, views_before = facts.views
    rate_now, rate_before = facts.rate
    followers_now, followers_before = facts.followers
    rate_change = delta_points(_rate(rate_now), _rate(rate_before))
    fields = [
        Field("Views", f"{format_count(views_now)}  {delta_percent(views_now, views_before)}"),
        Field(
            "Engagement",
            f"{format_engagement(rate_now, 'network')}  {rate_change}",
        ),
        Field(
            "Followers",
            f"{format_count(followers_now)}  {delta_count(followers_now, followers_before)}",
        ),
    ]
    if facts.top is not None:
        item, seen = facts.top
        title = clip(item.title, 40) or "(no text)"
        what = "views" if Metric.VIEWS in item.metrics else "impressions"
        fields.append(
            Field(
                "Top post", f"“{title}” on {item.network.label} — {count_of(seen, what)}", item.url
            )
        )
    else:
        fields.append(Field("Top post", "n/a"))
    fields.append(Field("Posts", outcome_line(facts.outcomes, 120)))
    # The connections line takes one attention line's place: Slack shows 10 fields at most.
    room = MAX_ATTENTION - (1 if facts.connections else 0)
    shown = list(facts.attention[:room])
    if len(facts.attention) > room:
        shown.append(f"+{len(facts.attention) - room} more: /status")
    fields += [Field("⚠️", clip(a, 120)) for a in shown]
    if facts.connections:
        fields.append(Field("Connections", clip(" · ".join(facts.connections), 100)))
    fields.append(Field("ℹ️", RATE_RULE))
    buttons: list[Button] = []
    if private:
        buttons.append(Button("📈 Last 7 days", Action.DIGEST, "stats"))
        if facts.reconnect:
            buttons.append(Button("🔗 Reconnect", Action.COMMAND, "connect"))
    reply = Reply(
        "\n".join(lines),
        fields=tuple(fields),
        buttons=(tuple(buttons),) if buttons else (),
        image=image,
    )
    if plain_size(reply) > CAPTION_BUDGET:
        # Unreachable with the clips above unless a label grows; keep the promise anyway.
        reply = Reply(
            "\n".join(lines[:2]),
            fields=tuple(Field(f.label, clip(f.value, 60), f.url) for f in fields[:6]),
            buttons=reply.buttons,
            image=image,
        )
    return reply


def _rate(found: Engagement | None) -> float | None:
    return None if found is None else found.rate
