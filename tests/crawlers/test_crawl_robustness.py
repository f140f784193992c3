"""Faults while crawling: broken pages, a source going down, Elasticsearch stopping mid-crawl,
and content that changes between runs (new posts, a board reply arriving)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlers.api import crawl_source, crawl_sources, replay_spool
from crawlers.spool import Spool, pending_files, pending_keys
from tests.support import open_test_store
from yuqing.clock import TZ, parse_ts
from yuqing.config import Config
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store, make_client

from .conftest import FAST, NOON
from .esproxy import EsProxy

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(es_url: str) -> Iterator[Store]:
    """One index prefix for the module (index creation is the slow part); the tests use disjoint sources."""
    with open_test_store(es_url) as s:
        yield s


def of(source_id: str) -> dict[str, Any]:
    return {"term": {"source_id": source_id}}


def test_broken_pages_are_counted_and_a_source_going_down_shows_in_health(
        store: Store, web: object, web_config: Config) -> None:
    settings = {**FAST, "DOWNLOAD_MAXSIZE": 1024 * 1024, "DOWNLOAD_WARNSIZE": 512 * 1024}
    faults, rss = crawl_sources(store, web_config, ["test-faults", "demo-rss"], now=NOON, settings=settings)
    assert faults.new == 1  # the one good article among the faults; the crawl went on
    for reason in ("http_500", "redirect_loop", "too_large", "malformed", "http_404", "robots_forbidden",
                   "not_html"):
        assert faults.reasons.get(reason, 0) >= 1, (reason, faults.reasons)
    assert "internal_error" not in faults.reasons
    assert faults.status == "failing"  # 9 of 10 links broken
    assert rss.status == "ok" and rss.new > 0

    web.set_down("/rss.xml")  # type: ignore[attr-defined]
    down = crawl_source(store, web_config, "demo-rss", now=NOON + dt.timedelta(minutes=10), settings=FAST)
    assert down.status == "failing" and down.new == 0
    assert down.reasons == {"http_503": 1}
    store.refresh()
    [health] = store.find("source_health", {"term": {"source_id": "test-faults"}})
    assert health["items_failed"] == faults.failed and health["failure_reasons"]["http_500"] == 1
    docs = sorted(store.find("source_health", {"term": {"source_id": "demo-rss"}}), key=lambda d: d["started_at"])
    assert [d["status"] for d in docs] == ["ok", "failing"]
    assert docs[1]["error_rate"] == 1.0
    assert parse_ts(docs[1]["last_success_at"]) == parse_ts(docs[0]["last_success_at"])  # unchanged while down


def test_elasticsearch_stopping_mid_crawl_spools_then_replays_without_loss_or_doubles(
        store: Store, es_url: str, web_config: Config) -> None:
    with EsProxy(es_url) as proxy:
        via_proxy = Store(make_client(proxy.url), prefix=store.prefix)
        # reachable when the crawl starts (state is read), gone when items are written
        proxy.fail_when = lambda method, path: "_bulk" in path or "/_doc/" in path
        outage = crawl_source(via_proxy, web_config, "demo-news", now=NOON, settings=FAST)
        assert proxy.dropped > 0
        assert outage.new > 0 and outage.spooled == outage.new
        store.refresh()
        assert store.count("mentions", of("demo-news")) == 0
        assert pending_files(store.prefix)

        proxy.fail_when = None  # the node is back: the next crawl replays the spool first
        back = crawl_source(via_proxy, web_config, "demo-news", now=NOON + dt.timedelta(minutes=15), settings=FAST)
    assert back.new == 0  # everything was already spooled, nothing is stored twice
    store.refresh()
    mentions = store.find("mentions", of("demo-news"), size=1000)
    assert len(mentions) == outage.new
    assert len({m["canonical_url"] for m in mentions}) == len(mentions)
    assert not pending_files(store.prefix)
    assert replay_spool(store) == 0
    assert store.count("crawl_state", of("demo-news")) == outage.new
    statuses = [d["status"] for d in store.find("source_health", of("demo-news"))]
    assert len(statuses) == 2


def test_new_posts_and_a_late_board_reply_are_picked_up_by_the_next_run(
        store: Store, web: object, web_config: Config) -> None:
    morning = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
    evening = dt.datetime(2026, 11, 23, 18, 0, tzinfo=TZ)
    web.set_now(morning)  # type: ignore[attr-defined]
    weibo1, _ = crawl_sources(store, web_config, ["demo-weibo", "demo-board"], now=morning, settings=FAST)
    web.set_now(evening)  # type: ignore[attr-defined]
    weibo2, board2 = crawl_sources(store, web_config, ["demo-weibo", "demo-board"], now=evening, settings=FAST)
    store.refresh()
    assert weibo1.new > 0 and weibo2.new > 0
    assert store.count("mentions", {"term": {"source_id": "demo-weibo"}}) == weibo1.new + weibo2.new
    newest = max(parse_ts(m["published_at"]) for m in store.find("mentions", {"term": {"source_id": "demo-weibo"}}))
    assert morning < newest <= evening

    # 拖欠农民工工资 was posted 08:30 and answered 17:30: stored without a reply, then updated
    assert board2.updated >= 1
    [wages] = [m for m in store.find("mentions", of("demo-board")) if "拖欠农民工工资" in m["title"]]
    assert wages["extra"]["replied"] is True
    assert wages["extra"]["reply_office"].startswith("曲靖市")
    assert parse_ts(wages["extra"]["reply_at"]) == dt.datetime(2026, 11, 23, 17, 30, tzinfo=TZ)


def test_scrapy_crawl_from_the_project_directory(store: Store, es_url: str, web_config: Config) -> None:
    env = dict(os.environ, ES_URL=es_url, YUQING_INDEX_PREFIX=store.prefix, YUQING_CONFIG=str(web_config.directory))
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run([str(scrapy), "crawl", "portal", "-a", "source=demo-portal", "-a", f"now={NOON.isoformat()}",
                           "-s", "AUTOTHROTTLE_START_DELAY=0", "-s", "LOG_LEVEL=WARNING"],
                          cwd=PROJECT_ROOT / "crawlers", env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    store.refresh()
    docs = store.find("mentions", of("demo-portal"))
    assert docs
    assert any(d["doc_type"] == "policy" for d in docs)


def test_yuqing_crawl_prints_a_summary_per_source(store: Store, es_url: str, web_config: Config,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    code = main(["crawl", "demo-gov-weibo", "--config", str(web_config.directory), "--now", NOON.isoformat()])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == ["demo-gov-weibo：发现 2，新增 2，更新 0，失败 0，暂存 0，状态 正常"]


def test_spool_replay_is_idempotent_and_survives_a_torn_last_line(store: Store) -> None:
    spool = Spool(store.prefix, "spool-test-run")
    docs = [(f"spool-m{i}", {"id": f"spool-m{i}", "source_id": "spool-test", "title": f"标题{i}"}) for i in range(3)]
    spool.append("mentions", "create", docs)
    spool.append("crawl_state", "update", [("spool-k1", {"id": "spool-k1", "source_id": "spool-test",
                                                          "key": "http://a/1"})])
    copy = spool.path.read_text(encoding="utf-8")
    assert pending_keys(store.prefix, "spool-test") == {"http://a/1"}

    assert replay_spool(store) == 4
    assert not pending_files(store.prefix)
    spool.path.write_text(copy + '{"kind": "mentions", "op": "cre', encoding="utf-8")  # crash mid-append
    assert replay_spool(store) == 4
    store.refresh()
    assert store.count("mentions", of("spool-test")) == 3 and store.count("crawl_state", of("spool-test")) == 1


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>昆明发布</title>
<entry><id>tag:km.example,2026:1</id><title>昆明市发布寒潮蓝色预警</title>
<link href="/atom/1.html?utm_source=feed"/><updated>2026-11-23T08:00:00+08:00</updated>
<author><name>昆明发布</name></author>
<content type="html">&lt;p&gt;{text}&lt;/p&gt;</content></entry>
</feed>"""
LONG = "受强冷空气影响，预计24日至26日昆明市将出现寒潮天气，最低气温降至2℃左右，" * 6


