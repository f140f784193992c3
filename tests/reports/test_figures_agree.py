"""Every figure of the daily report agrees with Elasticsearch and with every other figure.

The report is written, then each figure it stored (and the ones it prints) is recomputed here
straight from the documents — scanned in Python with the definitions the report prints in its
说明, not through ``reports.data`` or the report's aggregations — on the seeded realistic day
(three incidents: gas explosion, water rumour, school canteen) and on a generated day of 100,000
analysed mentions (``demo/synthetic.py``: 70,000 on the day, 2,000 incidents, clocks, releases,
crawl runs).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from demo.synthetic import generate, seed
from tests.reports.recount import check_report
from tests.support import open_test_store
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.storage import Store

pytestmark = pytest.mark.integration


def test_every_figure_of_the_seeded_day_agrees_with_elasticsearch(seeded_day: dict[str, Any], config: Config,
                                                                   tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 21, 8, 0, tzinfo=TZ)
    figures = check_report(seeded_day["store"], config, seeded_day["day"], now, tmp_path)
    # the day the seed describes: 28 mentions, 3 incidents of which 2 new, the rumour rebutted
    assert (figures["mentions"]["total"], figures["incidents"]["active"], figures["incidents"]["new"]) == (28, 3, 2)
    assert figures["advice"]["rumours"] == []


def test_an_incident_merged_into_another_is_counted_once(seeded_day: dict[str, Any], config: Config,
                                                        tmp_path: Path) -> None:
    # merging by hand leaves the absorbed incident in state "merged" pointing at its survivor; the
    # report counts the survivor only, and still agrees with Elasticsearch
    store: Store = seeded_day["store"]
    now = dt.datetime(2026, 11, 21, 8, 0, tzinfo=TZ)
    before = check_report(store, config, seeded_day["day"], now, tmp_path / "before")
    absorbed = next(d for d in store.find("incidents", sort=[{"id": "asc"}])
                    if d.get("state") not in ("dismissed", "merged") and d.get("created_at", "") < "2026-11-20")
    store.update("incidents", absorbed["id"], {"state": "merged"}, upsert=False, refresh=True)
    try:
        after = check_report(store, config, seeded_day["day"], now, tmp_path / "after")
    finally:
        store.update("incidents", absorbed["id"], {"state": absorbed.get("state")}, upsert=False, refresh=True)
    assert after["incidents"]["active"] == before["incidents"]["active"] - 1


@pytest.fixture(scope="module")
def busy_store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url, tag="busy") as store:
        t0 = time.perf_counter()
        result = seed(store, generate(100_000, random.Random(7), tag="busy"))
        assert not result.failed, result.failed[:3]
        print(f"seeded {result.ok} documents in {time.perf_counter() - t0:.1f}s")
        yield store


def test_every_figure_of_a_generated_100k_mention_day_agrees_with_elasticsearch(
        busy_store: Store, config: Config, tmp_path: Path) -> None:
    day = dt.date(2026, 11, 20)
    now = dt.datetime(2026, 11, 21, 8, 0, tzinfo=TZ)
    figures = check_report(busy_store, config, day, now, tmp_path)
    m = figures["mentions"]
    assert busy_store.count("mentions") == 100_000
    assert m["total"] > 69_000
    # the generated day exercises every part: multi-label shares, late-found and dismissed incidents,
    # a rising topic, a place whose negative share jumped, unrebutted rumours and overdue clocks
    assert m["priority_multi_label"]
    assert figures["incidents"]["new"] > 0 and figures["incidents"]["continuing"] > 0
    advice = figures["advice"]
    assert advice["rising"] and advice["negative_surge"] and advice["rumours"] and advice["overdue"]
    assert "曲靖市" in {s["place"] for s in advice["negative_surge"]}
