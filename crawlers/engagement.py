"""Engagement figures (转发/评论/点赞/阅读) and comments read from a page or a JSON entry, and the
spread rate between two snapshots. Pure functions: the spiders read, the pipeline stores."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from parsel import Selector

from crawlers.dates import parse_date
from crawlers.extract import Selectable, select_all, select_on_page, select_text
from yuqing.clock import iso
from yuqing.config.sources import Selectors
from yuqing.models import ENGAGEMENT_FIELDS, interactions

MAX_COMMENTS = 50  # comments kept per item (the first ones the source shows)

_COUNT = re.compile(r"(\d+(?:[.,]\d+)*)\s*(万|w|W|亿|千|k|K)?\s*\+?")
_UNITS = {"万": 10_000, "w": 10_000, "W": 10_000, "亿": 100_000_000, "千": 1_000, "k": 1_000, "K": 1_000}


def parse_count(value: Any) -> int | None:
    """``1.2万`` → 12000, ``10w+`` → 100000, ``3,456`` → 3456, ``转发 12`` → 12, ``208`` → 208; ``None``
    for a value without a number (``转发`` alone: the site shows no figure)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return max(0, int(value))
    match = _COUNT.search(str(value))
    if match is None:
        return None
    number = match.group(1)
    unit = match.group(2)
    if unit is None and re.fullmatch(r"\d{1,3}(,\d{3})+", number):
        number = number.replace(",", "")
    try:
        amount = float(number.replace(",", ""))
    except ValueError:
        return None
    return round(amount * _UNITS.get(unit or "", 1))


def figures_from_page(sel: Selector | None, context: Selectable | None, selectors: Selectors) -> dict[str, int]:
    """Figures on an article page (or, failing that, its list item) by the source's selectors."""
    out: dict[str, int] = {}
    for field in ENGAGEMENT_FIELDS:
        expr = getattr(selectors, field)
        if not expr:
            continue
        if (count := parse_count(select_on_page(sel, context, expr))) is not None:
            out[field] = count
    return out


def figures_from_json(entry: dict[str, Any], selectors: Selectors) -> dict[str, int]:
    from crawlers.spiders.feed import dig

    out: dict[str, int] = {}
    for field in ENGAGEMENT_FIELDS:
        path = getattr(selectors, field)
        if path and (count := parse_count(dig(entry, path))) is not None:
            out[field] = count
    return out


def comments_from_page(sel: Selector, selectors: Selectors, now: dt.datetime) -> list[dict[str, Any]]:
    """The comments an HTML page shows (``comment_item`` with ``comment_text``/``author``/``at`` inside)."""
    if not selectors.comment_item:
        return []
    out = []
    for node in select_all(sel, selectors.comment_item)[:MAX_COMMENTS]:
        text = select_text(node, selectors.comment_text) if selectors.comment_text else select_text(node, "*")
        if not text:
            continue
        comment: dict[str, Any] = {"text": text}
        if selectors.comment_author and (author := select_text(node, selectors.comment_author)):
            comment["author"] = author
        if selectors.comment_at and (at := parse_date(select_text(node, selectors.comment_at), now)):
            comment["at"] = iso(at)
        out.append(comment)
    return out


def comments_from_json(entry: dict[str, Any], selectors: Selectors, now: dt.datetime) -> list[dict[str, Any]]:
    from crawlers.extract import strip_tags
    from crawlers.spiders.feed import dig

    items = dig(entry, selectors.comment_item) if selectors.comment_item else None
    if not isinstance(items, list):
        return []
    out = []
    for raw in items[:MAX_COMMENTS]:
        if not isinstance(raw, dict):
            continue
        text = strip_tags(str(dig(raw, selectors.comment_text or "text") or ""))
        if not text:
            continue
        comment: dict[str, Any] = {"text": text}
        if selectors.comment_author and (author := dig(raw, selectors.comment_author)) is not None:
            comment["author"] = str(author)
        if selectors.comment_at and (at := parse_date(dig(raw, selectors.comment_at), now)):
            comment["at"] = iso(at)
        out.append(comment)
    return out


def spread_per_hour(figures: dict[str, int], at: dt.datetime, previous: dict[str, Any] | None,
                    published_at: dt.datetime | None) -> float:
    """New interactions per hour: since the previous snapshot, or for the first one since publication
    (0 when neither time is known or no time has passed)."""
    now_total = interactions(figures)
    if previous is not None:
        from yuqing.clock import parse_ts

        then = parse_ts(previous.get("at"))
        before = int(previous.get("interactions") or 0)
    else:
        then, before = published_at, 0
    if then is None:
        return 0.0
    hours = (at - then).total_seconds() / 3600
    if hours <= 0:
        return 0.0
    return round(max(0, now_total - before) / hours, 3)
