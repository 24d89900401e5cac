"""Schedule times typed in chat (`2026-12-01 09:30`, `tomorrow 9am`, `in 2h`) and time zones."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import DomainError
from core.replies import code

MAX_AHEAD = timedelta(days=365)

# re.ASCII: `\d` would also match `²` and `١`, which int() refuses or misreads.
_IN = re.compile(r"^in\s+(\d+)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)$", re.ASCII)
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$", re.ASCII)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t](.+))?$", re.ASCII)
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# Files of the tz database that are not a place's zone: "Factory" (for systems whose zone is
# not set yet; its abbreviation is "-00"), and "localtime"/"posixrules", which systems keep
# beside the zones (tzfile(5); https://data.iana.org/time-zones/tz-link.html).
_NOT_ZONES = frozenset({"factory", "localtime", "posixrules"})


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or a refusal with an example."""
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _unknown_zone(name) from None


def zone_name(text: str) -> str:
    """The tz database's spelling of the zone `text` names in any case (`europe/berlin` →
    `Europe/Berlin`), or a refusal; non-zones such as `Factory` and `localtime` are refused."""
    found = _zone_names().get(text.strip().lower())
    if found is None:
        raise _unknown_zone(text.strip())
    return found


@functools.cache
def _zone_names() -> dict[str, str]:
    # Zone names are unique ignoring case, so the lower-case form finds the one meant.
    return {n.lower(): n for n in available_timezones() if n.lower() not in _NOT_ZONES}


def _unknown_zone(name: str) -> DomainError:
    return DomainError(
        f"I don't know the time zone {name[:64]!r}. Use a name like Europe/Berlin, "
        "America/New_York or UTC."
    )


def sample_date(now: datetime, tz: str) -> str:
    """A typed date and time a week from `now` in `tz`, for examples: `2026-12-08 09:30`."""
    return f"{now.astimezone(zone(tz)) + timedelta(days=7):%Y-%m-%d} 09:30"


def examples(now: datetime, tz: str) -> str:
    """The ways to type a time, as inline code, the dated one relative to today."""
    return (
        f"{code(sample_date(now, tz))}, {code('tomorrow 9:00')}, {code('today 18:00')} "
        f"or {code('in 2h')}"
    )


def parse_when(text: str, *, now: datetime, tz: str) -> datetime:
    """The UTC instant `text` means in zone `tz`; refuses past, far-future and unreadable times."""
    return read_when(text, now=now, tz=tz)[0]


def read_when(text: str, *, now: datetime, tz: str) -> tuple[datetime, str | None]:
    """Like `parse_when`, with a note for the user when the local time they typed does not
    exist (the clocks jump past it) or happens twice (they go back) in their zone."""
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone)
    raw = " ".join(text.lower().split())
    typed = raw[:40]
    if len(raw) > 40:
        raise DomainError(f"That time is too long to read. Try {examples(now, tz)}.")
    too_far = f"“{typed}” is more than a year ahead; posts can be scheduled at most a year ahead."
    if (m := _IN.match(raw)) and not m.group(1).strip("0"):
        raise DomainError(
            f"“{typed}” is now, not later: use a number above 0, e.g. {code('in 1h')}."
        )
    try:
        found = _parse(raw, now, local_now, local_zone)
    except OverflowError:  # e.g. 9999-12-31 23:00 west of UTC: beyond datetime's range
        raise DomainError(too_far) from None
    if found is None:
        raise DomainError(
            f"I can't read {text.strip()[:40]!r} as a time. Try {examples(now, tz)}."
        )
    result, note = found[0].astimezone(UTC), found[1]
    if result <= now:
        raise DomainError(
            f"{format_local(result, tz)} is in the past. Pick a later time, e.g. {code('in 1h')}."
        )
    if result - now > MAX_AHEAD:
        raise DomainError(too_far)
    return result, note


_Found = tuple[datetime, str | None]


