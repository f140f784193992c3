"""Crawl throughput against the machine's ceiling.

Generates a loopback news site (list pages with pagination → article pages, Chinese text, a UTF-8 and
a GBK half), serves it from a separate process, crawls it once with politeness off through the real
pipeline (extraction, jieba, SimHash, Elasticsearch bulk writes) and, in the same run, runs
``scrapy bench`` (Scrapy's own link-following crawl of a local server, no processing) for the
ceiling. Both rates are pages per minute = responses / crawl seconds.

    .venv/bin/python bench/crawl_throughput.py [--articles 1500]

Uses ES_URL when set, otherwise starts (and stops) a temporary local node. Last line:
``ratio=<ours/bench>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "记者从省应急管理厅获悉，全省今冬明春安全生产大检查工作全面启动。",
    "检查重点覆盖危险化学品、矿山、交通运输、建筑施工和城镇燃气等行业领域。",
    "各地要压实企业主体责任，对发现的隐患实行清单化管理、限期整改。",
    "昆明市持续推进城镇老旧小区改造，今年已开工改造小区三百余个。",
    "改造内容包括加装电梯、管网更新、停车位增设和无障碍设施建设。",
    "省教育厅表示，将进一步扩大优质学位供给，缓解部分城区入学压力。",
    "大理州加强洱海保护治理，流域水质总体保持稳定向好态势。",
    "曲靖市人社局开展根治欠薪冬季专项行动，畅通农民工维权渠道。",
    "西双版纳州冬季旅游市场持续升温，各大景区接待游客人数同比增长。",
    "楚雄州推进高原特色农业发展，冬早蔬菜种植面积进一步扩大。",
]
PLACES = ["昆明市", "曲靖市", "玉溪市", "保山市", "昭通市", "丽江市", "普洱市", "临沧市", "楚雄州", "红河州", "文山州",
          "西双版纳州", "大理州", "德宏州", "怒江州", "迪庆州", "五华区", "盘龙区", "官渡区", "西山区", "呈贡区"]
UNITS = ["个项目", "家企业", "名群众", "万元", "公里", "户居民", "所学校", "个村庄"]
PER_PAGE = 20
# A static file server in its own process, with a listen backlog that survives 32 parallel requests
# (http.server's default of 5 drops connections under load, which then time out).
SERVER = """
import functools, http.server, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
httpd = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=sys.argv[1]))
print(httpd.server_address[1], flush=True)
httpd.serve_forever()
"""
POLITENESS_OFF = {
    "ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "LOG_LEVEL": "WARNING",
}


def build_site(root: Path, articles: int) -> int:
    """Write the site; returns the number of pages (list pages + articles)."""
    (root / "news").mkdir(parents=True)
    pages = (articles + PER_PAGE - 1) // PER_PAGE
    for n in range(articles):
        gbk = n % 2 == 1
        charset = "gbk" if gbk else "utf-8"
        rnd = random.Random(n)  # every article its own text: a bench of reprints would measure linking only
        body = "".join(f"<p>{rnd.choice(PLACES)}{rnd.choice(SENTENCES)}{rnd.choice(PLACES)}{rnd.randint(2, 900)}"
                       f"{rnd.choice(UNITS)}，{rnd.choice(SENTENCES)}</p>" for i in range(6))
        html = (f'<html><head><meta charset="{charset}"><title>稿件{n}</title></head><body>'
                f'<div class="nav"><a href="/">首页</a> | <a href="/news/index.html">新闻</a></div>'
                f'<h1 class="title">云南新闻第{n}号：{SENTENCES[n % len(SENTENCES)][:16]}</h1>'
                f'<div class="meta"><span class="pubtime">2026-11-{1 + n % 22:02d} {n % 24:02d}:{n % 60:02d}</span>'
                f'<span class="source">来源：云南日报网</span></div><div class="article-body">{body}</div>'
                f'<div class="footer">版权所有</div></body></html>')
        (root / "news" / f"a{n}.html").write_bytes(html.encode(charset))
    for p in range(pages):
        items = "".join(f'<li><a href="a{n}.html">稿件{n}</a></li>'
                        for n in range(p * PER_PAGE, min(articles, (p + 1) * PER_PAGE)))
        nxt = f'<a class="next" href="index_{p + 2}.html">下一页</a>' if p + 1 < pages else ""
        name = "index.html" if p == 0 else f"index_{p + 1}.html"
        (root / "news" / name).write_text(f'<html><head><meta charset="utf-8"></head><body>'
                                          f'<ul class="news-list">{items}</ul>{nxt}</body></html>', encoding="utf-8")
    return pages + articles


def write_config(dest: Path, base_url: str, pages: int) -> Path:
    shutil.copytree(ROOT / "config", dest)
    (dest / "sources.yaml").write_text(f"""sources:
  - id: bench-news
    name: 压测新闻站
    type: html
    url: {base_url}/news/index.html
    media_tier: provincial
    jurisdiction: "530000"
    max_pages: {pages + 1}
    selectors:
      list_item: "ul.news-list li"
      link: "a::attr(href)"
      title: "h1.title::text"
      body: "div.article-body"
      published_at: "span.pubtime::text"
      publisher: "span.source::text"
      next_page: "a.next::attr(href)"
  - id: bench-warmup
    name: 预热
    type: html
    url: {base_url}/news/index_{pages}.html
    media_tier: provincial
    jurisdiction: "530000"
    max_pages: 1
    selectors:
      list_item: "ul.news-list li"
      link: "a::attr(href)"
      title: "h1.title::text"
      body: "div.article-body"
