"""Publish times as pages write them: Chinese absolute dates, relative times, feed and API formats.

Everything becomes an aware Asia/Shanghai datetime. Relative forms (``3小时前``, ``昨天 14:05``,
``刚刚``) are resolved against a ``now`` passed in by the caller, never the real clock.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re

from yuqing.clock import TZ, to_local

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "〇零○Ｏ一二两三四五六七八九十"

_FULLWIDTH = str.maketrans("０１２３４５６７８９：／－．", "0123456789:/-.")

_TIME = r"(?:\s*(?:T|\s)?\s*(?P<H>\d{1,2})[:：时](?P<M>\d{1,2})(?:[:：分](?P<S>\d{1,2})秒?)?)?"
_YMD = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*日?" + _TIME
)
_MD = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*(?:月|-|/)\s*(?P<d>\d{1,2})\s*日?" + _TIME)
# 9/17/2004 5:54:13 AM: the US order ASP/IIS portals print (month first, four-digit year last)
_US = re.compile(
    r"(?<!\d)(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?)?"
)
_YM = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?!\s*\d)")
_CN_YMD = re.compile(rf"(?P<y>[{_CN_NUM}]{{4}})年(?P<m>[{_CN_NUM}]{{1,3}})月(?P<d>[{_CN_NUM}]{{1,3}})日")
_RELATIVE = re.compile(r"(?P<n>\d+|半|一|两|几)\s*(?:个)?\s*(?P<unit>秒|分钟|分|小时|钟头|天|日|周|星期|月)(?:之)?前")
_DAY_WORD = re.compile(r"(?P<w>今天|今日|昨天|昨日|前天)" + _TIME)
_WEIBO = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{1,2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}$")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")


def _cn_number(text: str) -> int:
    """二〇一八 → 2018 (digit by digit); 十二 → 12, 二十 → 20, 二十三 → 23 (with 十)."""
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _make(y: int, m: int, d: int, hh: str | None, mm: str | None, ss: str | None) -> dt.datetime | None:
    try:
        return dt.datetime(y, m, d, int(hh or 0), int(mm or 0), int(ss or 0), tzinfo=TZ)
    except ValueError:
        return None


def parse_date(value: str | int | float | None, now: dt.datetime, *,
               year: int | None = None) -> dt.datetime | None:
    """The publish time written in ``value``, resolved against ``now``; ``None`` when there is none.

    Understands ``2018年12月20日 10:30``, ``2018-12-20 10:30:00``, ``2018/12/20``, ``二〇一八年十二月二十日``,
    ``12月20日 10:30`` and ``12-20 10:30`` (this year, or last year if that would be in the future),
    ``刚刚``, ``3分钟前``, ``3小时前``, ``2天前``, ``今天 09:00``, ``昨天 14:05``, ``前天``, ISO 8601,
    RFC 822 (RSS ``pubDate``), Weibo's ``Mon Nov 23 08:10:00 +0800 2026``, the US order
    ``9/17/2004 5:54:13 AM`` and Unix timestamps.

    ``year`` is the page's own year where it shows one (its URL, its other dates): a year-less
    ``12月20日`` takes it instead of the crawl's year, so an old page is not dated to this year.
    """
    if value is None:
        return None
    now = to_local(now)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    text = " ".join(str(value).translate(_FULLWIDTH).split())
    if not text:
        return None
    if re.fullmatch(r"\d{10}(\d{3})?(\.\d+)?", text):
        return _from_epoch(float(text))
    if _WEIBO.match(text):
        return dt.datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y").astimezone(TZ)
    iso = _iso(text)
    if iso is not None:
        return iso
    if re.match(r"^[A-Za-z]{3}, ", text) or re.search(r"\d{2}:\d{2}(:\d{2})? (GMT|UTC|[+-]\d{4})$", text):
        try:
            return to_local(email.utils.parsedate_to_datetime(text))
        except (TypeError, ValueError):
            pass
    if "刚刚" in text or "刚才" in text:
        return now
    if match := _RELATIVE.search(text):
        return now - _relative_delta(match["n"], match["unit"])
    if (match := _DAY_WORD.search(text)) and (match["H"] is not None or len(text) <= 4):
        # a bare 今天/昨天 inside a sentence ("今日恢复营业") is not a timestamp
        back = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[match["w"]]
        day = (now - dt.timedelta(days=back)).date()
        if match["H"] is None:
            return dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)
        return _make(day.year, day.month, day.day, match["H"], match["M"], match["S"])
    if match := _YMD.search(text):
        return _make(int(match["y"]), int(match["m"]), int(match["d"]), match["H"], match["M"], match["S"])
    if match := _US.search(text):
        hour = match["H"]
        if hour is not None and match["ampm"]:
            hour = str(int(hour) % 12 + (12 if match["ampm"].lower() == "pm" else 0))
        return _make(int(match["y"]), int(match["m"]), int(match["d"]), hour, match["M"], match["S"])
    if match := _CN_YMD.search(text):
        try:
            return _make(_cn_number(match["y"]), _cn_number(match["m"]), _cn_number(match["d"]), None, None, None)
        except KeyError:
            return None
    if match := _MD.search(text):
        if match["H"] is None and "月" not in match.group(0):
            return None  # "3-4" alone is too ambiguous to be a date
        found = _make(year or now.year, int(match["m"]), int(match["d"]), match["H"], match["M"], match["S"])
        if year is None and found is not None and found > now + dt.timedelta(days=1):
            found = found.replace(year=now.year - 1)
        return found
    return None


# a bare 时间/日期 label only where it is not part of another field's name (出生日期, 报名日期, 出道日期)
_LABELLED = re.compile(r"(?:发布时间|发布日期|发文日期|发表于|更新时间|发表时间|(?<![\u4e00-\u9fff])(?:时间|日期))"
                       r"[:：\s]*([^\n|]{6,40})")


def find_date(text: str, now: dt.datetime, *, year: int | None = None) -> dt.datetime | None:
    """The first full date (with a year) written anywhere in ``text``: for pages without a time selector.
    A labelled one (发布时间：…) wins; a year-less labelled one takes ``year`` (see :func:`parse_date`)."""
    text = text.translate(_FULLWIDTH)
    for labelled in _LABELLED.finditer(text):
        if (found := parse_date(labelled.group(1), now, year=year)) is not None:
            return found
    if match := _YMD.search(text):
        return _make(int(match["y"]), int(match["m"]), int(match["d"]), match["H"], match["M"], match["S"])
    if match := _US.search(text):
        return parse_date(match.group(0), now)
    return None


def find_month(text: str) -> dt.datetime | None:
    """A year and month with no day (``1998年3月号`` under a magazine article), as the month's first day."""
    # only as an issue mark that ends its line (《刊名》1998年3月号), not a book's 2002年1月第1版 in a note
    matches = [m for m in _YM.finditer(text.translate(_FULLWIDTH))
               if re.match(r"\s*[号期刊]?\s*(?:\)|）)?\s*(?:$|\n)", text.translate(_FULLWIDTH)[m.end():])]
    if not matches:
        return None
    match = matches[-1]
    return _make(int(match["y"]), int(match["m"]), 1, None, None, None)


