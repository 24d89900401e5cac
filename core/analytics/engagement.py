"""The engagement rate: one rule, stated in one sentence, shown with the totals it comes from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.metrics import NA, Metric, interactions

__all__ = ["RATE_RULE", "Engagement", "engagement", "format_engagement", "rate_basis"]

RATE_RULE = (
    "Engagement rate = (likes + comments + shares + saves) ÷ views (impressions where there "
    "are no views), over the posts that report both."
)


def rate_basis(values: Mapping[Metric, int]) -> tuple[Metric, int] | None:
    """A row's denominator: its views, else its impressions; None when neither is above 0
    (a post "seen" 0 times has nothing to divide by, whatever its likes say)."""
    for metric in (Metric.VIEWS, Metric.IMPRESSIONS):
        if values.get(metric, 0) > 0:
            return metric, values[metric]
    return None


@dataclass(frozen=True, slots=True)
class Engagement:
    """The rate and the totals it is computed from: `interactions ÷ seen` over `counted` of
    `rows` rows (posts, or networks in a digest); rows without both sides are left out."""

    interactions: int = 0
    seen: int = 0
    counted: int = 0
    rows: int = 0
    basis: frozenset[Metric] = frozenset()

    @property
    def rate(self) -> float | None:
        return self.interactions / self.seen if self.seen > 0 else None


def engagement(rows: Iterable[Mapping[Metric, int]]) -> Engagement:
    """RATE_RULE over `rows`: each row with a denominator and at least one reported
    interaction counts on both sides; any other row on neither, so the rate never mixes
    one post's likes with another post's views."""
    acted = seen = counted = total = 0
    basis: set[Metric] = set()
    for row in rows:
        total += 1
        shown = rate_basis(row)
        engaged = interactions(row)
        if shown is None or engaged is None:
            continue
        basis.add(shown[0])
        seen += shown[1]
        acted += engaged
        counted += 1
    return Engagement(acted, seen, counted, total, frozenset(basis))


def format_engagement(found: Engagement | None, unit: str = "post") -> str:
    """`4.2% (50 ÷ 1,200 views)`, `… , 1 of 2 posts)` when some were left out; "n/a" when
    nothing had both sides."""
    if found is None or found.rate is None:
        return NA
    if found.basis == {Metric.VIEWS}:
        seen = "views"
    elif found.basis == {Metric.IMPRESSIONS}:
        seen = "impressions"
    else:
        seen = "views and impressions"
    text = f"{found.rate * 100:.1f}% ({found.interactions:,} ÷ {found.seen:,} {seen}"
    if found.counted < found.rows:
        text += f", {found.counted} of {found.rows} {unit}{'' if found.rows == 1 else 's'}"
    return text + ")"
