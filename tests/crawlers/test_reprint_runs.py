"""Reprint links across crawl runs that share a logical time: an Airflow retry of a crawl task runs
again at the same ``now``, and what the first attempt stored must still be found as the original."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import stable_id
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
TEXT = ("记者从市应急管理局获悉，今日上午一辆运送化工原料的货车在绕城高速侧翻，部分液体泄漏，"
        "消防和环保部门已到场处置，周边两公里内居民暂时疏散，目前未发现人员伤亡，事故原因正在调查。"
        "据了解，泄漏的化工原料为稀释后的工业用酸，相关部门正在对周边水体和土壤进行监测，"
        "并提醒过往车辆绕行，交通预计在今晚恢复。市政府新闻办表示，将及时发布调查处置进展。")


def _item(n: int, text: str, published: dt.datetime) -> dict[str, object]:
    url = f"https://news.example.cn/retry/{n}.html"
    return {"key": url, "url": url, "title": text[:18], "text": text, "published_at": published,
            "doc_type": "article"}


def test_a_retry_at_the_same_time_links_to_what_the_first_attempt_stored(store: Store, config: Config) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.writepath import crawl_run

    first = _item(1, TEXT, NOW - dt.timedelta(hours=3))
    assert crawl_run(store, config, "demo-news", [first], now=NOW) == 1
    # the retry (same logical time) finds a later reprint and an earlier original
    later = _item(2, TEXT + "（完）", NOW - dt.timedelta(hours=1))
    earlier = _item(3, "来源：新华网。" + TEXT, NOW - dt.timedelta(hours=5))
    assert crawl_run(store, config, "demo-news", [later], now=NOW) == 1
    links = {d["id"]: d.get("reprint_of") for d in store.scan("mentions")}
    ids = [stable_id("demo-news", it["key"]) for it in (first, later, earlier)]
    assert links == {ids[0]: None, ids[1]: ids[0]}

    assert crawl_run(store, config, "demo-news", [earlier], now=NOW) == 1
    links = {d["id"]: d.get("reprint_of") for d in store.scan("mentions")}
    assert links == {ids[0]: ids[2], ids[1]: ids[2], ids[2]: None}  # the older post takes the group over


def test_a_long_runs_last_batch_finds_what_another_crawl_stored_under_keys_it_searched_before(
        store: Store, config: Config) -> None:
    """A run does not search a band key again for ``crawl.reprint_search_memory`` seconds, but its last
    batch searches every key: a source's last batch finds what another source stored meanwhile."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.writepath import crawl_run, open_run

    assert config.sources.crawl.reprint_search_memory >= 60  # the memory is on for the whole test
    spider, pipeline = open_run(store, config, "demo-news", now=NOW)
    pipeline.batch_size = 1  # the first item is a batch of its own
    first = _item(1, TEXT, NOW - dt.timedelta(hours=3))
    pipeline.process_item(spider.item(**first))  # batch 1: searches the text's band keys, finds nothing stored
    # meanwhile another crawl stores the earliest post of the same text
    original = _item(2, TEXT, NOW - dt.timedelta(hours=5))  # verbatim: the same band keys
    assert crawl_run(store, config, "demo-local-news", [original], now=NOW) == 1
    store.refresh("mentions")
    last = _item(3, TEXT, NOW - dt.timedelta(hours=1))
    pipeline.batch_size = 100
    pipeline.process_item(spider.item(**last))
    pipeline.close_spider()  # the last batch, with the same band keys as the first
    links = {d["id"]: d.get("reprint_of") for d in store.scan("mentions")}
    assert links[stable_id("demo-news", last["key"])] == stable_id("demo-local-news", original["key"])
    assert links[stable_id("demo-local-news", original["key"])] is None