_URL_YEAR = re.compile(r"/((?:19|20)\d{2})(?:[/_-]?(?:0[1-9]|1[0-2]))?(?:[/_-]?\d{2})?(?=[/_.-])")


def context_year(url: str | None, text: str, now: dt.datetime) -> int | None:
    """The year a page shows for itself: a ``/2005/07/31/`` or ``/20050731`` part of its URL, else the
    latest year among the full dates written on it (not after ``now``)."""
    if url and (match := _URL_YEAR.search(url.split("?")[0])):
        found = int(match.group(1))
        if found <= to_local(now).year:
            return found
    years = [int(m["y"]) for m in _YMD.finditer(text.translate(_FULLWIDTH))]
    years = [y for y in years if y <= to_local(now).year]
    return max(years) if years else None


def _relative_delta(n: str, unit: str) -> dt.timedelta:
    amount = {"半": 0.5, "一": 1, "两": 2, "几": 3}.get(n)
    count = float(amount if amount is not None else int(n))
    if unit == "秒":
        return dt.timedelta(seconds=count)
    if unit in ("分钟", "分"):
        return dt.timedelta(minutes=count)
    if unit in ("小时", "钟头"):
        return dt.timedelta(hours=count)
    if unit in ("天", "日"):
        return dt.timedelta(days=count)
    if unit in ("周", "星期"):
        return dt.timedelta(weeks=count)
    return dt.timedelta(days=30 * count)


def _iso(text: str) -> dt.datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text) or (not _OFFSET.search(text) and "T" not in text):
        return None
    try:
        return to_local(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def _from_epoch(seconds: float) -> dt.datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return dt.datetime.fromtimestamp(seconds, TZ)
    except (OverflowError, OSError, ValueError):
        return None
