"""``config/console.yaml: overview``: the page's periods are configuration, checked when loaded."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from console import overview as ov
from yuqing.clock import TZ
from yuqing.config import load_config
from yuqing.errors import ConfigError


def test_shipped_defaults(config) -> None:  # type: ignore[no-untyped-def]
    o = config.console.overview
    assert (o.days, o.day_choices, o.max_days, str(o.hotlist_history)) == (7, (0, 7, 30), 90, "24h")


def test_a_default_period_beyond_the_maximum_names_file_and_field(config_dir: Path) -> None:
    path = config_dir / "console.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  days: 7 ", "  days: 120 "), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    assert "console.yaml" in str(err.value) and "overview" in str(err.value) and "120" in str(err.value)


def test_periods_are_shanghai_days_and_hours() -> None:
    now = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai
    today = ov.period(0, now=now)
    assert (today.start, today.end) == (dt.datetime(2026, 11, 23, 0, tzinfo=TZ),
                                        dt.datetime(2026, 11, 23, 10, tzinfo=TZ))
    week = ov.period(7, now=now)
    assert (week.start, week.end) == (dt.datetime(2026, 11, 17, tzinfo=TZ), dt.datetime(2026, 11, 24, tzinfo=TZ))
