"""Indexing throughput: what the crawler does per item vs a bare ``helpers.bulk`` of the same documents.

Measures: ``--n`` generated Chinese news items (every one its own text, many of them near-duplicates
of one another, as reprints are) go through the crawler's own write path (``bench/writepath.py``: a
real spider of the ``demo-news`` source with its ``crawl_state`` lookup, then
:class:`crawlers.pipelines.MentionPipeline` — the Mention model, segmentation of title and
text into jieba's tokens (``yuqing.segment``), content hash, SimHash and its bands, reprint linking
(one band search per batch for the stored candidates not already held — the run's own mentions left
out by their ``crawl_run`` term, keys the run searched within ``crawl.reprint_search_memory`` not
searched again, every key in the last batch —, every held candidate compared at once), bulk writes
of mentions and crawl state in batches of ``YUQING_BATCH_SIZE`` as configured (500) — one batch in
flight in a writer thread while the next is built —, source health at the end, refresh). Download and extraction are not
in the timer (``bench/crawl_throughput.py`` covers them).

Baseline: the same final documents — read back from our indices after the run, so byte for byte
what the pipeline wrote, mentions and crawl state — written by a bare
``elasticsearch.helpers.bulk`` (its default chunk of 500) into fresh indices with the same mappings
and settings, then refreshed. Like with like: both write the same documents to the same node in the
same run, after an untimed crawl of 20,000 other items has warmed the node's JIT, as a node that
has been indexing all day is (the node kept compiling well past 2,000 items: the same run of ours
cost it 10.7 s of CPU after 2,000 warm-up items, 7.2 s after 20,000 and 7.2 s after 40,000; the
token-hash cache is emptied after it), and both are timed by the wall clock of the same machine
(the load average is printed: on a shared machine both sides slow down, the crawler's more, since
its per-item work is CPU-bound Python). The baseline is the floor cost of putting these
documents in the index; the ratio says how much of the crawler's per-item work is on top. A
breakdown shows where the rest goes (the writer thread's bulk time is shown separately, since it
overlaps the rest).

    .venv/bin/python bench/index_throughput.py [--n 20000]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``ratio=<ours/bare>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from elasticsearch import helpers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import busy_seconds, work_bound  # noqa: E402
from bench.writepath import crawl_run  # noqa: E402
from crawlers import dedup  # noqa: E402
from crawlers.pipelines import MentionPipeline  # noqa: E402
from yuqing import esnode  # noqa: E402
from yuqing.clock import TZ  # noqa: E402
from yuqing.config import load_config  # noqa: E402
from yuqing.storage import Store, _index_body, make_client  # noqa: E402

SOURCE = "demo-news"
PLACES = ["昆明市五华区", "曲靖市", "楚雄州楚雄市", "大理市", "昆明市官渡区", "玉溪市", "红河州蒙自市"]
EVENTS = [
    "发生一起交通事故，一辆客车与货车相撞，造成{n}人受伤",
    "多名农民工反映被拖欠工资{n}个月，讨薪无果",
    "网传自来水被污染，相关部门回应称系不实信息",
    "出台进一步优化营商环境若干措施，涉及企业开办等{n}个方面",
    "一小区居民反映物业收费不合理，已向12345热线投诉{n}次",
    "学校食堂发生疑似食物中毒事件，{n}名学生送医观察",
    "举办招商引资推介会，现场签约项目{n}个",
    "一商场发生火灾，消防部门出动{n}辆消防车扑救",
]
SENTENCES = [
    "记者从当地了解到，有关部门已介入调查，具体情况以官方通报为准。",
    "现场视频显示，周边道路一度拥堵，交警正在疏导交通。",
    "多名居民表示，此前已多次向社区反映相关问题。",
    "相关负责人表示，将依法依规处理，及时公布调查结果。",
    "有网友质疑处置不及时，也有网友呼吁理性看待。",
    "据了解，该地今年以来已开展多轮专项整治行动。",
]
BEGIN = dt.datetime(2026, 11, 23, tzinfo=TZ)
WARM_ITEMS = 20_000


def make_items(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        place = rng.choice(PLACES)
        event = rng.choice(EVENTS).format(n=rng.randint(2, 40))
        body = "".join(rng.sample(SENTENCES, 4))
        text = (f"据网友爆料，{place}{event}。{body}截至{rng.randint(1, 23)}时{rng.randint(0, 59)}分，"
                f"{rng.choice(PLACES)}已有{rng.randint(2, 900)}人关注此事。{rng.choice(SENTENCES)}")
        url = f"https://news.example.cn/{i // 1000}/{i}.html"
        items.append({"key": url, "url": url, "title": f"{place}{event[:18]}", "text": text,
                      "published_at": BEGIN + dt.timedelta(seconds=i), "doc_type": "article"})
    return items


class TimedPipeline(MentionPipeline):
    """The real pipeline with stopwatches around its steps (for the breakdown only)."""

    laps: dict[str, float] = {"model + segmentation + SimHash": 0.0, "reprint linking (band search)": 0.0,
                              "waiting for the batch in flight": 0.0, "batch documents": 0.0}
    writer_busy = 0.0  # the writer thread's bulk requests (overlapped with the laps above)
    hashing = 0.0  # the batches' SimHash (in flush, counted in the first lap)

    def build(self, item: dict[str, Any]) -> Any:
        t = time.perf_counter()
        try:
            return super().build(item)
        finally:
            self.laps["model + segmentation + SimHash"] += time.perf_counter() - t

    def hash_batch(self, mentions: list[Any]) -> None:
        t = time.perf_counter()
        try:
            super().hash_batch(mentions)
        finally:
            self.laps["model + segmentation + SimHash"] += time.perf_counter() - t
            self.hashing += time.perf_counter() - t

    def link_reprints(self, mentions: list[Any], *, last: bool = False) -> None:
        t = time.perf_counter()
        try:
            super().link_reprints(mentions, last=last)
        finally:
            self.laps["reprint linking (band search)"] += time.perf_counter() - t

    def wait_writes(self) -> None:
        t = time.perf_counter()
        try:
            super().wait_writes()
        finally:
            self.laps["waiting for the batch in flight"] += time.perf_counter() - t

    def _write(self, writes: Any) -> Any:
        t = time.perf_counter()
        try:
            return super()._write(writes)
        finally:
            type(self).writer_busy += time.perf_counter() - t

    def flush(self, *, last: bool = False) -> None:
        t = time.perf_counter()
        laps = self.laps
        before = laps["reprint linking (band search)"] + laps["waiting for the batch in flight"] + self.hashing
        try:
            super().flush(last=last)
        finally:
            inner = (self.laps["reprint linking (band search)"] + self.laps["waiting for the batch in flight"]
                     + self.hashing - before)
            self.laps["batch documents"] += time.perf_counter() - t - inner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-index"))
    try:
        config = load_config()
        print(f"generating {args.n} items …")
        items = make_items(args.n)
        client = make_client(url, timeout=120)
        store = Store(client, prefix="benchidx")
        store.drop_all()
        store.ensure_indices()
        # warm the segmenter, the models and the node's JIT outside both timers: a crawl of other items
        crawl_run(store, config, SOURCE, make_items(WARM_ITEMS, seed=99), now=BEGIN)
        dedup._HASHES.clear()  # the token hashes start cold, as in a crawl's fresh write process
        store.drop_all()
        store.ensure_indices()

        cpu0, own0 = busy_seconds(), time.process_time()
        t0 = time.perf_counter()
        new = crawl_run(store, config, SOURCE, items, now=BEGIN + dt.timedelta(days=1), pipeline_cls=TimedPipeline)
        ours = time.perf_counter() - t0
        ours_busy, ours_own = busy_seconds() - cpu0, time.process_time() - own0
        assert new == args.n, f"{new} of {args.n} written"

        final = {kind: [(d["id"], d) for d in store.scan(kind)] for kind in ("mentions", "crawl_state")}
        settings = store.index_settings()
        bare = {kind: f"benchbare-{kind}" for kind in final}
        for kind, index in bare.items():
            client.options(ignore_status=404).indices.delete(index=index)
            client.indices.create(index=index, **_index_body(kind, settings[kind]))
        cpu0, own0 = busy_seconds(), time.process_time()
        t0 = time.perf_counter()
        for kind, docs in final.items():
            ok, errors = helpers.bulk(client, ({"_index": bare[kind], "_id": i, "_source": d} for i, d in docs),
                                      stats_only=True)
            assert ok == len(docs), errors
        client.indices.refresh(index=",".join(bare.values()))
        base = time.perf_counter() - t0
        bare_busy, bare_own = busy_seconds() - cpu0, time.process_time() - own0
        assert client.count(index=bare["mentions"])["count"] == store.count("mentions") == args.n

        ours_rate, bare_rate = args.n / ours, args.n / base
        print(f"crawler write path: {ours:.1f} s, {ours_rate:,.0f} items/s")
        print(f"bare helpers.bulk of the same {sum(len(d) for d in final.values())} documents: {base:.1f} s, "
              f"{bare_rate:,.0f} items/s")
        laps = dict(TimedPipeline.laps)
        laps["spider set-up, crawl_state lookup, health, refresh"] = ours - sum(laps.values())
        print("where the crawler's time goes: " + ", ".join(f"{k} {v:.1f}s ({v / ours:.0%})" for k, v in laps.items()))
        print(f"the writer thread's bulk requests took {TimedPipeline.writer_busy:.1f}s, overlapped with the above")
        fastest, bound = work_bound(args.n, ours_busy, bare_rate)
        print(f"machine CPU per item (this process and the node): ours {ours_busy / args.n * 1000:.2f} ms, bare "
              f"{bare_busy / args.n * 1000:.2f} ms; on {os.cpu_count()} cores ours' work allows at most "
              f"{fastest:,.0f} items/s, a ratio of {bound:.2f}")
        print(f"of which this process (every thread): ours {ours_own / args.n * 1000:.2f} ms, bare "
              f"{bare_own / args.n * 1000:.2f} ms; the rest (the node): ours "
              f"{(ours_busy - ours_own) / args.n * 1000:.2f} ms, bare {(bare_busy - bare_own) / args.n * 1000:.2f} ms")
        print(f"load average {os.getloadavg()[0]:.1f}")
        store.drop_all()
        client.indices.delete(index=",".join(bare.values()))
        print(f"ratio={ours_rate / bare_rate:.2f}")
    finally:
        node.close()


if __name__ == "__main__":
    main()
