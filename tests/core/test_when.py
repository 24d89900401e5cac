"""Typed schedule times in the user's zone, and refusals for past or unreadable ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import DomainError
from core.when import format_local, parse_when, read_when, zone_name

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
        ("2026-02-30 10:00", "can't be a time: February has 28 days"),
        ("25:00", "can't be a time: hours go up to 23"),
        ("13pm", "can't be a time: with pm the hour is 1 to 12"),
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


# 01:30 CET in Berlin; at 02:00 the clocks jump to 03:00 CEST.
SPRING_NIGHT = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("in 2h", timedelta(hours=2)),
        ("in 90 minutes", timedelta(minutes=90)),
        ("in 1 day", timedelta(hours=24)),
        ("in 3000h", timedelta(hours=3000)),
    ],
)
@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe"])
def test_relative_times_are_real_elapsed_time(text: str, after: timedelta, tz: str) -> None:
    assert read_when(text, now=SPRING_NIGHT, tz=tz) == (SPRING_NIGHT + after, None)


def test_in_2h_on_the_spring_forward_night_is_0430_cest() -> None:
    moment = parse_when("in 2h", now=SPRING_NIGHT, tz="Europe/Berlin")
    assert format_local(moment, "Europe/Berlin") == "Sun 28 Mar 2027, 04:30 (Europe/Berlin)"


@pytest.mark.parametrize("text", ["2:30", "today 2:30", "2027-03-28 02:30", "2:30am"])
def test_a_local_time_that_does_not_exist_is_moved_with_a_note(text: str) -> None:
    moment, note = read_when(text, now=SPRING_NIGHT, tz="Europe/Berlin")
    assert moment == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert note == (
        "Note: 02:30 on Sun 28 Mar 2027 in Europe/Berlin does not exist "
        "(the clocks jump forward), so I took 03:30 CEST."
    )


def test_a_local_time_that_happens_twice_takes_the_first_with_a_note() -> None:
    moment, note = read_when("2027-10-31 02:30", now=SPRING_NIGHT, tz="Europe/Berlin")
    assert moment == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST, not CET
    assert note == (
        "Note: 02:30 on Sun 31 Oct 2027 in Europe/Berlin happens twice "
        "(the clocks go back); I took the first, 02:30 CEST."
    )


def test_ordinary_local_times_carry_no_note() -> None:
    assert read_when("3:30", now=SPRING_NIGHT, tz="Europe/Berlin") == (
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        None,
    )
    assert read_when("2:30", now=SPRING_NIGHT, tz="UTC")[1] is None


@pytest.mark.parametrize(
    ("typed", "name"),
    [("utc", "UTC"), ("europe/berlin", "Europe/Berlin"), ("Europe/Berlin", "Europe/Berlin")],
)
def test_zone_names_are_read_in_any_case(typed: str, name: str) -> None:
    assert zone_name(typed) == name


@pytest.mark.parametrize("typed", ["localtime", "Factory", "posixrules", "right/UTC", "", "x"])
def test_non_zones_are_refused(typed: str) -> None:
    with pytest.raises(DomainError, match="don't know the time zone"):
        zone_name(typed)
