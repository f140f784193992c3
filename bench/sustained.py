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
mentions published inside that interval. A run lasts ``--seconds`` of wall time (the cycle in
progress is finished); its figure is mentions / wall seconds over all complete cycles, projected to
a day. There is no baseline: the figure is an absolute capacity, compared with the issue's aim
(10,000,000 a day ≈ 116 a second on the 2-core machine).

Two runs, each on fresh indices of the same node (``--workers both``, the default):

- **one worker**: one process does every stage of a cycle in turn (the figure before this
  benchmark had two workers), printed as ``one worker: … per_day=<n>``;
- **two workers**: as Airflow runs them, the collection and analysis DAGs on one worker and the
  routing and dispatch DAGs on another: this process stores and analyses cycle k+1 while a second
  process (spawned, its own imports, client and warm-up) routes and dispatches cycle k. The clock
  stops when the second worker has dispatched the last cycle, so a backlog it could not keep up
  with counts against it. Nothing is shared but Elasticsearch, and the stages meet each other's
  writes as they do in production (routing writes conditionally; a lost race is retried next run).
  The last line, ``per_day``, is this run's figure.

Each stage's time and its Elasticsearch requests per cycle are printed (requests are counted at the
transport, so they do not depend on the machine's load, unlike the seconds).

What limits it: Python CPU in crawl storage and analysis, next to the Elasticsearch node on the same
two cores. Per mention the costs are jieba segmentation (twice: crawl storage and analysis), the
analysis models and the bulk writes (mention, crawl state, analysis update) — the index and speed
helpers' areas. Routing and dispatch were 31 % and 17 % of the one-worker time (about 390 and 600
requests per cycle of 1,000: per incident a read, a conditional write, an audit write and a
refresh, the assignment again, each delivery created and claimed one request at a time); they now
batch: the unrouted incidents are routed and assigned in one conditional bulk write (versions from
the scan) with their audit events in one bulk, the open incidents are read once per run (not
twice) and refreshed once at the end, deliveries are created in one bulk request and each
target's claims in one conditional bulk request, channels (and their TLS roots) are built once.
Incident grouping reads the touched incidents' mentions in one scan per 200 incidents and writes
them in bulk, and reads reprint targets up front. Measured on the same machine under the same
heavy load (~20): routing ~24 and dispatch ~35–55 requests per cycle (was ~390 and ~600),
analysis ~18 (was ~258). Routing still reads every open routed incident each run (follow-ups,
missing clocks, release detection): one scan plus one mget of their planned clocks, a few
milliseconds per hundred incidents, so an incremental (``updated_at`` watermark) pass was not worth
its risk here — writers stamp ``updated_at`` with their own clocks (the console's wall clock, each
DAG's interval end), so a watermark can miss a late writer's change; see the README.

How it grows with workers: crawl storage and analysis split by source (crawl) or by mention batch,
so they scale with cores until the node's indexing becomes the limit; routing and dispatch run
once per cycle whatever the number of workers and are now small, so a second worker mostly buys
the overlap of response with analysis (at most the response stages' share). On this 2-core
machine the second worker competes with the node and the first worker for the same cores, so the
gain is well under 2×; with more cores (or the node elsewhere) more collection/analysis workers
add capacity nearly linearly until Elasticsearch's bulk indexing saturates.

    .venv/bin/python bench/sustained.py [--seconds 120] [--per-cycle 1000] [--interval 5] [--workers both|1|2]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``per_day=<n>`` (the
two-worker run's figure, or the only run's with ``--workers 1``/``2``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import elastic_transport

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


class Requests:
    """Elasticsearch requests per stage, counted at the transport (every client of the process,
    the crawler's own included): unlike seconds, a count does not depend on the machine's load."""

    def __init__(self) -> None:
        self.stage = "setup"
        self.counts: dict[str, int] = {}
        original = elastic_transport.Transport.perform_request

        def counted(transport: Any, *args: Any, **kwargs: Any) -> Any:
            self.counts[self.stage] = self.counts.get(self.stage, 0) + 1
            return original(transport, *args, **kwargs)

        elastic_transport.Transport.perform_request = counted  # type: ignore[method-assign,assignment]


def make_batch(feed: Iterator[tuple[str, str, str, str]], prev: dt.datetime, now: dt.datetime,
               n: int) -> dict[str, list[dict[str, Any]]]:
    """``n`` mentions published in (prev, now], by source."""
    step = (now - prev) / (n + 1)
    by_source: dict[str, list[dict[str, Any]]] = {}
    for i in range(n):
        name, title, text, key = next(feed)
        source_id, doc_type = FEEDS[name]
        by_source.setdefault(source_id, []).append({
            "key": key, "url": f"https://bench.example.cn/{source_id}/{key}", "title": title, "text": text,
            "published_at": prev + step * (i + 1), "doc_type": doc_type})
    return by_source


def _lap(laps: dict[str, float], requests: Requests | None, name: str, fn: Any) -> Any:
    if requests is not None:
        requests.stage = name
    t = time.perf_counter()
    try:
        return fn()
    finally:
        laps[name] = laps.get(name, 0.0) + time.perf_counter() - t


def collect(store: Store, config: Config, by_source: dict[str, list[dict[str, Any]]], now: dt.datetime,
            laps: dict[str, float], requests: Requests | None = None) -> int:
    """Crawl storage and analysis of one cycle (the collection and analysis workers' share)."""
    written = _lap(laps, requests, "crawl storage", lambda: sum(
        crawl_run(store, config, sid, items, now=now) for sid, items in by_source.items()))
    _lap(laps, requests, "analysis", lambda: analyze_pending(store, config, now=now))
    return int(written)


def respond(store: Store, config: Config, now: dt.datetime, laps: dict[str, float],
            requests: Requests | None = None) -> None:
    """Routing and dispatch of one cycle (the response workers' share)."""
    _lap(laps, requests, "routing", lambda: route_pending(store, config, now=now))
    _lap(laps, requests, "dispatch", lambda: dispatch(store, config, now=now))


def run_cycle(store: Store, config: Config, feed: Iterator[tuple[str, str, str, str]], prev: dt.datetime,
              now: dt.datetime, n: int, laps: dict[str, float], requests: Requests | None = None) -> int:
    """One cycle at ``now`` with ``n`` mentions published in (prev, now]; adds stage times to ``laps``."""
    written = collect(store, config, make_batch(feed, prev, now, n), now, laps, requests)
    respond(store, config, now, laps, requests)
    return written


def responder(url: str, prefix: str, env: dict[str, str], inbox: Any, outbox: Any) -> None:
    """The second worker (a process of its own, as Airflow runs the routing and dispatch DAGs on a
    worker of their own): routes and dispatches each cycle the first worker has analysed."""
    os.environ.update(env)
    requests = Requests()
    store = Store(make_client(url, timeout=120), prefix=prefix)
    config = load_config()
    laps: dict[str, float] = {}
    warm: dict[str, float] = {}
    while True:
        item = inbox.get()
        if item is None:
            break
        kind, when = item
        respond(store, config, dt.datetime.fromisoformat(when), warm if kind == "warm" else laps,
                None if kind == "warm" else requests)
        outbox.put(("done", when))
    outbox.put(("laps", laps, requests.counts))


def split(laps: dict[str, float], elapsed: float, counts: dict[str, int], cycles: int) -> str:
    return ", ".join(f"{k} {v:.1f}s ({v / elapsed:.0%}, {counts.get(k, 0) / max(cycles, 1):.0f} requests/cycle)"
                     for k, v in laps.items())


def timed_cycles(args: argparse.Namespace, requests: Requests, *, warm: Callable[[], Any],
                 step: Callable[[dt.datetime, dt.datetime, dict[str, float]], int],
                 note: Callable[[], str]) -> tuple[dict[str, float], int, int, float]:
    """A warm-up cycle (20 mentions, not counted: imports, models and index mappings warm up once per
    worker process, not per cycle), then ``step`` cycle after cycle for ``args.seconds`` of wall time.
    Returns the stage times, the mentions written, the cycles and the ``perf_counter`` at the start."""
    t = time.perf_counter()
    warm()
    print(f"warm-up cycle (20 mentions, not counted): {time.perf_counter() - t:.1f}s", flush=True)
    laps: dict[str, float] = {}
    requests.counts.clear()
    total, cycles = 0, 0
    now = START
    began = time.perf_counter()
    while time.perf_counter() - began < args.seconds:
        prev, now = now, now + dt.timedelta(minutes=args.interval)
        total += step(prev, now, laps)
        cycles += 1
        print(f"cycle {cycles}: {total} mentions{note()}, {time.perf_counter() - began:.0f}s", flush=True)
    return laps, total, cycles, began


def single(url: str, config: Config, feed: Iterator[tuple[str, str, str, str]], args: argparse.Namespace,
           receivers: Receivers, requests: Requests) -> float:
    """One worker does every stage of a cycle in turn. Returns mentions per second."""
    store = Store(make_client(url, timeout=120), prefix=f"benchsus{uuid.uuid4().hex[:6]}")
    try:
        store.ensure_indices()
        laps, total, cycles, began = timed_cycles(
            args, requests,
            warm=lambda: run_cycle(store, config, feed, START - dt.timedelta(minutes=args.interval), START, 20, {}),
            step=lambda prev, now, laps: run_cycle(store, config, feed, prev, now, args.per_cycle, laps, requests),
            note=lambda: f", {store.count('incidents')} incidents, {len(receivers.messages)} messages received")
        elapsed = time.perf_counter() - began
    finally:
        store.drop_all()
    print(f"one worker: {total} mentions in {cycles} cycles of {args.per_cycle} over {elapsed:.1f}s; "
          f"load average {os.getloadavg()[0]:.1f}")
    print("  where the time goes: " + split(laps, elapsed, requests.counts, cycles))
    return total / elapsed


def pipelined(url: str, config: Config, feed: Iterator[tuple[str, str, str, str]], args: argparse.Namespace,
              receivers: Receivers, requests: Requests) -> float:
    """Two workers: this process stores and analyses cycle k+1 while a second process routes and
    dispatches cycle k. Returns mentions per second (to the end of the last cycle's dispatch)."""
    prefix = f"benchsus{uuid.uuid4().hex[:6]}"
    store = Store(make_client(url, timeout=120), prefix=prefix)
    ctx = multiprocessing.get_context("spawn")
    inbox, outbox = ctx.Queue(), ctx.Queue()
    worker = ctx.Process(target=responder, args=(url, prefix, dict(os.environ), inbox, outbox), daemon=True)
    try:
        store.ensure_indices()
        worker.start()

        def warm() -> None:
            collect(store, config, make_batch(feed, START - dt.timedelta(minutes=args.interval), START, 20), START, {})
            inbox.put(("warm", START.isoformat()))
            outbox.get()

        def step(prev: dt.datetime, now: dt.datetime, laps: dict[str, float]) -> int:
            written = collect(store, config, make_batch(feed, prev, now, args.per_cycle), now, laps, requests)
            inbox.put(("cycle", now.isoformat()))  # the second worker routes and dispatches it meanwhile
            return written

        laps, total, cycles, began = timed_cycles(args, requests, warm=warm, step=step, note=lambda: " analysed")
        inbox.put(None)
        while (msg := outbox.get())[0] == "done":
            pass
        _, other_laps, other_counts = msg
        elapsed = time.perf_counter() - began
        worker.join(60)
        laps.update(other_laps)
        counts = {**requests.counts, **other_counts}
    finally:
        if worker.is_alive():
            worker.kill()
        store.drop_all()
    print(f"two workers: {total} mentions in {cycles} cycles of {args.per_cycle} over {elapsed:.1f}s "
          f"({len(receivers.messages)} messages received in all); load average {os.getloadavg()[0]:.1f}")
    print("  where the time goes (busy time per worker; the two overlap): "
          + split(laps, elapsed, counts, cycles))
    return total / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0, help="wall time of each run")
    parser.add_argument("--per-cycle", type=int, default=1000, help="mentions per cycle")
    parser.add_argument("--interval", type=int, default=5, help="simulated minutes per cycle")
    parser.add_argument("--workers", choices=("1", "2", "both"), default="both",
                        help="one worker, two (analysis | routing and dispatch), or both runs in turn")
    args = parser.parse_args()
    missing = [n for n in FEEDS if not (DATA / n).exists()]
    if missing:
        print(f"skipped: development data absent ({', '.join(missing)} not in {DATA})")
        return

    rows = load_rows()
    print("rows: " + ", ".join(f"{n} {len(r)}" for n, r in rows.items()))
    feed = stream(rows)
    requests = Requests()
    saved_env = dict(os.environ)
    with esnode.scratch_node("bench-sustained") as url, Receivers() as receivers:
        try:
            receivers.start_smtp()
            config = load_config()
            os.environ.update(receivers.env_for(config.alerts))
            rates: dict[str, float] = {}
            if args.workers in ("1", "both"):
                rates["1"] = single(url, config, feed, args, receivers, requests)
                print(f"one worker: mentions_per_second={rates['1']:.1f} per_day={rates['1'] * 86400:.0f}", flush=True)
            if args.workers in ("2", "both"):
                rates["2"] = pipelined(url, config, feed, args, receivers, requests)
                print(f"two workers: mentions_per_second={rates['2']:.1f} per_day={rates['2'] * 86400:.0f}",
                      flush=True)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
    rate = rates["2"] if "2" in rates else rates["1"]
    print(f"mentions_per_second={rate:.1f}")
    print(f"per_day={rate * 86400:.0f}")


if __name__ == "__main__":
    main()
