"""Engagement figures (转发/评论/点赞/阅读) are stored per mention as snapshots over time, from JSON
and from HTML, without doubling on a re-run; comments are collected where the source exposes them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.api import crawl_sources
from crawlers.engagement import parse_count
from tests.support import open_test_store
from yuqing.storage import Store

from .conftest import FAST, NOON
from .loopsite import config_with_sources, loop_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url) as s:
        yield s


@pytest.mark.parametrize(("raw", "count"), [
    ("1.2万", 12_000), ("10w+", 100_000), ("3,456", 3456), ("转发 12", 12), (208, 208), ("评论", None),
    ("1.5亿", 150_000_000), (None, None),
])
def test_counts_as_sites_write_them(raw: Any, count: int | None) -> None:
    assert parse_count(raw) == count


def _timeline(reposts: int) -> str:
    statuses = [{"id": 1, "text": "昆明某小区停水三天无人管，居民很着急", "created_at": "2026-11-23 10:00",
                 "reposts_count": reposts, "comments_count": reposts // 4, "attitudes_count": reposts * 2,
                 "comments": [{"text": "我们楼也停了", "user": {"name": "网友甲"}, "at": "2026-11-23 11:00"}]},
                {"id": 2, "text": "翠湖的红嘴鸥回来了", "created_at": "2026-11-23 09:00", "reposts_count": 3}]
    return json.dumps({"data": {"statuses": statuses}}, ensure_ascii=False)


LIST = """<html><body><ul>
<li><a href="/a/1.html">停水三天</a> <span class="rp">转发 {reposts}</span> <span class="rd">阅读 1.2万</span></li>
</ul></body></html>"""
ARTICLE = """<html><body><h1>盘龙区某小区停水三天</h1><div class="t">2026-11-23 10:00</div>
<div class="body"><p>盘龙区某小区从周五开始停水，居民反映已经三天没有自来水，物业称正在抢修。</p></div>
<div class="cm"><div class="c"><b>网友乙</b><p>希望尽快恢复供水。</p></div></div></body></html>"""


def _snapshots(store: Store, source_id: str) -> list[dict[str, Any]]:
    store.refresh()
    found = store.find("engagement", {"term": {"source_id": source_id}})
    return sorted(found, key=lambda d: (d["mention_id"], d["at"]))


def test_engagement_snapshots_over_two_crawls_without_doubles(store: Store, tmp_path: Path) -> None:
    later = NOON + dt.timedelta(hours=2)
    with loop_site() as site:
        site.json("/api/timeline", _timeline(100))
        site.html("/list.html", LIST.format(reposts=40))
        site.html("/a/1.html", ARTICLE)
        config = config_with_sources(tmp_path / "config", f"""sources:
  - id: e-json
    name: 互动接口
    type: json
    url: {site.base}/api/timeline
    media_tier: self_media
    jurisdiction: "530100"
    selectors: {{list_item: data.statuses, id_field: id, body: text, published_at: created_at,
                reposts: reposts_count, comments: comments_count, likes: attitudes_count,
                comment_item: comments, comment_text: text, comment_author: user.name, comment_at: at}}
  - id: e-html
    name: 互动网页
    type: html
    url: {site.base}/list.html
    media_tier: local
    jurisdiction: "530100"
    selectors: {{list_item: "li", link: "a::attr(href)", title: "h1::text", body: "div.body",
                published_at: "div.t::text", reposts: "span.rp::text", views: "span.rd::text",
                comment_item: "div.cm div.c", comment_text: "p", comment_author: "b::text"}}
""")
        first = crawl_sources(store, config, ["e-json", "e-html"], now=NOON, settings=FAST)
        site.json("/api/timeline", _timeline(700))
        site.html("/list.html", LIST.format(reposts=1000))
        second = crawl_sources(store, config, ["e-json", "e-html"], now=later, settings=FAST)
        again = crawl_sources(store, config, ["e-json", "e-html"], now=later, settings=FAST)  # a retried task
        article_fetches = site.paths().count("/a/1.html")
    assert [s.new for s in first] == [2, 1] and [s.new for s in second] == [0, 0] and [s.new for s in again] == [0, 0]
    assert article_fetches == 1  # the figures of a stored article come from the list, not a refetch

    snaps = _snapshots(store, "e-json")
    assert len(snaps) == 4  # two mentions × two crawl times; the re-run at the same time overwrote
    busy = [s for s in snaps if s["reposts"] in (100, 700)]
    assert [s["reposts"] for s in busy] == [100, 700]
    assert [s["interactions"] for s in busy] == [100 + 25 + 200, 700 + 175 + 1400]
    # first snapshot: since publication (2 h before noon); second: since the first (2 h)
    assert busy[0]["spread_per_hour"] == pytest.approx(325 / 2)
    assert busy[1]["spread_per_hour"] == pytest.approx((2275 - 325) / 2)

    store.refresh()
    [post] = [m for m in store.find("mentions", {"term": {"source_id": "e-json"}}) if "停水" in m["text"]]
    assert post["extra"]["reposts"] == 700 and post["extra"]["likes"] == 1400
    assert post["extra"]["spread_per_hour"] == pytest.approx(975.0)
    assert post["extra"]["comment_items"] == [{"text": "我们楼也停了", "author": "网友甲",
                                               "at": "2026-11-23T11:00:00+08:00"}]

    html_snaps = _snapshots(store, "e-html")
    assert [(s["reposts"], s.get("views")) for s in html_snaps] == [(40, 12_000), (1000, 12_000)]
    [article] = store.find("mentions", {"term": {"source_id": "e-html"}})
    assert article["extra"]["reposts"] == 1000
    assert article["extra"]["comment_items"] == [{"text": "希望尽快恢复供水。", "author": "网友乙"}]
