"""Durations and the Chinese working-day calendar (holidays and 调休)."""

from __future__ import annotations

import datetime as dt

import pytest

from yuqing.clock import TZ, Duration, WorkCalendar


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


def test_year_beyond_package_data_falls_back_to_weekends():
    cal = WorkCalendar()
    assert cal.is_working_day(dt.date(2031, 3, 3))  # a Monday
    assert not cal.is_working_day(dt.date(2031, 3, 1))  # a Saturday
