"""Weekly posting slots: reading `mon 09:00`, and when a slot falls, daylight saving included.

The rule on days the clocks change (documented in README, "Templates and the queue"):
- a slot in the hour the clocks skip (02:30 on the day Europe/Berlin springs forward) falls at
  the first minute that exists after the gap (03:00 there); the other weeks keep 02:30;
- a slot in the hour the clocks repeat (02:30 on the day they fall back) falls at its first
  occurrence (the earlier, summer-time 02:30).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.errors import DomainError
from core.planning_ports import Slot
from core.replies import code
from core.when import clock_problem, read_clock

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    **{
        n: i
        for i, n in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
EVERY_DAY = ("daily", "everyday")
# The longest a clock change skips: a day (Samoa, 30 December 2011), so a gap is walked out of
# minute by minute within this bound.
_LONGEST_GAP = timedelta(hours=25)


def parse_slots(text: str) -> list[Slot]:
    """`mon 09:00`, `Monday 9am`, `daily 18:00` as slots, or a refusal that says why."""
    words = text.strip().lower().split()
    example = code("/slots add mon 09:00")
    if len(words) != 2:
        raise DomainError(f"Give a day and a time, e.g. {example} or {code('daily 18:00')}.")
    day, clock_text = words
    if day in EVERY_DAY:
        days = list(range(7))
    elif day in _NAMES:
        days = [_NAMES[day]]
    else:
        raise DomainError(
            f"I don't know the day {day[:20]!r}: use mon, tue, wed, thu, fri, sat, sun "
            f"(or daily), e.g. {example}."
        )
    clock = read_clock(clock_text)
    if clock is None:
        why = clock_problem(clock_text)
        shown = f"{clock_text[:20]!r} can't be a time" + (f": {why}" if why else "")
        raise DomainError(f"{shown}. Use 24-hour HH:MM, e.g. {example}.")
    return [Slot(d, clock.hour * 60 + clock.minute) for d in days]


def label(slot: Slot) -> str:
    """`Mon 09:00`."""
    return f"{DAYS[slot.weekday].title()} {slot.minute // 60:02d}:{slot.minute % 60:02d}"


SKIPPED, TWICE = "skipped", "twice"  # what a clock change did to a slot's time that day


def at(day: date, slot: Slot, tz: ZoneInfo) -> tuple[datetime, str | None]:
    """The UTC instant `slot` falls at on local `day` (its weekday is not checked), and what a
    clock change did to it: SKIPPED (moved to the first minute after the gap), TWICE (the
    first occurrence taken) or None."""
    wall = datetime.combine(day, time(slot.minute // 60, slot.minute % 60))
    moment = wall.replace(tzinfo=tz)  # fold=0: the first of a repeated time (PEP 495)
    if _exists(moment):
        twice = moment.replace(fold=1).utcoffset() != moment.utcoffset()
        return moment.astimezone(UTC), TWICE if twice else None
    step = wall
    while step - wall < _LONGEST_GAP:
        step += timedelta(minutes=1)
        if _exists(later := step.replace(tzinfo=tz)):
            return later.astimezone(UTC), SKIPPED
    raise AssertionError(f"no valid time within a day after {wall} in {tz.key}")


def _exists(moment: datetime) -> bool:
    """Whether the wall-clock time `moment` shows happens in its zone (not in a gap)."""
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def upcoming(
    slots: Iterable[Slot], tz: ZoneInfo, *, after: datetime, days: int
) -> Iterator[tuple[datetime, Slot, str | None]]:
    """Each occurrence of `slots` after `after`, in time order, for `days` local days:
    (UTC instant, slot, what a clock change did to it as in `at`)."""
    by_day: dict[int, list[Slot]] = {}
    for slot in sorted(set(slots)):
        by_day.setdefault(slot.weekday, []).append(slot)
    first = after.astimezone(tz).date()
    for offset in range(days + 1):
        day = first + timedelta(days=offset)
        found = [(*at(day, s, tz), s) for s in by_day.get(day.weekday(), ())]
        for moment, change, slot in sorted(found, key=lambda f: (f[0], f[2])):
            if moment > after:
                yield moment, slot, change


def note(slot: Slot, change: str | None) -> str:
    """What a clock change did to a slot's time, for the chat ("" when nothing)."""
    if change == SKIPPED:
        return f" (the clocks skip {label(slot)[4:]} that day: the first minute after the jump)"
    if change == TWICE:
        return f" ({label(slot)[4:]} happens twice that day: the first one)"
    return ""