def _pages() -> dict[str, tuple[str, bytes]]:
    posts = [{"pid": n, "body": f"第{n}条帖子：呈贡区某小区停车难问题反映{n}", "at": f"{n}小时前"} for n in range(1, 6)]
    return {
        "/atom.xml": ("application/atom+xml", ATOM.format(text=LONG).encode()),
        "/api/posts?page=1": ("application/json", json.dumps({"result": {"list": posts[:3]}}).encode()),
        "/api/posts?page=2": ("application/json", json.dumps({"result": {"list": posts[3:]}}).encode()),
        "/api/posts?page=3": ("application/json", json.dumps({"result": {"list": []}}).encode()),
    }


def test_atom_feed_and_page_numbered_json_api(store: Store, tmp_path: Path) -> None:
    import shutil
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            found = _pages().get(self.path)
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", found[0] if found else "text/plain")
            body = found[1] if found else b""
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        directory = tmp_path / "config"
        shutil.copytree(PROJECT_ROOT / "config", directory)
        (directory / "sources.yaml").write_text(f"""sources:
  - id: t-atom
    name: Atom
    type: rss
    url: {base}/atom.xml
    media_tier: official
    jurisdiction: "530100"
  - id: t-paged
    name: 分页接口
    type: json
    url: {base}/api/posts
    media_tier: self_media
    jurisdiction: "530100"
    selectors: {{list_item: result.list, id_field: pid, body: body, published_at: at, page_param: page}}
""", encoding="utf-8")
        from yuqing.config import load_config

        config = load_config(directory)
        atom, paged = crawl_sources(store, config, ["t-atom", "t-paged"], now=NOON, settings=FAST)
    finally:
        server.shutdown()
        server.server_close()
    assert (atom.new, atom.failed) == (1, 0)
    assert (paged.new, paged.failed) == (5, 0)  # pages 1 and 2; page 3 is empty and ends it
    store.refresh()
    [entry] = store.find("mentions", of("t-atom"))
    assert entry["guid"] == "tag:km.example,2026:1" and entry["title"] == "昆明市发布寒潮蓝色预警"
    assert entry["canonical_url"] == f"{base}/atom/1.html" and entry["author"] == "昆明发布"
    assert parse_ts(entry["published_at"]) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    posts = store.find("mentions", of("t-paged"))
    assert {parse_ts(p["published_at"]) for p in posts} == {NOON - dt.timedelta(hours=n) for n in range(1, 6)}


