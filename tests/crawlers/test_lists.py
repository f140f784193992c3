"""Hot lists (rank and heat per entry on every crawl; entries touching a priority or a place become
mentions) and keyword searches (URL template, paging, nothing stored twice), from loopback sites."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.api import crawl_sources
from tests.support import open_test_store
from yuqing.errors import ConfigError
from yuqing.storage import Store

from .conftest import FAST, NOON
from .loopsite import config_with_sources, loop_site

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url) as s:
        yield s


def _hot_json(entries: list[tuple[str, int]]) -> str:
    return json.dumps({"data": {"realtime": [
        {"word": word, "num": heat, "url": f"/s?q={i}"} for i, (word, heat) in enumerate(entries)]}},
        ensure_ascii=False)


HOT_HTML = """<html><body><table>{rows}</table></body></html>"""
ROW = ('<tr class="item"><td class="r">{rank}</td><td class="t"><a href="/top/{n}">{word}</a></td>'
       '<td class="h">{heat}</td></tr>')


def _hot_html(entries: list[tuple[str, str]]) -> str:
    rows = "".join(ROW.format(rank=i + 1, n=i, word=w, heat=h) for i, (w, h) in enumerate(entries))
    return HOT_HTML.format(rows=rows)


def _history(store: Store, source_id: str) -> dict[str, list[int]]:
    store.refresh()
    out: dict[str, list[int]] = {}
    for doc in sorted(store.find("hotlist", {"term": {"source_id": source_id}}), key=lambda d: d["at"]):
        out.setdefault(doc["title"], []).append(doc["rank"])
    return out


def test_hot_list_rank_history_over_three_crawls(store: Store, tmp_path: Path) -> None:
    crawls = [
        [("某明星官宣恋情", 5_000_000), ("昆明一小区突发火灾", 800_000), ("周末去哪儿玩", 300_000)],
        [("昆明一小区突发火灾", 4_000_000), ("某明星官宣恋情", 3_000_000), ("周末去哪儿玩", 200_000)],
        [("昆明一小区突发火灾 热", 6_000_000), ("新游戏上线", 900_000), ("某明星官宣恋情", 800_000)],
    ]
    html_crawls = [[("盘龙区停水三天", "12万"), ("春节放假安排", "8万")],
                   [("春节放假安排", "20万"), ("盘龙区停水三天", "9万")],
                   [("盘龙区停水三天", "30万"), ("春节放假安排", "10万")]]
    with loop_site() as site:
        config = config_with_sources(tmp_path / "config", f"""sources:
  - id: h-json
    name: 热搜（JSON）
    type: hotlist
    url: {site.base}/hot.json
    media_tier: self_media
    jurisdiction: "530000"
    selectors: {{list_item: data.realtime, title: word, heat: num, url_field: url}}
  - id: h-html
    name: 热榜（网页）
    type: hotlist
    url: {site.base}/hot.html
    media_tier: self_media
    jurisdiction: "530000"
    format: html
    selectors: {{list_item: "tr.item", title: "td.t a::text", link: "td.t a::attr(href)", rank: "td.r::text",
                heat: "td.h::text"}}
