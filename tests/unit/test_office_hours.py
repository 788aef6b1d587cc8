"""Office hours: weekly schedule, closed days, time zone, next opening."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from hotline.office_hours import OfficeHours, parse_week


def test_parse_week_and_open_hours_in_the_office_time_zone() -> None:
    hours = OfficeHours(week=parse_week("mon-thu 08:00-17:00; fri 08:00-15:45"))
    assert hours.week[0] == (time(8), time(17)) and hours.week[4] == (time(8), time(15, 45)) and 5 not in hours.week
    # 06:30 UTC on Monday 23 Nov 2026 is 08:30 in Kyiv (UTC+2 in winter).
    assert hours.is_open(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 23, 5, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))  # Friday 16:00 in Kyiv
    assert not hours.is_open(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # Saturday


def test_closed_days_and_next_opening() -> None:
    hours = OfficeHours(week=parse_week("mon-fri 09:00-18:00"), closed_days=frozenset({date(2026, 12, 25)}))
    christmas_noon = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
    assert not hours.is_open(christmas_noon)
    opening = hours.next_opening(christmas_noon)
    assert (opening.date(), opening.time()) == (date(2026, 12, 28), time(9))
    open_now = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert hours.next_opening(open_now) == open_now


def test_a_bad_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="close after it opens"):
        parse_week("mon 17:00-08:00")
