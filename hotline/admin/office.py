"""The office calendar and queue settings in SQL: read into an `Office`, changed by admins.

Every change bumps `office_settings.revision`, which is how every worker's `OfficeSource` learns to
re-read. Ukrainian public holidays come from the `holidays` package, a year at a time: during
martial law (since 2022) they are working days by law, so they arrive marked as worked, and the
admins decide per day.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, fields
from datetime import date, time
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin.errors import AdminError, NotFound
from hotline.admin.models import CalendarDay, OfficeSettings, WeekHours
from hotline.db import transaction, utcnow
from hotline.office_hours import Office, OfficeHours, OfficeSource, QueuePolicy, from_settings
from hotline.settings import Settings

log = logging.getLogger(__name__)

SETTINGS_ID = 1
HOLIDAY = "holiday"
CLOSURE = "closure"


class CalendarError(AdminError):
    """A calendar change that cannot be made."""


def revision(session: Session) -> int:
    return session.scalar(select(OfficeSettings.revision).where(OfficeSettings.id == SETTINGS_ID)) or 0


def load(session: Session, default: OfficeHours) -> tuple[int, Office]:
    """The office as SQL has it now, with its revision; `default` is the week until admins set one."""
    row = session.get(OfficeSettings, SETTINGS_ID)
    week = default.week
    if row is not None and row.custom_week:
        week = {w.weekday: (w.opens, w.closes) for w in session.scalars(select(WeekHours))}
    closed = frozenset(session.scalars(select(CalendarDay.day).where(CalendarDay.closed)))
    hours = OfficeHours(week=week, closed_days=closed, timezone=default.timezone)
    queue = QueuePolicy() if row is None else QueuePolicy(**{f.name: getattr(row, f.name) for f in fields(QueuePolicy)})
    return (row.revision if row else 0), Office(hours=hours, policy=queue)


def source(sessions: sessionmaker[Session], settings: Settings) -> OfficeSource:
    """The process-wide office cache; this year's and next year's holidays are loaded first."""
    default = from_settings(settings.office_hours, settings.timezone)
    this_year = utcnow().astimezone(ZoneInfo(settings.timezone)).year
    for year in (this_year, this_year + 1):
        try:
            with transaction(sessions) as session:
                preload_holidays(session, year)
        except (IntegrityError, OperationalError) as exc:  # another worker starting at once got there first
            log.info("holidays of %s not preloaded here: %s", year, type(exc).__name__)

    def read() -> tuple[int, Office]:
        with sessions() as session:
            return load(session, default)

    def current_revision() -> int:
        with sessions() as session:
            return revision(session)

    return OfficeSource(read, current_revision)


def settings_row(session: Session) -> OfficeSettings:
    """The settings row, locked for this transaction (created with the defaults if missing)."""
    row = session.get(OfficeSettings, SETTINGS_ID, with_for_update=True)
    if row is None:
        row = OfficeSettings(id=SETTINGS_ID, revision=0, holiday_years=[])
        session.add(row)
        session.flush()
    return row


def _changed(session: Session) -> OfficeSettings:
    row = settings_row(session)
    row.revision += 1
    return row


def preload_holidays(session: Session, year: int) -> int:
    """Add the Ukrainian public holidays of `year` once (a deleted one stays deleted); how many."""
    row = settings_row(session)
    if year in row.holiday_years:
        return 0
    taken = {entry.day for entry in days(session, year)}
    days_off = holidays.country_holidays("UA", years=year, categories=(holidays.PUBLIC,), language="uk")
    worked = holidays.country_holidays("UA", years=year, categories=(holidays.WORKDAY,), language="uk")
    added = 0
    for closed, found in ((True, days_off), (False, worked)):
        for day, name in sorted(found.items()):
            if day not in taken:
                session.add(CalendarDay(day=day, kind=HOLIDAY, name=name[:200], closed=closed))
                taken.add(day)
                added += 1
    row.holiday_years = sorted({*row.holiday_years, year})
    row.revision += 1
    return added


def week(session: Session, default: OfficeHours) -> dict[int, tuple[time, time]]:
    return load(session, default)[1].hours.week


def save_week(session: Session, schedule: dict[int, tuple[time, time]]) -> None:
    """Replace the weekly hours; a weekday left out is closed."""
    for day, (opens, closes) in schedule.items():
        if not 0 <= day <= 6:
            raise CalendarError("bad_weekday", f"weekday {day} does not exist")
        if closes <= opens:
            raise CalendarError("closes_before_opens", "the office must close after it opens")
    row = _changed(session)
    row.custom_week = True
    for old in session.scalars(select(WeekHours)):
        session.delete(old)
    session.flush()
    session.add_all(WeekHours(weekday=d, opens=o, closes=c) for d, (o, c) in sorted(schedule.items()))


def policy(session: Session) -> QueuePolicy:
    return load(session, OfficeHours(week={}))[1].policy


def save_policy(session: Session, new: QueuePolicy) -> None:
    row = _changed(session)
    for name, value in asdict(new).items():
        setattr(row, name, value)


def days(session: Session, year: int) -> list[CalendarDay]:
    query = select(CalendarDay).where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(query.order_by(CalendarDay.day)))


def add_closure(session: Session, *, day: date, name: str) -> CalendarDay:
    """Close the office on `day` (a holiday already there is marked closed instead)."""
    existing = session.scalar(select(CalendarDay).where(CalendarDay.day == day))
    _changed(session)
    if existing is not None:
        existing.closed = True
        return existing
    entry = CalendarDay(day=day, kind=CLOSURE, name=name.strip()[:200], closed=True)
    session.add(entry)
    session.flush()
    return entry


def set_closed(session: Session, *, day_id: int, closed: bool) -> CalendarDay:
    entry = session.get(CalendarDay, day_id)
    if entry is None:
        raise NotFound("unknown_day", f"there is no calendar day {day_id}")
    _changed(session)
    entry.closed = closed
    return entry


def delete_day(session: Session, *, day_id: int) -> CalendarDay:
    entry = session.get(CalendarDay, day_id)
    if entry is None:
        raise NotFound("unknown_day", f"there is no calendar day {day_id}")
    _changed(session)
    session.delete(entry)
    return entry
