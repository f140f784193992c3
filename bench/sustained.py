"""Sustained volume: how many mentions a day one node carries through the whole cycle.

Measures: a stream of realistic mentions drawn from the development data in ``../shared/data``
(``weibo_senti_dev.csv`` as Weibo posts, ``emergency_dev.csv`` as news articles,
``gov_messages_dev.csv`` as message-board letters, ``news_titles_dev.csv`` as feed items) pushed,
cycle after cycle, through every stage on the local node:

1. crawl storage — the crawler's own write path (``bench/writepath.py``: a real spider of the
   source's type, ``crawl_state`` lookup, :class:`crawlers.pipelines.MentionPipeline` with model,
   segmentation, SimHash bands, reprint linking and bulk writes in batches as configured, source
   health), one crawl run per source per cycle; download and extraction are not included
   (``bench/crawl_throughput.py`` measures those);
2. analysis (``analyze_pending``: sentiment, priorities, places, casualties, incident grouping);
3. routing (``route_pending``: routing rules, response clocks);
4. dispatch (``alerts.api.dispatch``) to the local channel receivers of ``demo/receivers.py``
   over real HTTP/SMTP.

Each cycle advances a simulated clock by ``--interval`` minutes and carries ``--per-cycle``
mentions published inside that interval. The run lasts ``--seconds`` of wall time (the cycle in
progress is finished); the figure is mentions / wall seconds over all complete cycles, projected to
a day (``per_day``). There is no baseline: the figure is an absolute capacity, compared with the
issue's aim (10,000,000 a day ≈ 116 a second on the 2-core machine).

What limits it: everything runs in one process on one core, next to the Elasticsearch node on the
other; per mention the costs are jieba segmentation (twice: crawl storage and analysis), the
analysis models, and the bulk writes (mention, crawl state, analysis update), so the figure is
CPU-bound in Python. The breakdown printed per stage says which stage dominates. Routing and
dispatch are not per-mention work but they are not small either (31 % and 17 % of the time in the
last run): every routing run scans every open incident twice (follow-up, missing clocks) and writes
per incident one after the other (routing, assignment, clocks, audit), and dispatch evaluates its
rules over the open incidents and clocks, so both grow with the incidents a run has accumulated
(hundreds after a few cycles), not with the mentions; batching those per-incident writes is the
next step. How it grows with workers: crawl storage and analysis split by source (crawl) or by
mention batch, so they scale with cores until the node's indexing becomes the limit; routing and
dispatch run once per cycle whatever the number of workers. On this 2-core machine a second worker
would compete with the node, so expect well under 2×.

    .venv/bin/python bench/sustained.py [--seconds 120] [--per-cycle 1000] [--interval 5]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``per_day=<n>``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alerts.api import dispatch  # noqa: E402
from analysis.api import analyze_pending  # noqa: E402
from bench.writepath import crawl_run  # noqa: E402
from demo.receivers import Receivers  # noqa: E402
from response.api import route_pending  # noqa: E402
from yuqing import esnode  # noqa: E402
from yuqing.clock import TZ  # noqa: E402
from yuqing.config import Config, load_config  # noqa: E402
from yuqing.storage import Store, make_client  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
# data file -> (source id in config/sources.yaml, doc type, how a row becomes (title, text))
FEEDS = {
    "weibo_senti_dev.csv": ("demo-weibo", "post"),
    "emergency_dev.csv": ("demo-news", "article"),
    "gov_messages_dev.csv": ("demo-board", "board_message"),
    "news_titles_dev.csv": ("demo-rss", "feed_item"),
}
START = dt.datetime(2026, 11, 23, 0, 0, tzinfo=TZ)


def load_rows() -> dict[str, list[tuple[str, str]]]:
    rows: dict[str, list[tuple[str, str]]] = {}
    for name in FEEDS:
        with open(DATA / name, encoding="utf-8", newline="") as fh:
            out = []
            for r in csv.DictReader(fh):
                text = (r.get("text") or "").strip()
                title = (r.get("title") or "").strip() or text[:30]
                if text:
                    out.append((title, text))
        rows[name] = out
    return rows


def stream(rows: dict[str, list[tuple[str, str]]], seed: int = 11) -> Iterator[tuple[str, str, str, str]]:
    """(file, title, text, key) forever, the files mixed by their sizes; a row seen again gets a new
    key (a repost), so it is a new mention that dedup may link as a reprint — as reposts are."""
    rng = random.Random(seed)
    names = list(rows)
    weights = [len(rows[n]) for n in names]
    counter = 0
    while True:
        name = rng.choices(names, weights)[0]
        title, text = rng.choice(rows[name])
        counter += 1
        yield name, title, text, f"s{counter}"


def run_cycle(store: Store, config: Config, feed: Iterator[tuple[str, str, str, str]], prev: dt.datetime,
              now: dt.datetime, n: int, laps: dict[str, float]) -> int:
    """One cycle at ``now`` with ``n`` mentions published in (prev, now]; adds stage times to ``laps``."""
    step = (now - prev) / (n + 1)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        name, title, text, key = next(feed)
        source_id, doc_type = FEEDS[name]
        by_source.setdefault(source_id, []).append({
            "key": key, "url": f"https://bench.example.cn/{source_id}/{key}", "title": title, "text": text,
            "published_at": prev + step * (i + 1), "doc_type": doc_type})

    def lap(name: str, t: float) -> None:
        laps[name] = laps.get(name, 0.0) + time.perf_counter() - t

    t = time.perf_counter()
    written = sum(crawl_run(store, config, sid, items, now=now) for sid, items in by_source.items())
    lap("crawl storage", t)
    t = time.perf_counter()
    analyze_pending(store, config, now=now)
    lap("analysis", t)
    t = time.perf_counter()
    route_pending(store, config, now=now)
    lap("routing", t)
    t = time.perf_counter()
    dispatch(store, config, now=now)
    lap("dispatch", t)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--per-cycle", type=int, default=1000, help="mentions per cycle")
    parser.add_argument("--interval", type=int, default=5, help="simulated minutes per cycle")
    args = parser.parse_args()
    missing = [n for n in FEEDS if not (DATA / n).exists()]
    if missing:
        print(f"skipped: development data absent ({', '.join(missing)} not in {DATA})")
        return

    rows = load_rows()
    print("rows: " + ", ".join(f"{n} {len(r)}" for n, r in rows.items()))
    feed = stream(rows)
    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-sustained"))
    store = Store(make_client(url, timeout=120), prefix=f"benchsus{uuid.uuid4().hex[:6]}")
    saved_env = dict(os.environ)
    try:
        store.ensure_indices()
        with Receivers() as receivers:
            receivers.start_smtp()
            config = load_config()
            os.environ.update(receivers.env_for(config.alerts))
            # One small cycle first, not counted: imports, models and index mappings warm up once
            # per worker process, not per cycle.
            t = time.perf_counter()
            run_cycle(store, config, feed, START - dt.timedelta(minutes=args.interval), START, 20, {})
            print(f"warm-up cycle (20 mentions, not counted): {time.perf_counter() - t:.1f}s", flush=True)
            laps: dict[str, float] = {}
            total, cycles = 0, 0
            now = START
            began = time.perf_counter()
            while time.perf_counter() - began < args.seconds:
                prev, now = now, now + dt.timedelta(minutes=args.interval)
                written = run_cycle(store, config, feed, prev, now, args.per_cycle, laps)
                total += written
                cycles += 1
                print(f"cycle {cycles}: {written} new mentions, {store.count('incidents')} incidents, "
                      f"{len(receivers.messages)} messages received, {time.perf_counter() - began:.0f}s",
                      flush=True)
            elapsed = time.perf_counter() - began
        rate = total / elapsed
        print(f"{total} mentions in {cycles} cycles of {args.per_cycle} over {elapsed:.1f}s; "
              f"load average {os.getloadavg()[0]:.1f}")
        print("where the time goes: " + ", ".join(f"{k} {v:.1f}s ({v / elapsed:.0%})" for k, v in laps.items()))
        print(f"mentions_per_second={rate:.1f}")
        print(f"per_day={rate * 86400:.0f}")
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        try:
            store.drop_all()
        finally:
            node.close()


if __name__ == "__main__":
    main()
