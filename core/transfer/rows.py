"""One import row checked on its own: its text, networks, time, media and campaign."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from core import limits
from core.analytics.campaigns import parse_campaign
from core.errors import DomainError
from core.graphemes import visible
from core.import_ports import PlannedPost
from core.model import Network, Profile
from core.policy import Policy
from core.transfer.table import CAMPAIGN, MEDIA, NETWORKS, TEXT, TIME, Row
from core.when import MAX_AHEAD, format_local, local_instant, read_when, zone_name

_LIST = re.compile(r"[\s,;|/+]+")
# Media cells hold links apart by spaces, line breaks or |; a comma only before a link
# (a comma may be part of one).
_MEDIA_LIST = re.compile(r"[\s|]+|,(?=\s*https://)")
_Refuse = Callable[[str, str], None]
_KNOWN = ", ".join(n.value for n in Network)
TIME_FORMS = "2026-12-24 09:00, 2026-12-24T09:00+01:00 or 2026-12-24 09:00 Europe/Berlin"


@dataclass(frozen=True, slots=True)
class RowError:
    """Why row `row` is not imported; `column` is the one to fix ("" for the plan's limits)."""

    row: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class RowCheck:
    """The checks a row needs nothing stored for: the profile as it is, at `now`."""

    profile: Profile
    policy: Policy
    unavailable: Mapping[Network, str]
    now: datetime

    def check(self, row: Row) -> PlannedPost | list[RowError]:
        """The post `row` becomes, or every reason it cannot."""
        errors: list[RowError] = []

        def refuse(column: str, reason: str) -> None:
            errors.append(RowError(row.number, column, reason))

        text = row.cells.get(TEXT, "")
        if not visible(text):
            text = ""
        try:
            media = _media(row.cells.get(MEDIA, ""))
        except DomainError as e:
            refuse(MEDIA, str(e))
            media = ()
        if not text and not media and not errors:
            refuse(TEXT, "empty: write the post's text (or give media)")
        networks = self._networks(row.cells.get(NETWORKS, ""), refuse)
        due: datetime | None = None
        try:
            due = read_time(row.cells.get(TIME, ""), now=self.now, tz=self.profile.timezone)
        except DomainError as e:
            refuse(TIME, str(e))
        campaign: str | None = None
        if raw := row.cells.get(CAMPAIGN, ""):
            try:
                campaign = parse_campaign(raw)
            except DomainError as e:
                refuse(CAMPAIGN, str(e))
        for network in networks:
            for problem in limits.text_problems(network, text):
                refuse(TEXT, problem)
            shown = set(limits.text_problems(network, text))
            for problem in limits.problems(network, text, media):
                if problem not in shown:
                    refuse(MEDIA, problem)
        if errors or due is None:
            return errors
        return PlannedPost(row.number, text, networks, due, media, campaign)

    def recheck(self, post: PlannedPost) -> list[RowError]:
        """What changed since `post` was previewed (the time passed, a network was
        disconnected or the plan ended): the checks that depend on the profile and the clock."""
        errors: list[RowError] = []

        def refuse(column: str, reason: str) -> None:
            errors.append(RowError(post.row, column, reason))

        kept = self._networks(" ".join(n.value for n in post.networks), refuse)
        if not errors and kept != post.networks:
            refuse(NETWORKS, "its networks changed")
        if post.due <= self.now:
            refuse(TIME, f"{format_local(post.due, self.profile.timezone)} has passed")
        return errors

    def _networks(self, cell: str, refuse: _Refuse) -> tuple[Network, ...]:
        names = [n for n in _LIST.split(cell.strip()) if n]
        if not names:
            refuse(NETWORKS, f"empty: name one or more of {_KNOWN}")
            return ()
        found: list[Network] = []
        for name in names:
            network = Network.parse(name)
            if network is None:
                refuse(NETWORKS, f"unknown network {name[:20]!r} (I know {_KNOWN})")
            elif not self.policy.allows(self.profile.tier, network):
                refuse(NETWORKS, self.policy.refusal(self.profile.tier, network))
            elif reason := self.unavailable.get(network):
                refuse(NETWORKS, f"{network.label}: {reason}")
            elif network not in self.profile.connected():
                refuse(NETWORKS, f"{network.label} is not connected: /connect")
            elif network not in found:
                found.append(network)
        return tuple(sorted(found, key=lambda n: n.rank))


def _media(cell: str) -> tuple[str, ...]:
    urls = [u for u in _MEDIA_LIST.split(cell.strip()) if u]
    most = max(lim.max_media for lim in limits.LIMITS.values())
    if len(urls) > most:
        raise DomainError(f"{len(urls)} media; no network takes more than {most}")
    return limits.check_media_urls(urls)


def read_time(cell: str, *, now: datetime, tz: str) -> datetime:
    """The UTC instant a time cell means: ISO 8601 with an offset or Z, a date and time then
    an IANA zone (`2026-12-24 09:00 Europe/Berlin`), or a date and time in the profile's zone
    `tz`; also what /schedule reads (`tomorrow 9:00`). Past and far-future times are refused."""
    raw = " ".join(cell.split())
    if not raw:
        raise DomainError(f"empty: give the time, e.g. {TIME_FORMS}")
    if len(raw) > 60:
        raise DomainError(f"too long to be a time; use {TIME_FORMS}")
    moment = _iso(raw)
    zone = tz
    if moment is None and " " in raw:
        head, _, last = raw.rpartition(" ")
        if "/" in last or last.upper() in ("UTC", "GMT"):
            zone = zone_name(last)  # refuses an unknown zone by name
            moment = _iso(head)
            if moment is None or moment.tzinfo is not None:
                raise DomainError(f"I can't read {head!r} as a date and time; use {TIME_FORMS}")
    if moment is None:
        try:
            return read_when(raw, now=now, tz=tz)[0]
        except DomainError:
            raise DomainError(f"I can't read {raw!r} as a time; use {TIME_FORMS}") from None
    if moment.tzinfo is None:
        moment = local_instant(moment, zone)[0]
    moment = moment.astimezone(UTC)
    if moment <= now:
        raise DomainError(f"{format_local(moment, zone)} is in the past")
    if moment - now > MAX_AHEAD:
        raise DomainError(f"{format_local(moment, zone)} is more than a year ahead")
    return moment


def _iso(text: str) -> datetime | None:
    """An ISO 8601 date and time (a bare date is not a time), or None."""
    if len(text) < 16 or not text[:4].isdigit():
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
