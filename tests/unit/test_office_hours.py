"""Office hours: weekly schedule, closed days, time zone, next opening."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from hotline.office_hours import OfficeHours, parse_week
from hotline.settings import Settings


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


def test_a_round_the_clock_office_is_open_at_every_minute_of_the_day() -> None:
    hours = OfficeHours(week=parse_week("mon-sun 00:00-24:00"), timezone="Europe/Kyiv")
    kyiv = ZoneInfo("Europe/Kyiv")
    for moment in (datetime(2026, 11, 23, 0, 0, tzinfo=kyiv), datetime(2026, 11, 29, 23, 59, 59, tzinfo=kyiv)):
        assert hours.is_open(moment)
        assert hours.next_opening(moment) == moment


@pytest.mark.parametrize("spec", ["mon-fri 8-17", "mo 08:00-17:00", "fri-mon 08:00-17:00", "mon 08:00-25:00"])
def test_a_wrong_week_is_refused_with_the_part_named(spec: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(spec))):
        parse_week(spec)


def test_the_setting_is_checked_when_the_service_starts() -> None:
    with pytest.raises(ValidationError, match="expected days and hours"):
        Settings(office_hours="weekdays 9 to 5")
