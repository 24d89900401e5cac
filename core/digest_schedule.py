"""Digest subscriptions and their delivery times: a chat, a local time, daily or on Mondays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.model import ChatRef

__all__ = [
    "DEFAULT_MINUTE",
    "DeliveryStatus",
    "DigestClaim",
    "DigestSubscription",
    "latest_occurrence",
    "next_occurrence",
]

DEFAULT_MINUTE = 9 * 60  # 09:00 in the profile's time zone
MONDAY = 0


class DeliveryStatus(StrEnum):
    SENDING = "sending"  # claimed by a worker under a lease
    RETRY = "retry"  # the send failed; due again at `locked_until`
    SENT = "sent"
    FAILED = "failed"  # gave up after repeated send failures


@dataclass(slots=True)
class DigestSubscription:
    """One chat receiving one profile's digest."""

    id: int
    profile_id: int
    chat: ChatRef
    created_at: datetime
    enabled: bool = True
    minute_of_day: int = DEFAULT_MINUTE
    weekly: bool = False  # Mondays only, covering the week before
    next_due_at: datetime | None = None

    @property
    def local_time(self) -> str:
        return f"{self.minute_of_day // 60:02d}:{self.minute_of_day % 60:02d}"


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """A (subscription, day) this worker holds and must send, then mark sent."""

    subscription: DigestSubscription
    day: date
    attempts: int
    late_for: datetime | None = None  # when it was due, if the bot was down then


def _at(day: date, minute: int, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _runs_on(day: date, weekly: bool) -> bool:
    return not weekly or day.weekday() == MONDAY


def next_occurrence(after: datetime, minute: int, weekly: bool, tz: ZoneInfo) -> datetime:
    """The first delivery time strictly after `after` (UTC), at `minute` local time."""
    day = after.astimezone(tz).date()
    for offset in range(9):
        candidate_day = day + timedelta(days=offset)
        if not _runs_on(candidate_day, weekly):
            continue
        at = _at(candidate_day, minute, tz)
        if at > after:
            return at
    raise AssertionError("a delivery time falls within any 9 days")


def latest_occurrence(now: datetime, minute: int, weekly: bool, tz: ZoneInfo) -> datetime:
    """The last delivery time at or before `now` (UTC); its local date is the digest's date."""
    day = now.astimezone(tz).date()
    for offset in range(9):
        candidate_day = day - timedelta(days=offset)
        if not _runs_on(candidate_day, weekly):
            continue
        at = _at(candidate_day, minute, tz)
        if at <= now:
            return at
    raise AssertionError("a delivery time falls within any 9 days")
