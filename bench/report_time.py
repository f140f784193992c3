"""Time the daily report over 100,000 mentions.

Seeds synthetic but realistic documents (``demo/synthetic.py``: mentions with sentiment, priorities
and places; incidents; clocks; releases; source-health runs) under the index prefix ``bench-reports`` with
``Store.bulk``, then times ``reports.api.write_daily`` for the busiest day. Uses ES_URL, or starts
(and afterwards stops) a local node named ``bench``. The last line is ``seconds=<n>`` (aim ≤ 30).

    .venv/bin/python bench/report_time.py [--mentions 100000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.synthetic import DAY, generate
from yuqing.clock import TZ
from yuqing.config import load_config
from yuqing.models import stable_id
from yuqing.storage import Store, make_client

PREFIX = "bench-reports"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the bench indices (reused next run)")
    args = parser.parse_args()

    started_node = False
    from yuqing import esnode

    node = None
    url = esnode.configured_url()
    if not url:
        started_node = not esnode.status("bench").get("running")
        node = esnode.start(name="bench", port=None)
        url = node.client_url("tasks")
    store = Store(make_client(url, timeout=120), prefix=PREFIX)
    try:
        store.ensure_indices()
        if store.count("mentions") != args.mentions:
            store.drop_all()
            store.ensure_indices()
            t0 = time.perf_counter()
            docs = generate(args.mentions, random.Random(42))
            for kind, items in docs.items():
                result = store.bulk(kind, items, chunk_size=5000)
                if result.failed:
                    print(f"{kind}: {len(result.failed)} failed, first {result.failed[0]}", file=sys.stderr)
                    return 1
            store.refresh()
            print(f"seeded {args.mentions} mentions, {len(docs['incidents'])} incidents, "
                  f"{len(docs['clocks'])} clocks, {len(docs['releases'])} releases "
                  f"in {time.perf_counter() - t0:.1f}s")
        from reports.api import write_daily

        config = load_config()
        now = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(8), tzinfo=TZ)
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            paths = write_daily(store, config, DAY, Path(out), now=now)
            seconds = time.perf_counter() - t0
            sizes = ", ".join(f"{k} {p.stat().st_size // 1024} KiB" for k, p in paths.items())
        report = store.get("reports", stable_id("report", "daily", DAY.isoformat())) or {}
        figures = report.get("figures", {})
        print(f"day {DAY}: {figures.get('mentions', {}).get('total')} mentions, "
              f"{figures.get('incidents', {}).get('active')} active incidents; files: {sizes}")
    finally:
        if not args.keep:
            store.drop_all()
        store.client.close()
        if started_node and node is not None:
            esnode.stop(node)  # by the node's own record, whatever the environment says now
    print(f"seconds={seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
