"""``config/calendar.yaml``: the Chinese working-day calendar beyond the ``chinese_calendar`` package.

``extra_holidays`` / ``extra_workdays`` override the package day by day; ``covered_years`` names
the years whose State Council holiday notice is entered here in full (so working days there can be
counted although the package does not know the year). From ``alert_next_year_from`` (month-day,
default 11-01) of a covered year, a missing next year raises an alert to the duty desk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator, model_validator

from yuqing.config.base import Model


class CalendarConfig(Model):
    extra_holidays: list[dt.date] = []
    extra_workdays: list[dt.date] = []
    covered_years: list[int] = []
    alert_next_year_from: str = Field(default="11-01", pattern=r"^\d{2}-\d{2}$")

    @field_validator("covered_years")
    @classmethod
    def _plausible_years(cls, value: list[int]) -> list[int]:
        for year in value:
            if not 2000 <= year <= 2100:
                raise ValueError(f"{year} is not a plausible calendar year")
        return value

    @field_validator("alert_next_year_from")
    @classmethod
    def _month_day(cls, value: str) -> str:
        month, day = (int(x) for x in value.split("-"))
        try:
            dt.date(2001, month, day)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a month-day (MM-DD)") from exc
        return value

    @model_validator(mode="after")
    def _covered_years_have_their_holidays(self) -> Any:
        from yuqing.clock import package_years

        for year in self.covered_years:
            if year not in package_years() and not any(d.year == year for d in self.extra_holidays):
                raise ValueError(f"covered_years lists {year} but extra_holidays has no {year} dates: "
                                 f"enter that year's State Council notice first")
        return self

    @property
    def alert_from(self) -> tuple[int, int]:
        month, day = (int(x) for x in self.alert_next_year_from.split("-"))
        return month, day
