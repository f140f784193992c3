"""Indexing throughput: the storage layer vs a bare ``helpers.bulk`` on the same node, same run.

Generates realistic mentions (Chinese titles and bodies, segmented with the project tokenizer
beforehand so both paths index identical documents), writes them once through
``Store.bulk`` (models serialised, per-item failures collected) and once through a bare
``elasticsearch.helpers.bulk`` into an index with the same mapping, and prints both rates.

    .venv/bin/python bench/index_throughput.py [--n 50000]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``ratio=<ours/bare>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import time

from elasticsearch import helpers

from yuqing import esnode
from yuqing.clock import TZ
from yuqing.models import Mention, stable_id
from yuqing.segment import segmenter
from yuqing.storage import Store, _index_body, make_client

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
TIERS = ["central", "provincial", "local", "self_media", "official"]


def make_docs(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    seg = segmenter()
    base = dt.datetime(2026, 11, 23, tzinfo=TZ)
    docs = []
    cache: dict[str, str] = {}
    for i in range(n):
        place = rng.choice(PLACES)
        event = rng.choice(EVENTS).format(n=rng.randint(2, 40))
        title = f"{place}{event[:18]}"
        text = f"据网友爆料，{place}{event}。记者从当地了解到，有关部门已介入调查，具体情况以官方通报为准。" * 3
        for s in (title, text):
            if s not in cache:
                cache[s] = seg.cut_for_index(s)
        url = f"https://news.example.cn/{i // 1000}/{i}.html"
        mention = Mention(
            id=stable_id("bench", url), source_id=f"src-{i % 12}", source_type="html",
            media_tier=rng.choice(TIERS), jurisdiction="530000", url=url, canonical_url=url,
            title=title, text=text, title_seg=cache[title], text_seg=cache[text],
            published_at=base + dt.timedelta(seconds=i * 7), crawled_at=base + dt.timedelta(seconds=i * 7 + 60),
            content_hash=stable_id(text), simhash=f"{rng.getrandbits(64):016x}",
        )
        docs.append(mention.to_doc())
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-index"))
    try:
        print(f"generating {args.n} mentions …")
        docs = make_docs(args.n)
        client = make_client(url, timeout=120)
        store = Store(client, prefix="benchidx")
        store.drop_all()
        store.ensure_indices()
        bare_index = "benchbare-mentions"
        client.options(ignore_status=404).indices.delete(index=bare_index)
        client.indices.create(index=bare_index, **_index_body("mentions"))

        t0 = time.perf_counter()
        result = store.bulk("mentions", ((d["id"], d) for d in docs), chunk_size=1000)
        store.refresh("mentions")
        ours = time.perf_counter() - t0
        assert result.ok == args.n and not result.failed, result.failed[:3]

        t0 = time.perf_counter()
        ok, errors = helpers.bulk(client, ({"_index": bare_index, "_id": d["id"], "_source": d} for d in docs),
                                  chunk_size=1000, stats_only=True)
        client.indices.refresh(index=bare_index)
        bare = time.perf_counter() - t0
        assert ok == args.n, errors

        assert store.count("mentions") == client.count(index=bare_index)["count"] == args.n
        ours_rate, bare_rate = args.n / ours, args.n / bare
        print(f"storage layer: {ours:.1f} s, {ours_rate:,.0f} docs/s")
        print(f"bare helpers.bulk: {bare:.1f} s, {bare_rate:,.0f} docs/s")
        store.drop_all()
        client.indices.delete(index=bare_index)
        print(f"ratio={ours_rate / bare_rate:.2f}")
    finally:
        node.close()


if __name__ == "__main__":
    main()
