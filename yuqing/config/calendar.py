"""``config/calendar.yaml``: overrides of the Chinese working-day calendar."""

from __future__ import annotations

import datetime as dt

from yuqing.config.base import Model


class CalendarConfig(Model):
    extra_holidays: list[dt.date] = []
    extra_workdays: list[dt.date] = []
