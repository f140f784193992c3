"""Extraction *without selectors* on the demo web's pages (written independently of the extraction
heuristics; the first run here found the breadcrumb, metadata-table and <title>-suffix problems)."""

from __future__ import annotations

import datetime as dt
import urllib.request

from crawlers.evaluate import text_f1
from crawlers.extract import extract_bytes
from yuqing.clock import TZ

from .conftest import DAY

SITES = ("news", "local", "portal", "board", "rss")
EVENING = dt.datetime(2026, 11, 23, 23, 0, tzinfo=TZ)


def score_demo_pages() -> tuple[int, float, float, float]:
    from demo.web import DemoWeb

    with DemoWeb(day=DAY, port=0, now=EVENING) as web:
        items = [i for site in SITES for i in web.visible(site)]  # type: ignore[arg-type]
        titles = f1 = times = 0.0
        for item in items:
            with urllib.request.urlopen(web.item_url(item), timeout=10) as resp:
                found = extract_bytes(resp.read(), url=web.item_url(item), now=EVENING,
                                      content_type=resp.headers.get("Content-Type"))
            titles += found.title == item.title
            expected = item.text if item.site != "board" else "\n".join(item.body)
            f1 += text_f1(found.text, expected)
            times += found.published_at is not None and found.published_at == item.published_at(DAY)
    n = len(items)
    return n, titles / n, f1 / n, times / n


def test_extraction_without_selectors_holds_up_on_unseen_pages() -> None:
    n, title, f1, time = score_demo_pages()
    assert n >= 20
    # relative times ("8小时前") lose the minutes, so time cannot reach 1.0 on the GBK site
    assert title >= 0.97 and f1 >= 0.98 and time >= 0.9, (title, f1, time)  # measured 1.00 / 1.00 / 0.92
