"""When people staff the line: a weekly schedule plus closed days (holidays, closures). Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
    """'mon-thu 08:00-17:00; fri 08:00-15:45' → {0: (8:00, 17:00), …}."""
    week: dict[int, tuple[time, time]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days, hours = part.split()
        first, _, last = days.lower().partition("-")
        start, end = (time.fromisoformat(h) for h in hours.split("-"))
        if end <= start:
            raise ValueError(f"{part!r}: the office must close after it opens")
        span = range(DAYS.index(first), DAYS.index(last or first) + 1)
        for day in span:
            week[day] = (start, end)
    return week


def from_settings(week: str, timezone: str) -> OfficeHours:
    """The office hours configured by `HOTLINE_OFFICE_HOURS` and `HOTLINE_TIMEZONE`."""
    return OfficeHours(week=parse_week(week), timezone=timezone)
