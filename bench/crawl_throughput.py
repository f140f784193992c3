"""Crawl throughput: the project's crawler vs a bare Scrapy spider on the same site, same server.

Measures: pages per minute of a crawl of a generated loopback news site (list pages with
pagination → article pages, Chinese text, a UTF-8 and a GBK half, every article its own text),
served by a separate static-file process, with politeness off and 32 concurrent requests per
domain. Ours is ``crawl_source`` — the real spider (incremental state, extraction with selectors,
decoding, dates), the item pipeline (Mention model, jieba, SimHash, reprint linking, Elasticsearch
bulk writes in the configured batches) and source health — forked from the warm crawl starter as in
production. As in production, the pipeline's per-item work runs in the crawl's write process
(``crawlers/writer.py``, ``YUQING_WRITER_PROCESSES``) beside the Scrapy reactor; its time is inside
ours, since the crawl returns only after the writer's last batch, health document and refresh.

Where ours spent its time before the write process (cProfile of the crawl child, 1,500 articles):
the pipeline ran on the reactor thread and took about 40 % of it — jieba segmentation about
two thirds of that, then bulk writes and the reprint band search waiting on Elasticsearch (the
reactor blocked on the socket), SimHash and the model; extraction (selectors, page text, date,
author) about 5 %; the rest is Scrapy's own per-response machinery, which the bare spider pays too.
Where it goes now (2026-12-01): the benchmark prints the machine's CPU per page for each side
(every process, from /proc/stat; index creation and deletion between rounds not counted), split
into the crawl's own processes (ours: the reactor and its write process, from the warm starter's
reaped children; bare: its process, start-up included) and the rest (the node, the page server),
and the ratio that ours' work would allow if it kept both cores busy. At 02:55 UTC: ours 3.4 + 2.0
ms per page, bare 3.0 + 0.6 ms, a bound of 0.74 against a measured 0.56: the crawl was bound by the
reactor's one thread (3.8-4.0 s of CPU on a 1,575-page crawl against about 2.3 s for the bare
spider), which still extracted every article. Since then article pages go to the write process
undecoded (``FetchedPage``), the warm starter freezes what it loaded and a crawl child collects young
objects every 20,000 allocations, and the configuration is read with libyaml. At 04:57 UTC (in
``scripts/bench.sh``): ours 2.6 + 1.5 ms per page, bare 2.9 + 0.5 ms, a bound of 0.94 against a
measured 0.75; in standalone runs at 05:17-05:20 UTC 0.65 and 0.60, with the bare spider faster
(36,500-37,800 pages per minute against 31,500) and ours the same (about 23,000). py-spy now finds
ours' reactor about as busy per page as the bare spider (1,606 samples against 1,453 on one round
each): what is left is the machine's CPU, which the node and the write process take from the page
server and the reactor on two cores.

Baseline: a bare ``scrapy.Spider`` that follows the same list, pagination and article links and
does nothing with the pages: no item pipelines, no project middlewares, but the same Scrapy
settings values (the project's ``crawlers/settings.py`` and ``sources.yaml`` crawl section, then the
same politeness-off overrides: same concurrency, timeouts, retries, size limits, user agent).

Why fair: same site, same server process, same concurrency, same machine at the same time — the
two run interleaved for ``--rounds`` rounds, alternating which goes first, and each round of ours
writes into a fresh index prefix so nothing is skipped as already stored. Both are timed from the
start of the crawl to its end: ours from the call (fork of the warm starter included) to its
return, the bare one inside its process from just before the crawl starts (Python start-up and
the Scrapy import excluded, as the warm starter excludes them for ours). Before the rounds,
``--warmup`` untimed crawls of the whole site by another source (default 8) warm the page server and
the files' cache for both, and for ours the starter and the node, as a node that has been indexing
all day is. A fresh node's CPU per crawl falls over its first seven or eight crawls while its JIT
compiles the bulk, analysis and search paths (2026-12-01, thirteen crawls on one fresh node: 4.6,
2.4, 1.4, 1.5, 2.0, 1.8, 1.6, 1.0, 0.8, 0.8, 0.8, 0.9, 1.0 s), and ours' time with it; with one warm-up
crawl, as before 2026-12-01, or four, ours' rounds still paid part of that (ours' rounds after four
took 3.7, 3.9, 3.6, 3.2 and 3.3 s). The warm-up line prints the node's CPU per crawl, so a node
that has not levelled off shows. The figure is total pages over total seconds for each side. Ours may use a
second core (the write process, and the Elasticsearch node it writes to) because that is how it
runs in production; the bare spider uses what Scrapy uses. On a machine whose cores are already
busy, the ratio therefore falls towards the ratio of CPU spent per page (ours segments, hashes and
indexes every page; the bare one does none of it): note the load average printed with it.

    .venv/bin/python bench/crawl_throughput.py [--articles 1500] [--rounds 5] [--warmup 8]

Uses ES_URL when set, otherwise starts (and stops) a temporary local node. Last line:
``ratio=<ours/bare>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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
WARMUP_CRAWLS = 8  # a fresh node's CPU per crawl levels off after seven or eight (see above)
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
# The bare spider: follows the same links, keeps nothing; prints its own crawl time and responses.
BARE = """
import json, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess

