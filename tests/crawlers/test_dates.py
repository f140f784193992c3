"""Chinese publish times, absolute and relative, resolved against a passed-in now."""

from __future__ import annotations

import datetime as dt

import pytest

from crawlers.dates import find_date, parse_date
from yuqing.clock import TZ

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)


@pytest.mark.parametrize(("text", "expected"), [
    ("2018年12月20日", at(2018, 12, 20)),
    ("2018年12月20日 10:30", at(2018, 12, 20, 10, 30)),
    ("发布时间：2018年12月20日10时30分", at(2018, 12, 20, 10, 30)),
    ("2026-11-23 06:40", at(2026, 11, 23, 6, 40)),
    ("2026/11/20 08:00:05", at(2026, 11, 20, 8, 0, 5)),
    ("２０２６年１１月２０日", at(2026, 11, 20)),
    ("二〇一八年十二月二十日", at(2018, 12, 20)),
    ("刚刚", NOW),
    ("25分钟前", at(2026, 11, 23, 11, 35)),
    ("3小时前", at(2026, 11, 23, 9, 0)),
    ("2天前", at(2026, 11, 21, 12, 0)),
    ("今天 09:15", at(2026, 11, 23, 9, 15)),
    ("昨天 14:05", at(2026, 11, 22, 14, 5)),
    ("前天 08:00", at(2026, 11, 21, 8, 0)),
    ("11月20日 10:30", at(2026, 11, 20, 10, 30)),
    ("12月30日", at(2025, 12, 30)),  # no year and later than now: last year
    ("Mon Nov 23 08:10:00 +0800 2026", at(2026, 11, 23, 8, 10)),
    ("Mon, 23 Nov 2026 00:10:00 GMT", at(2026, 11, 23, 8, 10)),
    ("2026-11-23T00:10:00Z", at(2026, 11, 23, 8, 10)),
    ("2026-11-23T08:10:00+08:00", at(2026, 11, 23, 8, 10)),
    (1795392600, at(2026, 11, 23, 8, 10)),
    ("1795392600000", at(2026, 11, 23, 8, 10)),
])
def test_publish_times_become_shanghai_datetimes(text: str | int, expected: dt.datetime) -> None:
    found = parse_date(text, NOW)
    assert found == expected
    assert found is not None and found.utcoffset() == dt.timedelta(hours=8)


@pytest.mark.parametrize("text", ["", "阅读：1648", "3-4", "第2页", None])
def test_text_without_a_time_gives_none(text: str | None) -> None:
    assert parse_date(text, NOW) is None


def test_relative_time_depends_on_the_now_passed_in() -> None:
    later = NOW + dt.timedelta(days=1)
    assert parse_date("昨天 14:05", later) == at(2026, 11, 23, 14, 5)


def test_labelled_date_is_found_in_page_text() -> None:
    text = "首页 > 新闻 > 正文\n标题\n来源：云南日报 发布时间：2026-11-20 09:30 浏览次数：12\n正文2025年1月1日的事"
    assert find_date(text, NOW) == at(2026, 11, 20, 9, 30)
