"""One request budget per provider profile: publishing and analytics count in the same window,
publishing first, and a 429 holds the profile for both."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from core.model import Route
from core.request_budget import Lane, RequestBudget

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ANA = (Route.AYRSHARE, 1)
BO = (Route.AYRSHARE, 2)
WINDOW = timedelta(minutes=5)


def _most_in_any_window(sent: list[datetime]) -> int:
    """The most requests inside any 5-minute window (sliding over every send time)."""
    sent = sorted(sent)
    most, first = 0, 0
    for last, at in enumerate(sent):
        while sent[first] <= at - WINDOW:
            first += 1
        most = max(most, last - first + 1)
    return most


def test_a_profile_busy_with_publishing_and_analytics_stays_within_300_per_5_minutes() -> None:
    # Ayrshare's 300 per 5 minutes per profile, 200 of them open to analytics.
    budget = RequestBudget(300, WINDOW, analytics_share=200)
    sent: dict[Lane, list[datetime]] = {Lane.PUBLISHING: [], Lane.ANALYTICS: []}
    retry_at = {Lane.PUBLISHING: T0, Lane.ANALYTICS: T0}
    now = T0
    # Both keep asking, 3 a second each, for half an hour; each waits when told to.
    while now < T0 + timedelta(minutes=30):
        for lane in (Lane.ANALYTICS, Lane.PUBLISHING):  # analytics asks first, every time
            for _ in range(3):
                if retry_at[lane] > now:
                    break
                at = budget.reserve(ANA, now, lane)
                if at is None:
                    sent[lane].append(now)
                else:
                    retry_at[lane] = at
        now += timedelta(seconds=1)

    both = sent[Lane.PUBLISHING] + sent[Lane.ANALYTICS]
    assert _most_in_any_window(both) == 300
    assert _most_in_any_window(sent[Lane.ANALYTICS]) <= 200
    # Publishing is never starved: it gets at least the 100 analytics may not take, in every
    # window, though analytics asked first each second.
    per_window = Counter((at - T0) // WINDOW for at in sent[Lane.PUBLISHING])
    assert len(per_window) == 6 and min(per_window.values()) >= 100


def test_publishing_may_use_the_whole_window_analytics_only_its_share() -> None:
    budget = RequestBudget(300, WINDOW, analytics_share=200)
    assert all(budget.reserve(ANA, T0, Lane.ANALYTICS) is None for _ in range(200))
    assert budget.reserve(ANA, T0, Lane.ANALYTICS) == T0 + WINDOW
    assert all(budget.reserve(ANA, T0) is None for _ in range(100))
    assert budget.reserve(ANA, T0) == T0 + WINDOW  # 300 in all

    alone = RequestBudget(300, WINDOW, analytics_share=200)
    assert all(alone.reserve(BO, T0) is None for _ in range(300))
    # Analytics never pushes the total past 300, even with its share unused.
    assert alone.reserve(BO, T0, Lane.ANALYTICS) == T0 + WINDOW
    assert budget.sent_in_window(BO, T0) == 0  # profiles are counted apart


def test_analytics_stands_aside_while_publishing_waits_for_a_slot() -> None:
    budget = RequestBudget(3, WINDOW, analytics_share=2)
    assert budget.reserve(ANA, T0, Lane.ANALYTICS) is None
    assert budget.reserve(ANA, T0 + timedelta(minutes=1)) is None
    assert budget.reserve(ANA, T0 + timedelta(minutes=1)) is None
    freed = budget.reserve(ANA, T0 + timedelta(minutes=2))  # publishing is told to wait
    assert freed == T0 + WINDOW
    # When the slot frees, analytics (share unused) asks first and is told to wait.
    assert budget.reserve(ANA, freed, Lane.ANALYTICS) is not None
    assert budget.reserve(ANA, freed) is None  # publishing gets its slot
    # A publishing demand that never comes back does not keep analytics out for ever.
    later = RequestBudget(1, WINDOW, analytics_share=1)
    assert later.reserve(ANA, T0) is None
    assert later.reserve(ANA, T0) == T0 + WINDOW
    assert later.reserve(ANA, T0 + 2 * WINDOW, Lane.ANALYTICS) is None


def test_a_429_holds_the_profile_for_publishing_and_analytics() -> None:
    budget = RequestBudget(300, WINDOW, analytics_share=200)
    until = T0 + timedelta(seconds=90)
    budget.block(ANA, until)
    budget.block(ANA, T0 + timedelta(seconds=10))  # an earlier hold does not shorten it
    assert budget.reserve(ANA, T0) == until
    assert budget.reserve(ANA, T0 + timedelta(seconds=30), Lane.ANALYTICS) == until
    assert budget.reserve(BO, T0) is None  # another profile goes on
    assert budget.reserve(ANA, until, Lane.ANALYTICS) is None
    assert budget.reserve(ANA, until) is None