def _parse(raw: str, now: datetime, local_now: datetime, tz: ZoneInfo) -> _Found | None:
    if m := _IN.match(raw):
        unit = _UNITS[m.group(2)[0]]
        # Real elapsed time: added to the instant, not to the wall clock, which jumps an hour
        # when daylight saving starts or ends in between.
        return now.astimezone(UTC) + timedelta(**{unit: int(m.group(1))}), None
    if m := _DATE.match(raw):
        year, month, day_number = int(m.group(1)), int(m.group(2)), int(m.group(3))
        try:
            day = date(year, month, day_number)
        except ValueError:
            reason = _no_such_day(year, month, day_number)
            raise DomainError(f"“{raw}” can't be a time: {reason}.") from None
        clock = _clock_of(raw, m.group(4) or "9:00")
        return None if clock is None else _at(day, clock, tz)
    word, _, rest = raw.partition(" ")
    if word in ("today", "tomorrow"):
        clock = _clock_of(raw, rest or "9:00")
        day = local_now.date() + timedelta(days=1 if word == "tomorrow" else 0)
        return None if clock is None else _at(day, clock, tz)
    clock = _clock_of(raw, raw)
    if clock is None:
        return None
    candidate = _at(local_now.date(), clock, tz)
    # A bare time means its next occurrence.
    if candidate[0] > local_now:
        return candidate
    return _at(local_now.date() + timedelta(1), clock, tz)


def read_clock(text: str) -> time | None:
    """The time of day in `09:00`, `9:30`, `at 9am`, `6pm`, `18h`; None for anything else. The
    one reader of a typed clock time: `/schedule` and `/digest time` take the same ones."""
    m = _CLOCK.match(text.strip().lower().removeprefix("at ").strip().removesuffix("h"))
    if not m:
        return None
    hour, minute, half = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def clock_problem(text: str) -> str | None:
    """Why `text`, shaped like a clock time, is none (`24:00`: "hours go up to 23"); None when
    it is one or is not shaped like one (then it is simply unreadable)."""
    m = _CLOCK.match(text.strip().lower().removeprefix("at ").strip().removesuffix("h"))
    if not m or read_clock(text) is not None:
        return None
    hour, half = int(m.group(1)), m.group(3)
    if half and not 1 <= hour <= 12:
        return f"with {half} the hour is 1 to 12"
    if hour > 23:
        return "hours go up to 23 (midnight is 00:00)"
    return "minutes go up to 59"


def _clock_of(raw: str, text: str) -> time | None:
    clock = read_clock(text)
    if clock is None and (problem := clock_problem(text)):
        raise DomainError(f"“{raw}” can't be a time: {problem}.")
    return clock


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _no_such_day(year: int, month: int, day: int) -> str:
    """Why a typed date is not in the calendar: `2027-02-29` → "2027 has no 29 February"."""
    if year < 1:
        return "years start at 1"
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}; months go from 01 to 12"
    if day < 1:
        return "days start at 01"
    name = _MONTHS[month - 1]
    if month == 2 and day == 29:
        return f"{year} has no 29 February (it is not a leap year)"
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return f"{name} has {last} days, so there is no {day} {name}"


def local_instant(moment: datetime, tz: str) -> tuple[datetime, str | None]:
    """The UTC instant of the wall-clock time `moment` (naive, to the minute) in zone `tz`,
    with the note `read_when` gives for a time the clocks skip or repeat."""
    found, note = _at(moment.date(), time(moment.hour, moment.minute), zone(tz))
    return found.astimezone(UTC), note


def _at(day: date, clock: time, tz: ZoneInfo) -> _Found:
    """`clock` on `day` in `tz`, and a note when that wall-clock time is skipped or doubled."""
    moment = datetime.combine(day, clock, tzinfo=tz)
    shown = f"{clock:%H:%M} on {moment:%a} {day.day} {moment:%b %Y} in {tz.key}"
    actual = moment.astimezone(UTC).astimezone(tz)
    if actual.replace(tzinfo=None) != moment.replace(tzinfo=None):
        # A time in the gap when the clocks jump forward: zoneinfo reads it with the offset
        # before the jump (PEP 495, fold=0), which moves it on by the jump (02:30 → 03:30).
        return moment, (
            f"Note: {shown} does not exist (the clocks jump forward), so I took {actual:%H:%M %Z}."
        )
    if moment.replace(fold=1).utcoffset() != moment.utcoffset():
        return moment, (
            f"Note: {shown} happens twice (the clocks go back); I took the first, "
            f"{moment:%H:%M %Z}."
        )
    return moment, None


def month_of(moment: datetime, tz: str) -> tuple[datetime, datetime]:
    """The calendar month `moment` falls in, in zone `tz`, as UTC bounds [start, end)."""
    start = moment.astimezone(zone(tz)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)  # midnight on the next month's 1st
    return start.astimezone(UTC), end.astimezone(UTC)


def format_local(moment: datetime, tz: str) -> str:
    """`Tue 1 Dec 2026, 09:30 (Europe/Berlin)`: the time as the user reads it."""
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz})"


def format_short(moment: datetime, tz: str) -> str:
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %H:%M}"
