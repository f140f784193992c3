"""Reprint linking on real texts: the crawler's write path (batches, stored and in-run candidates, two
runs) links every mention exactly as the rule says, checked against a brute-force reading of the rule
over the development rumour posts (the same rumour is posted many times) plus edited reprints."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from crawlers import dedup
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.paths import PROJECT_ROOT
from yuqing.segment import segmenter
from yuqing.storage import Store

pytestmark = [pytest.mark.integration, pytest.mark.data]

BEGIN = dt.datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
EDITS = ["（责任编辑：张芳）", "本文转自云南日报网。", "来源：新华网。", "（完）"]


def _textbook_simhash(tokens: list[str]) -> int:
    acc = [0] * 64
    for token in tokens:
        if not dedup._WORDLIKE.search(token):
            continue
        h = dedup._token_hash(token)
        for i in range(64):
            acc[i] += 1 if h >> i & 1 else -1
    return sum(1 << i for i in range(64) if acc[i] > 0)


def _items(shared_data: Path) -> list[dict[str, Any]]:
    with (shared_data / "rumor_dev.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(3)
    items = []
    for i, row in enumerate(rows):
        items.append({"key": f"https://news.example.cn/r/{i}.html", "title": row["text"][:20], "text": row["text"],
                      "at": BEGIN + dt.timedelta(minutes=rng.randint(0, 5000))})
        if i % 7 == 0:  # an edited reprint, published before or after the post
            edit = rng.choice(EDITS)
            text = edit + row["text"] if edit.endswith("。") else row["text"] + edit
            items.append({"key": f"https://news.example.cn/e/{i}.html", "title": row["text"][:20], "text": text,
                          "at": BEGIN + dt.timedelta(minutes=rng.randint(0, 5000))})
    rng.shuffle(items)
    for it in items:
        it.update(url=it["key"], published_at=it.pop("at"), doc_type="article")
    return items


def _by_the_rule(items: list[dict[str, Any]], mention_ids: list[str], k: int, min_chars: int) -> dict[str, str | None]:
    """Brute force: each mention in crawl order joins the earliest earlier-crawled one within ``k`` (its root),
    or, when it is itself the earliest, every one within ``k`` is re-linked to it."""
    seg = segmenter()
    links: dict[str, str | None] = {}
    seen: list[tuple[str, int, dt.datetime]] = []
    for item, mid in zip(items, mention_ids, strict=True):
        links[mid] = None
        if len(item["text"]) < min_chars:
            continue
        h = dedup.simhash(seg.cut(item["text"]) or seg.cut(item["title"]))
        me = (item["published_at"], mid)
        group = [(at, cid) for cid, ch, at in seen if dedup.distance(ch, h) <= k]
        if group:
            earliest = min(group)
            if me < earliest:
                for _, cid in group:
                    links[cid] = mid
            else:
                links[mid] = links[earliest[1]] or earliest[1]
        seen.append((mid, h, item["published_at"]))
    return links


def test_simhash_is_the_textbook_definition_on_real_posts(shared_data: Path) -> None:
    seg = segmenter()
    with (shared_data / "rumor_dev.csv").open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)][:300]
    assert all(dedup.simhash(seg.cut(t)) == _textbook_simhash(seg.cut(t)) for t in texts)


def test_a_batchs_simhashes_are_each_texts_own(shared_data: Path) -> None:
    """The pipeline hashes a whole batch at once: no text's hash may depend on its neighbours, and
    texts without a word (empty, punctuation only) hash to 0 wherever they sit in the batch."""
    seg = segmenter()
    with (shared_data / "rumor_dev.csv").open(encoding="utf-8") as f:
        tokens = [seg.cut(row["text"]) for row in csv.DictReader(f)][:300]
    tokens[5:5] = [[], ["，", "！"], ["网传"], ["网传", "网传", "。"]]
    assert dedup.simhashes(tokens).tolist() == [_textbook_simhash(t) for t in tokens]
    assert dedup.simhashes(tokens[5:9]).tolist()[:2] == [0, 0]
    assert dedup.simhashes([]).tolist() == []


def test_reprints_are_linked_as_the_rule_says_across_batches_and_runs(store: Store, config: Config,
                                                                      shared_data: Path) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    from bench.writepath import crawl_run
    from yuqing.models import stable_id

    items = _items(shared_data)
    half = len(items) // 2
    new = crawl_run(store, config, "demo-news", items[:half], now=BEGIN + dt.timedelta(days=5))
    new += crawl_run(store, config, "demo-news", items[half:], now=BEGIN + dt.timedelta(days=6))
    assert new == len(items)

    crawl = config.sources.crawl
    ids = [stable_id("demo-news", it["key"]) for it in items]
    expected = _by_the_rule(items, ids, crawl.simhash_max_distance, crawl.simhash_min_chars)
    stored = {d["id"]: d.get("reprint_of") for d in store.scan("mentions")}
    assert stored == expected
    reprints = [mid for mid, root in expected.items() if root]
    assert len(reprints) >= 250  # the edited reprints and the rumour's repeats are found …
    relinked = [mid for mid, root in expected.items()
                if root and ids.index(root) > ids.index(mid)]  # … and older posts crawled later take over
    assert relinked, "no mention was re-linked to an older one crawled after it"
