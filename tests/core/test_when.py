"""Typed schedule times in the user's zone, and refusals for past or unreadable ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.errors import DomainError
from core.when import format_local, parse_when

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 11:00 in Berlin


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-01 09:30", "Europe/Berlin", datetime(2026, 12, 1, 8, 30, tzinfo=UTC)),
        ("tomorrow 9:00", "Europe/Berlin", datetime(2026, 11, 25, 8, 0, tzinfo=UTC)),
        ("tomorrow 9am", "UTC", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        ("today 18:00", "America/New_York", datetime(2026, 11, 24, 23, 0, tzinfo=UTC)),
        ("in 2h", "Asia/Tokyo", datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        ("in 30 minutes", "UTC", datetime(2026, 11, 24, 10, 30, tzinfo=UTC)),
        ("In 1 day", "UTC", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
        ("9:30", "UTC", datetime(2026, 11, 25, 9, 30, tzinfo=UTC)),  # next occurrence
        ("12pm", "UTC", datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
    ],
)
def test_typed_times(text: str, tz: str, expected: datetime) -> None:
    assert parse_when(text, now=NOW, tz=tz) == expected


def test_daylight_saving_is_the_zones_business() -> None:
    # 29 March 2027 is summer time in Berlin: 09:30 local is 07:30 UTC.
    march = parse_when("2027-03-29 09:30", now=NOW, tz="Europe/Berlin")
    assert march == datetime(2027, 3, 29, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-11-23 09:00", "in the past"),
        ("today 8:00", "in the past"),
        ("yesterday", "can't read"),
        ("2026-02-30 10:00", "can't read"),
        ("25:00", "can't read"),
        ("13pm", "can't read"),
        ("in 2 fortnights", "can't read"),
        ("2028-01-01 10:00", "a year ahead"),
        ("x" * 500, "too long"),
    ],
)
def test_bad_times_are_refused_clearly(text: str, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        parse_when(text, now=NOW, tz="UTC")


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../../etc/passwd", "", "x" * 100])
def test_unknown_zones_are_refused(tz: str) -> None:
    with pytest.raises(DomainError, match="time zone"):
        parse_when("in 1h", now=NOW, tz=tz)


def test_format_names_the_zone() -> None:
    moment = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert format_local(moment, "Europe/Berlin") == "Tue 1 Dec 2026, 09:30 (Europe/Berlin)"