""")
        stats = []
        for n, (entries, html_entries) in enumerate(zip(crawls, html_crawls, strict=True)):
            site.json("/hot.json", _hot_json(entries))
            site.html("/hot.html", _hot_html(html_entries))
            stats.append(crawl_sources(store, config, ["h-json", "h-html"], now=NOON + dt.timedelta(minutes=10 * n),
                                       settings=FAST))
        # a retried crawl of the last interval changes nothing
        crawl_sources(store, config, ["h-json", "h-html"], now=NOON + dt.timedelta(minutes=20), settings=FAST)
    history = _history(store, "h-json")
    assert history["昆明一小区突发火灾"] == [2, 1]
    assert history["昆明一小区突发火灾 热"] == [1]  # the same entry's key ignores the 热 tag …
    store.refresh()
    docs = [d for d in store.find("hotlist", {"term": {"source_id": "h-json"}}) if "火灾" in d["title"]]
    assert len({d["key"] for d in docs}) == 1 and len(docs) == 3  # … so its history has three points
    assert [d["heat"] for d in sorted(docs, key=lambda d: d["at"])] == [800_000, 4_000_000, 6_000_000]
    assert history["某明星官宣恋情"] == [1, 2, 3] and history["新游戏上线"] == [2]
    assert _history(store, "h-html") == {"盘龙区停水三天": [1, 2, 1], "春节放假安排": [2, 1, 2]}
    html_heat = sorted(store.find("hotlist", {"term": {"source_id": "h-html"}}), key=lambda d: d["at"])
    assert [d["heat"] for d in html_heat if d["title"] == "盘龙区停水三天"] == [120_000, 90_000, 300_000]

    # only entries that touch a priority (火灾, 停水) or a place (昆明, 盘龙区) became mentions, once each
    mentions = store.find("mentions", {"terms": {"source_id": ["h-json", "h-html"]}})
    assert sorted(m["title"] for m in mentions) == ["昆明一小区突发火灾", "盘龙区停水三天"]
    fire = next(m for m in mentions if "火灾" in m["title"])
    assert fire["extra"]["hot_rank"] == 1 and fire["extra"]["hot_heat"] == 6_000_000  # latest figures
    assert fire["published_at"] == "2026-11-23T12:00:00+08:00"  # when it first appeared on the list
    assert [s.new for s in stats[0]] == [1, 1] and [s.new for s in stats[1]] == [0, 0]


def test_hot_list_entry_is_dated_by_its_own_time_else_by_the_first_crawl_that_saw_it(store: Store,
                                                                                     tmp_path: Path) -> None:
    onboard, later = NOON - dt.timedelta(minutes=50), NOON + dt.timedelta(hours=2)
    sources = """sources:
  - id: h-timed
    name: 热搜（带上榜时间）
    type: hotlist
    url: {base}/timed.json
    media_tier: self_media
    jurisdiction: "530000"
    selectors: {{list_item: data.realtime, title: word, heat: num, published_at: onboard_time}}
  - id: h-html-timed
    name: 热榜（网页，相对时间）
    type: hotlist
    url: {base}/timed.html
    media_tier: self_media
    jurisdiction: "530000"
    format: html
    selectors: {{list_item: "tr.item", title: "td.t a::text", published_at: "td.h::text"}}
  - id: h-untimed
    name: 热搜（无时间）
    type: hotlist
    url: {base}/untimed.json
    media_tier: self_media
    jurisdiction: "530000"
    selectors: {{list_item: data.realtime, title: word, heat: num}}
"""
    with loop_site() as site:
        site.json("/timed.json", json.dumps({"data": {"realtime": [
            {"word": "昆明一商场突发火灾", "num": 900_000, "onboard_time": int(onboard.timestamp())},
            {"word": "五华区一工地塌方", "num": 500_000, "onboard_time": int(later.timestamp())},
        ]}}, ensure_ascii=False))
        site.html("/timed.html", _hot_html([("盘龙区一小区停电", "25分钟前")]))
        site.json("/untimed.json", json.dumps({"data": {"realtime": [{"word": "某乐队官宣巡演", "num": 1}]}},
                                              ensure_ascii=False))
        plain = config_with_sources(tmp_path / "plain", sources.format(base=site.base))
        crawl_sources(store, plain, ["h-timed", "h-html-timed", "h-untimed"], now=NOON, settings=FAST)
        # a later crawl, with the source now watching a word of that entry: it becomes a mention dated
        # by the crawl that first saw it on the list, not by this one
        watching = config_with_sources(tmp_path / "watching", sources.format(base=site.base).replace(
            "    selectors: {list_item: data.realtime, title: word, heat: num}\n",
            "    keywords: [乐队]\n    selectors: {list_item: data.realtime, title: word, heat: num}\n"))
        crawl_sources(store, watching, ["h-untimed"], now=NOON + dt.timedelta(minutes=30), settings=FAST)
    store.refresh()
    by_title = {m["title"]: m for m in store.find("mentions", {"terms": {
        "source_id": ["h-timed", "h-html-timed", "h-untimed"]}})}
    assert by_title["昆明一商场突发火灾"]["published_at"] == "2026-11-23T11:10:00+08:00"  # its 上榜时间
    assert by_title["盘龙区一小区停电"]["published_at"] == "2026-11-23T11:35:00+08:00"  # 25分钟前 at noon
    # a time after the crawl is not believed: the crawl saw it first
    assert by_title["五华区一工地塌方"]["published_at"] == "2026-11-23T12:00:00+08:00"
    assert by_title["某乐队官宣巡演"]["published_at"] == "2026-11-23T12:00:00+08:00"
    listed = store.find("hotlist", {"term": {"source_id": "h-timed"}})
    assert {d["title"]: d.get("listed_at") for d in listed}["昆明一商场突发火灾"] == "2026-11-23T11:10:00+08:00"


def _results(keyword: str, page: int) -> str:
    if page > 2:
        return json.dumps({"list": []})
    items = [{"title": f"{keyword}相关报道{page}-{i}", "link": f"/r/{keyword}/{page}/{i}",
              "time": "2026-11-23 09:00", "text": f"关于{keyword}的报道，第{page}页第{i}条。"} for i in range(3)]
    return json.dumps({"list": items}, ensure_ascii=False)


def test_keyword_search_pages_and_never_stores_a_result_twice(store: Store, tmp_path: Path) -> None:
    from urllib.parse import quote

    with loop_site() as site:
        for keyword in ("停水", "欠薪"):
            for page in (1, 2, 3):
                site.json(f"/search?q={quote(keyword)}&p={page}", _results(keyword, page))
        config = config_with_sources(tmp_path / "config", f"""sources:
  - id: s-search
    name: 站内搜索
    type: search
    url: "{site.base}/search?q={{keyword}}&p={{page}}"
    media_tier: local
    jurisdiction: "530100"
    keyword_sets: [extra]
    keywords: [停水, 欠薪]
    selectors: {{list_item: list, title: title, link: link, body: text, published_at: time}}