def test_crawl_with_elasticsearch_down_skips_stored_items_and_counts_nothing_again(
        store: Store, es_url: str, web_config: Config) -> None:
    first = crawl_source(store, web_config, "demo-local-news", now=NOON, settings=FAST)
    assert first.new > 0
    with EsProxy(es_url) as proxy:
        proxy.fail_when = lambda method, path: True  # down before the crawl starts and throughout
        down = crawl_source(Store(make_client(proxy.url), prefix=store.prefix), web_config, "demo-local-news",
                            now=NOON + dt.timedelta(minutes=10), settings=FAST)
        assert proxy.dropped > 0
    assert down.new == 0 and down.spooled == 0  # the stored items were known from the kept keys
    assert replay_spool(store) == 1  # only the run's health record waited in the spool
    store.refresh()
    assert store.count("mentions", of("demo-local-news")) == first.new


def test_yuqing_crawl_with_elasticsearch_already_down_crawls_into_the_spool(
        es_url: str, web_config: Config, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from crawlers.cli import SPOOLED_EXIT
    from yuqing.cli import main

    with open_test_store(es_url) as store:  # its own indices: the module's already hold this source
        _crawl_cli_while_down(store, es_url, web_config, monkeypatch, capsys, SPOOLED_EXIT, main)


def _crawl_cli_while_down(store: Store, es_url: str, web_config: Config, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str], spooled_exit: int, main: Any) -> None:
    with EsProxy(es_url) as proxy:
        proxy.fail_when = lambda method, path: True
        monkeypatch.setenv("ES_URL", proxy.url)
        monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
        code = main(["crawl", "demo-gov-weibo", "--config", str(web_config.directory), "--now", NOON.isoformat()])
    captured = capsys.readouterr()
    assert code == spooled_exit, captured.err
    assert captured.out.splitlines() == ["demo-gov-weibo：发现 2，新增 2，更新 0，失败 0，暂存 2，状态 正常"]
    assert "暂存" in captured.err and "Traceback" not in captured.err
    assert store.count("mentions", of("demo-gov-weibo")) == 0
    assert replay_spool(store) > 0  # the node is back: everything collected arrives
    store.refresh()
    assert store.count("mentions", of("demo-gov-weibo")) == 2


def test_replay_never_loses_lines_a_running_crawl_appends(store: Store) -> None:
    """A crawl appending while replays run: every line reaches Elasticsearch exactly once."""
    import threading

    n = 400
    spool = Spool(store.prefix, "spool-race")
    done = threading.Event()

    def crawl() -> None:
        for i in range(n):
            spool.append("crawl_state", "update", [(f"race-{i}", {"id": f"race-{i}", "source_id": "spool-race",
                                                                   "key": f"http://race/{i}"})])
        done.set()

    writer = threading.Thread(target=crawl)
    writer.start()
    replays = 0
    while not done.is_set():
        replays += replay_spool(store)
    writer.join()
    replays += replay_spool(store)
    store.refresh()
    assert store.count("crawl_state", of("spool-race")) == n
    assert replays >= n and not pending_files(store.prefix)
