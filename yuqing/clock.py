"""Time: the Asia/Shanghai zone, typed durations and the Chinese working-day calendar.

Functions that decide anything about deadlines take ``now`` and a :class:`WorkCalendar` as
parameters; only the outermost layer (CLI, DAG task) calls :func:`now`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from yuqing.errors import CalendarNotCovered

log = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def now() -> dt.datetime:
    """The current time in Asia/Shanghai. Call only at the outermost layer."""
    return dt.datetime.now(TZ)


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in Asia/Shanghai; naive values are taken to be Shanghai wall time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=TZ)
    return value.astimezone(TZ)


def parse_ts(value: str | dt.datetime | None) -> dt.datetime | None:
    """Parse a stored ISO-8601 timestamp into an aware Shanghai datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return to_local(value)
    return to_local(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def iso(value: dt.datetime | None) -> str | None:
    """The storage form of a timestamp: ISO-8601 with the +08:00 offset."""
    return None if value is None else to_local(value).isoformat(timespec="seconds")


_DURATION = re.compile(
    r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>working days?|workdays?|wd|days?|d|hours?|h|minutes?|min|m|seconds?|s)\s*$",
    re.IGNORECASE,
)
_UNITS = {
    "s": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "wd": "working_days", "workday": "working_days", "workdays": "working_days",
    "working day": "working_days", "working days": "working_days",
}


@dataclasses.dataclass(frozen=True)
class Duration:
    """A typed span: ``5h``, ``30m``, ``2 days`` or ``3 working days``."""

    amount: float
    unit: str  # seconds | minutes | hours | days | working_days

    @classmethod
    def parse(cls, text: str | int | float | Duration) -> Duration:
        if isinstance(text, Duration):
            return text
        if isinstance(text, int | float):
            raise ValueError(f"bare number {text!r}: write a unit, e.g. '{text}h' or '{text} working days'")
        match = _DURATION.match(str(text))
        if not match:
            raise ValueError(f"{text!r} is not a duration (e.g. '5h', '30m', '48h', '3 working days')")
        unit = _UNITS[match["unit"].lower()]
        amount = float(match["n"])
        if unit == "working_days" and amount != int(amount):
            raise ValueError(f"{text!r}: working days are counted whole (write e.g. '1 working day' or "
                             f"'2 working days')")
        return cls(amount, unit)

    @property
    def is_working_days(self) -> bool:
        return self.unit == "working_days"

    def as_timedelta(self) -> dt.timedelta:
        if self.is_working_days:
            raise ValueError("a working-day duration needs a calendar: use add_to(start, calendar)")
        return dt.timedelta(**{self.unit: self.amount})

    def add_to(self, start: dt.datetime, calendar: WorkCalendar) -> dt.datetime:
        """``start`` plus this duration; working days count on the Chinese calendar."""
        if self.is_working_days:
            return calendar.add_working_days(start, int(self.amount))
        return start + self.as_timedelta()

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        labels = {"seconds": "s", "minutes": "m", "hours": "h", "days": " days", "working_days": " working days"}
        return f"{amount}{labels[self.unit]}"

    def describe_zh(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        labels = {"seconds": "秒", "minutes": "分钟", "hours": "小时", "days": "天", "working_days": "个工作日"}
        return f"{amount}{labels[self.unit]}"


@functools.cache
def package_years() -> range:
    """The years the ``chinese_calendar`` package has holiday data for."""
    import chinese_calendar  # imported lazily: it loads its tables at import

    years = {d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays}
    return range(min(years), max(years) + 1)


class WorkCalendar:
    """Chinese working days: weekends and public holidays off, make-up days (调休) on.

    Backed by ``chinese_calendar`` for the years it knows; ``extra_holidays`` and ``extra_workdays``
    (from ``config/calendar.yaml``) override it, so an operator can add next year's State Council
    notice before the package catches up, and ``covered_years`` says which years that notice is
    entered in full for.

    A year neither covers is refused (:class:`~yuqing.errors.CalendarNotCovered`) rather than
    counted as weekends only: a deadline counted over an unknown Spring Festival would be days
    wrong and would be recorded and enforced as if right. The refusal fails the task that needed
    it (Airflow retries it and shows it), and :meth:`missing_next_year` lets the alert rules warn
    the duty desk two months ahead.
    """

    def __init__(self, extra_holidays: Iterable[dt.date] = (), extra_workdays: Iterable[dt.date] = (),
                 covered_years: Iterable[int] = (), *, source: str = "config/calendar.yaml") -> None:
        self.extra_holidays = frozenset(extra_holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self.covered_years = frozenset(covered_years)
        self.source = source

    def covers(self, year: int) -> bool:
        """Whether working days in ``year`` can be counted (package data or a configured notice)."""
        return year in self.covered_years or year in package_years()

    def missing_next_year(self, *, now: dt.datetime, from_month_day: tuple[int, int] = (11, 1)) -> int | None:
        """Next year, when ``now`` is on or after ``from_month_day`` of a covered year and next year
        is not covered yet (the State Council publishes the notice around November); else None."""
        local = to_local(now)
        if not self.covers(local.year) or (local.month, local.day) < from_month_day:
            return None
        return None if self.covers(local.year + 1) else local.year + 1

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        if not self.covers(day.year):
            raise CalendarNotCovered(day.year, self.source)
        if day.year not in package_years():
            return day.weekday() < 5  # the configured notice lists every holiday and make-up day
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The end of the ``days``-th working day after ``start``'s day (23:59:59 Shanghai).

        "Within 3 working days of publication" means by the end of the third working day that
        follows the publication day, whatever the hour of publication.
        """
        local = to_local(start)
        day = local.date()
        counted = 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=TZ)
