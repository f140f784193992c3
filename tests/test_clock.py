"""Durations and the Chinese working-day calendar (holidays and 调休)."""

from __future__ import annotations

import datetime as dt

import pytest

from yuqing.clock import TZ, Duration, WorkCalendar, package_years
from yuqing.errors import CalendarNotCovered


def test_durations_parse_with_units():
    assert Duration.parse("5h").as_timedelta() == dt.timedelta(hours=5)
    assert Duration.parse("30m").as_timedelta() == dt.timedelta(minutes=30)
    assert Duration.parse("3 working days").is_working_days
    with pytest.raises(ValueError, match="bare number"):
        Duration.parse(5)
    with pytest.raises(ValueError):
        Duration.parse("soon")


def test_policy_published_friday_before_national_day_2026():
    # 2026-09-30 is a Wednesday before the 1–7 October holiday; 10 October (Saturday) is a 调休 workday.
    published = dt.datetime(2026, 9, 30, 16, 0, tzinfo=TZ)
    due = Duration.parse("3 working days").add_to(published, WorkCalendar())
    assert due == dt.datetime(2026, 10, 10, 23, 59, 59, tzinfo=TZ)


def test_weekend_is_skipped():
    friday = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    due = WorkCalendar().add_working_days(friday, 1)
    assert due.date() == dt.date(2026, 11, 23)


def test_configured_override_wins_over_package_calendar():
    cal = WorkCalendar(extra_holidays=[dt.date(2026, 11, 23)])
    friday = dt.datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
    assert cal.add_working_days(friday, 1).date() == dt.date(2026, 11, 24)


def test_a_year_without_holiday_data_is_refused_naming_the_calendar_file():
    cal = WorkCalendar()
    with pytest.raises(CalendarNotCovered) as err:
        cal.is_working_day(dt.date(2031, 3, 3))
    assert err.value.year == 2031
    assert "config/calendar.yaml" in str(err.value) and "covered_years" in str(err.value)
    with pytest.raises(CalendarNotCovered):
        Duration.parse("3 working days").add_to(dt.datetime(2026, 12, 30, 10, tzinfo=TZ), cal)


def test_a_year_entered_in_the_calendar_file_is_counted_with_its_holidays():
    # A made-up notice for 2031: 1-3 March off, Sunday 9 March a make-up working day.
    cal = WorkCalendar(extra_holidays=[dt.date(2031, 3, d) for d in (3, 4, 5)],
                       extra_workdays=[dt.date(2031, 3, 9)], covered_years=[2031])
    assert cal.covers(2031) and not cal.covers(2032)
    assert not cal.is_working_day(dt.date(2031, 3, 3))  # a Monday, but a holiday
    assert cal.is_working_day(dt.date(2031, 3, 6))
    assert not cal.is_working_day(dt.date(2031, 3, 8))  # a Saturday
    assert cal.is_working_day(dt.date(2031, 3, 9))  # a Sunday, made up
    due = Duration.parse("3 working days").add_to(dt.datetime(2031, 2, 28, 10, tzinfo=TZ), cal)
    assert due == dt.datetime(2031, 3, 9, 23, 59, 59, tzinfo=TZ)  # 6, 7 and the made-up 9 March; not 3-5


def test_next_year_is_reported_missing_from_1_november_of_a_covered_year():
    cal = WorkCalendar()
    last = max(package_years())
    assert cal.missing_next_year(now=dt.datetime(last, 10, 31, 23, 59, tzinfo=TZ)) is None
    assert cal.missing_next_year(now=dt.datetime(last, 11, 1, 0, 0, tzinfo=TZ)) == last + 1
    assert cal.missing_next_year(now=dt.datetime(last, 12, 31, 12, tzinfo=TZ)) == last + 1
    assert cal.missing_next_year(now=dt.datetime(last, 10, 1, tzinfo=TZ), from_month_day=(10, 1)) == last + 1
    covered = WorkCalendar(extra_holidays=[dt.date(last + 1, 1, 1)], covered_years=[last + 1])
    assert covered.missing_next_year(now=dt.datetime(last, 11, 15, tzinfo=TZ)) is None
    assert cal.missing_next_year(now=dt.datetime(last - 1, 11, 15, tzinfo=TZ)) is None  # next year is known
