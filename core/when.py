"""Schedule times typed in chat (`2026-12-01 09:30`, `tomorrow 9am`, `in 2h`) and time zones."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import DomainError

MAX_AHEAD = timedelta(days=365)
EXAMPLES = "`2026-12-01 09:30`, `tomorrow 9:00`, `today 18:00` or `in 2h`"

_IN = re.compile(r"^in\s+(\d{1,4})\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?)$")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t](.+))?$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def zone(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or a refusal with an example."""
    try:
        if not name or len(name) > 64 or name.startswith(("/", ".")):
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            f"I don't know the time zone {name[:64]!r}. Use a name like Europe/Berlin, "
            "America/New_York or UTC."
        ) from None


def parse_when(text: str, *, now: datetime, tz: str) -> datetime:
    """The UTC instant `text` means in zone `tz`; refuses past, far-future and unreadable times."""
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone)
    raw = " ".join(text.lower().split())
    if len(raw) > 40:
        raise DomainError(f"That time is too long to read. Try {EXAMPLES}.")
    try:
        result = _parse(raw, local_now, local_zone)
        if result is not None:
            result = result.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31 23:00 west of UTC: beyond datetime's range
        raise DomainError("Posts can be scheduled at most a year ahead.") from None
    if result is None:
        raise DomainError(f"I can't read {text.strip()[:40]!r} as a time. Try {EXAMPLES}.")
    if result <= now:
        raise DomainError(
            f"{format_local(result, tz)} is in the past. Pick a later time, e.g. `in 1h`."
        )
    if result - now > MAX_AHEAD:
        raise DomainError("Posts can be scheduled at most a year ahead.")
    return result


def _parse(raw: str, local_now: datetime, tz: ZoneInfo) -> datetime | None:
    if m := _IN.match(raw):
        unit = _UNITS[m.group(2)[0]]
        return local_now + timedelta(**{unit: int(m.group(1))})
    if m := _DATE.match(raw):
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
        clock = _clock(m.group(4) or "9:00")
        return None if clock is None else _at(day, clock, tz)
    word, _, rest = raw.partition(" ")
    if word in ("today", "tomorrow"):
        clock = _clock(rest or "9:00")
        day = local_now.date() + timedelta(days=1 if word == "tomorrow" else 0)
        return None if clock is None else _at(day, clock, tz)
    clock = _clock(raw)
    if clock is None:
        return None
    candidate = _at(local_now.date(), clock, tz)
    # A bare time means its next occurrence.
    return candidate if candidate > local_now else _at(local_now.date() + timedelta(1), clock, tz)


def _clock(text: str) -> time | None:
    m = _CLOCK.match(text.strip().removeprefix("at ").strip())
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


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz)


def format_local(moment: datetime, tz: str) -> str:
    """`Tue 1 Dec 2026, 09:30 (Europe/Berlin)`: the time as the user reads it."""
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} ({tz})"


def format_short(moment: datetime, tz: str) -> str:
    local = moment.astimezone(zone(tz))
    return f"{local:%a} {local.day} {local:%b %H:%M}"