""", encoding="utf-8")
    return dest


def scrapy_bench(seconds: int) -> float:
    """pages/min of ``scrapy bench`` (responses / elapsed seconds of its crawl)."""
    scrapy = Path(sys.executable).with_name("scrapy")
    proc = subprocess.run([str(scrapy), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"], capture_output=True,
                          text=True, cwd=tempfile.gettempdir(), timeout=seconds + 120, check=False)
    out = proc.stdout + proc.stderr
    count = re.search(r"'response_received_count': (\d+)", out)
    elapsed = re.search(r"'elapsed_time_seconds': ([\d.]+)", out)
    if not count or not elapsed:
        raise SystemExit(f"scrapy bench gave no stats:\n{out[-2000:]}")
    return int(count.group(1)) / float(elapsed.group(1)) * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--bench-seconds", type=int, default=15)
    args = parser.parse_args()

    from crawlers.api import crawl_source
    from yuqing.clock import TZ
    from yuqing.config import load_config
    from yuqing.storage import Store, make_client

    work = Path(tempfile.mkdtemp(prefix="yuqing-crawlbench-"))
    node = None
    server = None
    try:
        pages = build_site(work / "site", args.articles)
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(work / "site")], stdout=subprocess.PIPE,
                                  text=True)
        assert server.stdout is not None
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}"
        list_pages = pages - args.articles
        config = load_config(write_config(work / "config", base, list_pages))

        from yuqing import esnode

        es_url = esnode.configured_url()
        if not es_url:
            node_dir = work / "es"
            node_dir.mkdir()
            os.chmod(node_dir, 0o755)
            node = esnode.start(name=f"crawlbench-{os.getpid()}", port=None, node_dir=node_dir)
            es_url = node.client_url("tasks")
        os.environ["YUQING_VAR"] = str(work / "var")
        store = Store(make_client(es_url), prefix=f"bench{uuid.uuid4().hex[:8]}")
        store.ensure_indices()
        now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
        try:
            crawl_source(store, config, "bench-warmup", now=now, settings=POLITENESS_OFF)  # starts the warm zygote
            started = time.monotonic()
            stats = crawl_source(store, config, "bench-news", now=now, settings=POLITENESS_OFF)
            seconds = time.monotonic() - started
            store.refresh("mentions")
            stored = store.count("mentions", {"term": {"source_id": "bench-news"}})
        finally:
            store.drop_all()
        fetched = stats.new + stats.failed + list_pages
        ours = fetched / seconds * 60
        if stats.reasons:
            print(f"failures: {stats.reasons}")
        print(f"ours: {fetched} pages ({stats.new} new articles, {stored} stored, {stats.failed} failed) "
              f"in {seconds:.1f} s = {ours:.0f} pages/min (extraction, jieba, SimHash, ES writes)")
        bench = scrapy_bench(args.bench_seconds)
        print(f"scrapy bench: {bench:.0f} pages/min (link following only, no processing)")
        print(f"ratio={ours / bench:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        if node is not None:
            from yuqing import esnode

            esnode.stop(node)  # by the node's own record: YUQING_VAR was changed after the start
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
