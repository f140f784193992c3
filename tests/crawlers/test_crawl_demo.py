"""Every source type crawled from the demo web into the real Elasticsearch node, twice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.api import CrawlStats, crawl_sources
from yuqing.clock import TZ, parse_ts
from yuqing.storage import Store, make_client

from .conftest import DAY, FAST, NOON, demo_config

pytestmark = pytest.mark.integration

DEMO_SOURCES = ["demo-news", "demo-local-news", "demo-rss", "demo-weibo", "demo-gov-weibo", "demo-portal",
                "demo-board"]


class Crawled:
    def __init__(self, store: Store, first: list[CrawlStats], second: list[CrawlStats]) -> None:
        self.store = store
        self.first = {s.source_id: s for s in first}
        self.second = {s.source_id: s for s in second}
        self.mentions = store.find("mentions", size=1000)

    def of(self, source_id: str) -> list[dict[str, Any]]:
        return [m for m in self.mentions if m["source_id"] == source_id]

    def titled(self, fragment: str, source_id: str) -> dict[str, Any]:
        found = [m for m in self.of(source_id) if fragment in m["title"]]
        assert found, f"no {source_id} mention titled {fragment!r}"
        return found[0]


@pytest.fixture(scope="module")
def crawled(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """All demo sources crawled at noon, then again at noon (module-wide: one crawl for many checks)."""
    from demo.web import DemoWeb

    mp = pytest.MonkeyPatch()
    tmp = tmp_path_factory.mktemp("crawl")
    mp.setenv("YUQING_VAR", str(tmp / "var"))
    store = Store(make_client(es_url), prefix=f"t{uuid.uuid4().hex[:10]}")
    store.ensure_indices()
    try:
        with DemoWeb(day=DAY, port=0, now=NOON) as web:
            config = demo_config(tmp / "config", web.base_url)
            first = crawl_sources(store, config, DEMO_SOURCES, now=NOON, settings=FAST)
            store.refresh()
            before = store.count("mentions")
            second = crawl_sources(store, config, DEMO_SOURCES, now=NOON + dt.timedelta(minutes=5), settings=FAST)
            store.refresh()
            assert store.count("mentions") == before
            yield Crawled(store, first, second)
    finally:
        store.drop_all()
        store.client.close()
        mp.undo()


def test_every_source_type_lands_in_elasticsearch(crawled: Crawled) -> None:
    types = {m["source_type"] for m in crawled.mentions}
    assert types == {"html", "rss", "json", "portal", "board"}
    for source_id in DEMO_SOURCES:
        stats = crawled.first[source_id]
        assert stats.new > 0 and stats.failed == 0, stats
        assert stats.status == "ok"
        assert len(crawled.of(source_id)) == stats.new
    ids = [m["id"] for m in crawled.mentions]
    assert len(ids) == len(set(ids))
    for m in crawled.mentions:
        assert m["title"] and m["text"] and m["published_at"], m["id"]
        assert m["title_seg"] and m["text_seg"] and len(m["simhash"]) == 16


def test_second_run_adds_nothing_and_fetches_no_article_again(crawled: Crawled) -> None:
    for source_id in DEMO_SOURCES:
        assert crawled.second[source_id].new == 0, crawled.second[source_id]
        assert crawled.second[source_id].found > 0
    # the news list's second page is not fetched again: page 1 held nothing new
    assert crawled.second["demo-news"].found < crawled.first["demo-news"].found


def test_gbk_site_is_decoded_and_relative_times_resolved(crawled: Crawled) -> None:
    local = crawled.of("demo-local-news")
    assert local and all(m["encoding"] == "gbk" for m in local)
    water = crawled.titled("自来水被污染", "demo-local-news")
    assert "桶装水" in water["text"] and "热点排行" not in water["text"]  # main text, not the sidebar
    assert water["publisher"] == "春城晚报网" and water["author"] == "刘洋"
    # "1小时前" at 12:00 on the site, resolved against the crawl's now
    assert parse_ts(water["published_at"]) == dt.datetime(2026, 11, 23, 11, 0, tzinfo=TZ)
    gull = crawled.titled("红嘴鸥", "demo-local-news")
    assert parse_ts(gull["published_at"]) == dt.datetime(2026, 11, 22, 14, 5, tzinfo=TZ)  # 昨天 14:05


def test_reprint_is_linked_to_its_first_appearance(crawled: Crawled) -> None:
    original = crawled.titled("楚雄市一化工企业发生爆炸", "demo-news")
    reprint = crawled.titled("楚雄市一化工企业发生爆炸", "demo-local-news")
    assert original.get("reprint_of") is None
    assert reprint["reprint_of"] == original["id"]
    assert reprint["publisher"] == "云南日报网"


def test_portal_policy_document_carries_its_numbers(crawled: Crawled) -> None:
    policy = crawled.titled("优化营商环境若干措施的通知", "demo-portal")
    assert policy["doc_type"] == "policy" and policy["official"] is True
    assert policy["office"] == "prov_gov_office"
    assert policy["extra"]["doc_no"] == "云政发〔2026〕31号"
    assert policy["extra"]["index_no"].startswith("11530000")
    assert parse_ts(policy["published_at"]) == dt.datetime(2026, 11, 23, 9, 30, tzinfo=TZ)


def test_portal_release_without_document_number_is_not_a_policy_document(crawled: Crawled) -> None:
    release = crawled.titled("爆炸事故的情况通报", "demo-portal")
    assert release["extra"]["index_no"].startswith("11530000")
    assert "doc_no" not in release["extra"]
    assert release["doc_type"] == "article"


def test_board_message_and_reply_fields(crawled: Crawled) -> None:
    replied = crawled.titled("延长地铁末班车", "demo-board")
    assert replied["doc_type"] == "board_message"
    assert replied["extra"]["replied"] is True
    assert replied["extra"]["reply_office"] == "昆明市交通运输局"
    assert parse_ts(replied["extra"]["reply_at"]) == dt.datetime(2026, 11, 22, 17, 0, tzinfo=TZ)
    assert replied["extra"]["reply_text"]
    pending = crawled.titled("拖欠农民工工资", "demo-board")
    assert pending["extra"] == {"replied": False}


def test_feeds_use_guid_ids_and_canonical_urls(crawled: Crawled) -> None:
    rss = crawled.of("demo-rss")
    assert all(m["guid"].startswith("yunnan-rss-") for m in rss)
    assert all("utm_" not in m["canonical_url"] for m in rss)
    weibo = crawled.of("demo-weibo")
    assert len(weibo) == crawled.first["demo-weibo"].new > 8  # more than one page: the cursor was followed
    assert all(m["doc_type"] == "post" and m["guid"] for m in weibo)


def test_source_health_is_recorded_per_run(crawled: Crawled) -> None:
    docs = crawled.store.find("source_health", {"term": {"source_id": "demo-rss"}})
    assert len(docs) == 2
    assert {d["status"] for d in docs} == {"ok"}
    assert {d["items_new"] for d in docs} == {0, crawled.first["demo-rss"].new}


def test_write_process_stores_what_inline_writes_store(es_url: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The forked write process (crawlers/writer.py) is an execution detail: the same crawl with
    writes inline stores the same mentions (text, segmentation, SimHash, reprint links), the same
    crawl state, and reports the same counts."""
    from demo.web import DemoWeb

    monkeypatch.setenv("YUQING_VAR", str(tmp_path / "var"))
    stored: dict[int, tuple[dict[str, Any], set[str], dict[str, tuple[int, int, int]]]] = {}
    with DemoWeb(day=DAY, port=0, now=NOON) as web:
        config = demo_config(tmp_path / "config", web.base_url)
        for writers in (2, 0):
            store = Store(make_client(es_url), prefix=f"t{uuid.uuid4().hex[:10]}")
            store.ensure_indices()
            try:
                stats = crawl_sources(store, config, DEMO_SOURCES, now=NOON,
                                      settings={**FAST, "YUQING_WRITER_PROCESSES": writers})
                store.refresh()
                mentions = {m["id"]: {k: m.get(k) for k in ("title", "text", "text_seg", "simhash", "reprint_of",
                                                            "published_at", "extra")}
                            for m in store.find("mentions", size=1000)}
                keys = {d["id"] for d in store.find("crawl_state", size=1000)}
                counts = {s.source_id: (s.found, s.new, s.failed) for s in stats}
                stored[writers] = (mentions, keys, counts)
            finally:
                store.drop_all()
    forked, inline = stored[2], stored[0]
    assert forked[0] and forked[0] == inline[0]
    assert forked[1] == inline[1]
    assert forked[2] == inline[2]