""")
        first = crawl_sources(store, config, ["s-search"], now=NOON, settings=FAST)[0]
        fetched_first = list(site.paths())
        # a new result appears on page 1 of one keyword: the next crawl stores only it
        site.json(f"/search?q={quote('停水')}&p=1", json.dumps({"list": [
            {"title": "停水最新进展", "link": "/r/new", "time": "2026-11-23 13:00", "text": "停水最新进展。"},
            *json.loads(_results("停水", 1))["list"]]}, ensure_ascii=False))
        second = crawl_sources(store, config, ["s-search"], now=NOON + dt.timedelta(hours=2), settings=FAST)[0]
        fetched_second = site.paths()[len(fetched_first):]
    assert (first.new, first.failed) == (12, 0)  # 2 keywords × 2 pages × 3; page 3 is empty and ends it
    assert {p for p in fetched_first if p.startswith("/search")} == {
        f"/search?q={quote(k)}&p={p}" for k in ("停水", "欠薪") for p in (1, 2, 3)}
    assert (second.new, second.failed) == (1, 0)
    # incremental: a first page with nothing new is not paged further
    assert sorted(p for p in fetched_second if p.startswith("/search")) == sorted(
        [f"/search?q={quote('停水')}&p=1", f"/search?q={quote('停水')}&p=2", f"/search?q={quote('欠薪')}&p=1"])
    store.refresh()
    stored = store.find("mentions", {"term": {"source_id": "s-search"}})
    assert len(stored) == 13 and len({m["canonical_url"] for m in stored}) == 13
    assert {m["extra"]["search_keyword"] for m in stored} == {"停水", "欠薪"}


@pytest.mark.parametrize(("source", "field", "value"), [
    ("type: hotlist\n    selectors: {title: word}", "sources(x).selectors.list_item", None),
    ("type: hotlist\n    selectors: {list_item: data}", "sources(x).selectors.title", None),
    ("type: search\n    selectors: {list_item: list, title: t}", "sources(x).url", "http://127.0.0.1:1/s"),
    ("type: html\n    keywords: ['']", "sources(x).keywords", ""),
    ("type: search\n    url2: x", "sources[0](x).url2", "x"),
    ("type: hotlist\n    format: xml", "sources[0](x).format", "xml"),
    ("type: search\n    keyword_sets: [cities]", "sources[0](x).keyword_sets[0]", "cities"),
    ("type: json\n    selectors: {reposts: 3}", "sources[0](x).selectors.reposts", 3),
])
def test_config_errors_in_the_new_fields_name_file_field_and_value(tmp_path: Path, source: str, field: str,
                                                                  value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        config_with_sources(tmp_path / "config", f"""sources:
  - id: x
    name: 测试
    url: http://127.0.0.1:1/s
    media_tier: local
    jurisdiction: "530100"
    {source}
""")
    err = caught.value
    assert err.file.endswith("sources.yaml") and err.field == field and err.value == value, str(err)
