"""When people staff the line (a weekly schedule plus closed days) and how its queue behaves.

`OfficeHours` and `QueuePolicy` are pure values. `OfficeSource` keeps the office as the admins set
it in SQL (`hotline.admin.office` reads and writes it; `HOTLINE_OFFICE_HOURS` is the default week)
and is what `parts.office_hours()` and `parts.office.policy()` answer from.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from hotline.db import UNREACHABLE

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OfficeHours:
    """Opening times per weekday (0 = Monday) in the office's time zone, and days it is closed."""

    week: dict[int, tuple[time, time]]
    closed_days: frozenset[date] = field(default_factory=frozenset)
    timezone: str = "Europe/Kyiv"

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone))
        hours = self.week.get(local.weekday())
        if hours is None or local.date() in self.closed_days:
            return False
        return hours[0] <= local.time() < hours[1]

    def next_opening(self, at: datetime) -> datetime:
        """The next moment the office opens (`at` itself when open); a year ahead at most."""
        zone = ZoneInfo(self.timezone)
        local = at.astimezone(zone)
        for offset in range(366):
            day = local.date() + timedelta(days=offset)
            hours = self.week.get(day.weekday())
            if hours is None or day in self.closed_days:
                continue
            opens = datetime.combine(day, hours[0], zone)
            closes = datetime.combine(day, hours[1], zone)
            if local < closes:
                return max(opens, local)
        raise ValueError("the office never opens")


def parse_week(spec: str) -> dict[int, tuple[time, time]]:
    """'mon-thu 08:00-17:00; fri 08:00-15:45' → {0: (8:00, 17:00), …}; '24:00' closes at midnight.

    A round-the-clock office writes 'mon-sun 00:00-24:00'. Errors name the part that is wrong.
    """
    week: dict[int, tuple[time, time]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        try:
            days, hours = part.split()
            first, _, last = days.lower().partition("-")
            span = range(DAYS.index(first), DAYS.index(last or first) + 1)
            opens, _, closes = hours.partition("-")
            start, end = time.fromisoformat(opens), closing_time(closes)
        except ValueError as exc:
            raise ValueError(
                f"{part!r}: expected days and hours like 'mon-fri 08:00-17:00' (days {', '.join(DAYS)})"
            ) from exc
        if end <= start:
            raise ValueError(f"{part!r}: the office must close after it opens")
        if not span:
            raise ValueError(f"{part!r}: the first day must come before the last")
        for day in span:
            week[day] = (start, end)
    return week


def closing_time(text: str) -> time:
    """A closing time; '24:00' or '00:00' is midnight at the end of the day (`time` has no 24:00)."""
    text = text.strip()
    return time.max if text in ("24:00", "24:00:00", "00:00", "00:00:00") else time.fromisoformat(text)


def clock(moment: time) -> str:
    """'08:00'; the end-of-day midnight reads '00:00', as a time field shows and takes it."""
    return moment.strftime("%H:%M") if moment != time.max else "00:00"


def from_settings(week: str, timezone: str) -> OfficeHours:
    """The office hours configured by `HOTLINE_OFFICE_HOURS` and `HOTLINE_TIMEZONE`."""
    return OfficeHours(week=parse_week(week), timezone=timezone)


@dataclass(frozen=True)
class QueuePolicy:
    """How the specialists' queue treats people, as the admins set it (these are the defaults)."""

    wrap_up_seconds: int = 30  # an operator's pause after a conversation before the next one
    service_level_seconds: int = 60  # answered within this counts towards the service level
    callback_enabled: bool = True
    callback_offer_after_seconds: int = 120  # offer a callback when the expected wait is longer
    callback_when_closed: bool = True  # outside office hours, take a callback request instead
    callback_max_attempts: int = 3
    callback_retry_minutes: int = 30
    # The supervisor's wallboard turns a queue red (and sounds) when one of these is crossed.
    alert_waiting: int = 5  # more than this many waiting
    alert_wait_seconds: int = 120  # the longest wait above this
    alert_service_level_percent: int = 80  # today's service level below this


@dataclass(frozen=True)
class Office:
    """What every part asks about the office: when it is staffed and how its queue behaves."""

    hours: OfficeHours
    policy: QueuePolicy = field(default_factory=QueuePolicy)


class OfficeSource:
    """The office as last read from SQL, kept in the process and re-read when its revision moves.

    Request handlers call `hours()` and `policy()` freely: the revision (one tiny query) is looked
    at no more than every `recheck_seconds`, and `invalidate()` makes a change made in this process
    visible here at once; other processes see it within `recheck_seconds`.
    """

    def __init__(
        self,
        load: Callable[[], tuple[int, Office]],
        revision: Callable[[], int],
        recheck_seconds: float = 2.0,
        clock: Callable[[], float] = monotonic,
    ) -> None:
        self._load = load
        self._revision = revision
        self._recheck = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: tuple[int, Office] | None = None
        self._next_check = 0.0

    def __call__(self) -> Office:
        snapshot = self._snapshot
        if snapshot is not None and self._clock() < self._next_check:
            return snapshot[1]
        with self._lock:
            if self._snapshot is None or self._clock() >= self._next_check:
                try:
                    if self._snapshot is None or self._revision() != self._snapshot[0]:
                        self._snapshot = self._load()
                except UNREACHABLE:
                    if self._snapshot is None:
                        raise
                    # The database is away: the office as last read still holds (the queue goes on from Redis).
                self._next_check = self._clock() + self._recheck
            return self._snapshot[1]

    def hours(self) -> OfficeHours:
        return self().hours

    def policy(self) -> QueuePolicy:
        return self().policy

    def invalidate(self) -> None:
        """Forget the snapshot: the next call reads SQL again."""
        with self._lock:
            self._snapshot = None