start_url, settings = sys.argv[1], json.loads(sys.argv[2])


class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [start_url]

    def parse(self, response):
        for href in response.css("ul.news-list li a::attr(href)").getall():
            yield response.follow(href, self.article)
        nxt = response.css("a.next::attr(href)").get()
        if nxt:
            yield response.follow(nxt, self.parse)

    def article(self, response):
        return None


process = CrawlerProcess(settings)
crawler = process.create_crawler(Bare)
process.crawl(crawler)
started = time.monotonic()
process.start()
print(json.dumps({"seconds": time.monotonic() - started,
                  "responses": crawler.stats.get_value("response_received_count", 0)}))
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
""", encoding="utf-8")
    return dest


def bare_settings(config: object) -> dict[str, object]:
    """The settings values our crawl runs with, without the project's components."""
    from crawlers import settings as module
    from crawlers.spiders.base import scrapy_settings

    values = {k: getattr(module, k) for k in dir(module) if k.isupper() and not k.startswith("YUQING_")
              and k not in {"ITEM_PIPELINES", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "SPIDER_MODULES",
                            "NEWSPIDER_MODULE", "EXTENSIONS"}}
    values.update({k: v for k, v in scrapy_settings(config.sources.crawl).items()  # type: ignore[attr-defined]
                   if not k.startswith("YUQING_")})
    values.update(POLITENESS_OFF)
    return values


