"""Office settings: business hours per weekday, the calendar of holidays and closures, queue policy.

Each change is audited, bumps the revision every worker watches, and is visible in this process
at once (`parts.office.invalidate()`).
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import date, time
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from hotline.admin import audit, office, stats
from hotline.admin.errors import AdminError
from hotline.admin.web import AdminUser, complete_form, done, page, pages
from hotline.db import RowId, transaction
from hotline.deps import Parts, PartsDep
from hotline.office_hours import DAYS, QueuePolicy, clock, closing_time, from_settings

YEARS_BACK, YEARS_AHEAD = 1, 5  # how far the calendar page goes (holidays are preloaded on the way)
LIMITS = {  # bounds of each queue setting, in its own unit
    "wrap_up_seconds": (0, 3600),
    "service_level_seconds": (5, 3600),
    "callback_offer_after_seconds": (0, 7200),
    "callback_max_attempts": (1, 10),
    "callback_retry_minutes": (1, 24 * 60),
    "alert_waiting": (1, 1000),
    "alert_wait_seconds": (10, 7200),
    "alert_service_level_percent": (1, 100),
}


def _change(
    parts: Parts, user: AdminUser, action: str, target: str, work: Callable[[Session], dict[str, Any]]
) -> dict[str, Any]:
    """Run one office change with its audit entry (what `work` returns), then show it here at once."""
    with transaction(parts.sessions) as session:
        detail = work(session)
        audit.record(session, actor=user, action=action, target=target, detail=detail)
    parts.office.invalidate()
    return detail


@pages.get("/office", response_class=HTMLResponse)
def office_page(
    request: Request, parts: PartsDep, user: AdminUser, year: Annotated[int | None, Query(ge=2000, le=2200)] = None
) -> Response:
    this_year = stats.today(parts.settings.timezone).year
    year = year or this_year
    if not this_year - YEARS_BACK <= year <= this_year + YEARS_AHEAD:
        raise AdminError(
            "bad_year", "that year is too far away", first=this_year - YEARS_BACK, last=this_year + YEARS_AHEAD
        )
    default = from_settings(parts.settings.office_hours, parts.settings.timezone)
    with transaction(parts.sessions) as session:
        if office.preload_holidays(session, year):
            parts.office.invalidate()
        week = office.week(session, default)
        policy = office.policy(session)
        entries = office.days(session, year)
    by_day = {e.day: e for e in entries}
    months = [calendar.Calendar().monthdatescalendar(year, month) for month in range(1, 13)]
    context = {
        "year": year,
        "years": range(this_year - YEARS_BACK, this_year + YEARS_AHEAD + 1),
        "week": {day: (clock(opens), clock(closes)) for day, (opens, closes) in week.items()},
        "days": DAYS,
        "policy": policy,
        "limits": LIMITS,
        "entries": entries,
        "by_day": by_day,
        "months": months,
    }
    return page(request, user, "admin_office.html", context)


def _time(value: str, read: Callable[[str], time] = time.fromisoformat) -> time:
    try:
        return read(value.strip())
    except ValueError:
        raise AdminError("bad_time", f"{value!r} is not a time like 08:00") from None


@pages.post("/office/week")
async def save_week(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    form = await complete_form(request, *(f"{edge}_{day}" for day in range(7) for edge in ("opens", "closes")))
    schedule = {
        # Closing at 00:00 is midnight at the end of the day: a round-the-clock day is 00:00-00:00.
        day: (_time(str(form.get(f"opens_{day}", ""))), _time(str(form.get(f"closes_{day}", "")), closing_time))
        for day in range(7)
        if form.get(f"open_{day}")
    }

    def work(session: Session) -> dict[str, Any]:
        office.save_week(session, schedule)
        return {"week": {DAYS[d]: f"{clock(o)}-{clock(c)}" for d, (o, c) in sorted(schedule.items())}}

    await run_in_threadpool(_change, parts, user, "office.week", "week", work)
    return done(request, "/admin/office", "saved_week")


@pages.post("/office/policy")
async def save_policy(request: Request, parts: PartsDep, user: AdminUser) -> Response:
    form = await request.form()
    values: dict[str, Any] = {}
    for f in fields(QueuePolicy):
        raw = str(form.get(f.name, ""))
        if isinstance(f.default, bool):
            values[f.name] = bool(raw)
            continue
        low, high = LIMITS[f.name]
        if not raw.strip().isdigit() or not low <= int(raw) <= high:
            raise AdminError("bad_number", f"{f.name} must be a whole number {low}–{high}", low=low, high=high)
        values[f.name] = int(raw)
    new = QueuePolicy(**values)

    def work(session: Session) -> dict[str, Any]:
        old = asdict(office.policy(session))
        office.save_policy(session, new)
        return {"changes": {k: [old[k], v] for k, v in asdict(new).items() if old[k] != v}}

    await run_in_threadpool(_change, parts, user, "office.policy", "queue", work)
    return done(request, "/admin/office", "saved_policy")


@pages.post("/office/days")
def add_closure(
    request: Request,
    parts: PartsDep,
    user: AdminUser,
    day: Annotated[date, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    def work(session: Session) -> dict[str, Any]:
        return {"day": day.isoformat(), "name": office.add_closure(session, day=day, name=name).name}

    _change(parts, user, "office.closure", day.isoformat(), work)
    return done(request, f"/admin/office?year={day.year}", "saved_day", day=day.isoformat())


@pages.post("/office/days/{day_id}")
def set_closed(
    request: Request, parts: PartsDep, user: AdminUser, day_id: RowId, closed: Annotated[bool, Form()]
) -> Response:
    def work(session: Session) -> dict[str, Any]:
        entry = office.set_closed(session, day_id=day_id, closed=closed)
        return {"day": entry.day.isoformat(), "name": entry.name, "closed": closed}

    day = _change(parts, user, "office.day", str(day_id), work)["day"]
    return done(request, f"/admin/office?year={day[:4]}", "saved_day", day=day)


@pages.post("/office/days/{day_id}/delete")
def delete_day(request: Request, parts: PartsDep, user: AdminUser, day_id: RowId) -> Response:
    def work(session: Session) -> dict[str, Any]:
        entry = office.delete_day(session, day_id=day_id)
        return {"day": entry.day.isoformat(), "name": entry.name}

    day = _change(parts, user, "office.day_delete", str(day_id), work)["day"]
    return done(request, f"/admin/office?year={day[:4]}", "deleted_day", day=day)