def bare_crawl(script: Path, url: str, settings: dict[str, object]) -> tuple[int, float]:
    """(responses, crawl seconds) of the bare spider, in its own process (from a file: Scrapy reads
    its callbacks' source)."""
    proc = subprocess.run([sys.executable, str(script), url, json.dumps(settings)], capture_output=True, text=True,
                          timeout=1800, check=False)
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit(f"the bare spider failed:\n{proc.stderr[-2000:]}") from None
    return int(result["responses"]), float(result["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=WARMUP_CRAWLS, help="untimed crawls before the rounds")
    args = parser.parse_args()

    from bench.cpu import busy_seconds, node_cpu_seconds, reaped_children_seconds, work_bound
    from crawlers.api import _zygote, crawl_source
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
        client = make_client(es_url)
        node_pid = node.pid if node is not None else None
        now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
        # Untimed: starts the warm crawl starter and brings the node to its steady state (its JIT
        # compiles the bulk, analysis and band-search paths over several crawls), as a node that has
        # been indexing all day is; the node's CPU per warm-up crawl is printed to show it levelled off.
        warmup = []
        for _ in range(args.warmup):
            warm = Store(client, prefix=f"bench{uuid.uuid4().hex[:8]}")
            warm.ensure_indices()
            try:
                node0, started = node_cpu_seconds(client, node_pid), time.monotonic()
                crawl_source(warm, config, "bench-warmup", now=now, settings=POLITENESS_OFF)
                node_cpu = node_cpu_seconds(client, node_pid) - node0
                warmup.append(f"{time.monotonic() - started:.1f}s (node {node_cpu:.1f}s CPU)")
            finally:
                warm.drop_all()
        print(f"warm-up crawls: {', '.join(warmup)}", flush=True)
        assert _zygote.proc is not None, "the crawl ran outside the warm starter (YUQING_CRAWL_SUBPROCESS?)"
        zygote_pid = _zygote.proc.pid
        settings = bare_settings(config)
        start_url = f"{base}/news/index.html"
        script = work / "bare_spider.py"
        script.write_text(BARE, encoding="utf-8")
        totals = {"ours": [0, 0.0], "bare": [0, 0.0]}
        busy = {"ours": 0.0, "bare": 0.0}  # machine CPU seconds during each side's crawls (index set-up not in)
        own = {"ours": 0.0, "bare": 0.0}  # of which the crawl's own processes (ours: reactor and write process)
        for rnd in range(args.rounds):
            order = ["ours", "bare"] if rnd % 2 == 0 else ["bare", "ours"]
            line = []
            for who in order:
                if who == "bare":
                    cpu0, own0 = busy_seconds(), os.times().children_user + os.times().children_system
                    fetched, seconds = bare_crawl(script, start_url, settings)
                    busy[who] += busy_seconds() - cpu0
                    own["bare"] += os.times().children_user + os.times().children_system - own0
                else:
                    store = Store(client, prefix=f"bench{uuid.uuid4().hex[:8]}")
                    store.ensure_indices()
                    try:
                        cpu0, own0 = busy_seconds(), reaped_children_seconds(zygote_pid)
                        started = time.monotonic()
                        stats = crawl_source(store, config, "bench-news", now=now, settings=POLITENESS_OFF)
                        seconds = time.monotonic() - started
                        busy[who] += busy_seconds() - cpu0
                        own["ours"] += reaped_children_seconds(zygote_pid) - own0
                        store.refresh("mentions")
                        stored = store.count("mentions", {"term": {"source_id": "bench-news"}})
                    finally:
                        store.drop_all()
                    fetched = stats.new + stats.failed + list_pages
                    if stats.reasons or stored != args.articles:
                        print(f"  ours: {stored} of {args.articles} stored; failures {stats.reasons}")
                totals[who][0] += fetched
                totals[who][1] += seconds
                line.append(f"{who} {fetched} pages in {seconds:.1f}s = {fetched / seconds * 60:,.0f}/min")
            print(f"round {rnd + 1}: " + "; ".join(line), flush=True)
        ours, bare = (totals[w][0] / totals[w][1] * 60 for w in ("ours", "bare"))
        print(f"ours {ours:,.0f} pages/min (extraction, jieba, SimHash, ES writes), bare Scrapy {bare:,.0f} pages/min; "
              f"load average {os.getloadavg()[0]:.1f}")
        # The work each side makes the machine do (its crawl, the page server, and for ours the write
        # process and the Elasticsearch node) bounds the ratio whatever the overlap.
        per_page = {w: busy[w] / totals[w][0] * 1000 for w in busy}
        fastest, bound = work_bound(totals["ours"][0], busy["ours"], bare / 60)
        print(f"machine CPU per page: ours {per_page['ours']:.1f} ms, bare {per_page['bare']:.1f} ms; on "
              f"{os.cpu_count()} cores ours' work allows at most {fastest * 60:,.0f} pages/min, a ratio of {bound:.2f}")
        print(f"of which the crawl's own processes: ours {own['ours'] / totals['ours'][0] * 1000:.1f} ms (reactor "
              f"and write process), bare {own['bare'] / totals['bare'][0] * 1000:.1f} ms (with its start-up); the "
              f"rest (the node, the page server): ours {(busy['ours'] - own['ours']) / totals['ours'][0] * 1000:.1f} "
              f"ms, bare {(busy['bare'] - own['bare']) / totals['bare'][0] * 1000:.1f} ms")
        print(f"ratio={ours / bare:.2f}")
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
