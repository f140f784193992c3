"""Clock sweep: one sweep over 100,000 open response clocks in Elasticsearch.

Bulk-loads 25,000 routed incidents with four running clocks each (through ``Store.bulk``), due
times spread from 6 hours ago to 25 days ahead, so about 1 % are past due (missed and escalated)
and a few percent fall inside a reminder window. Then times one ``sweep_clocks`` call, which reads
only the clocks that need action (range queries on ``due_at``) — the stress case of ~1,000 clocks
going overdue at once, as after an outage — then a second sweep (nothing to do) and a routine
sweep one minute later.

    .venv/bin/python bench/clock_sweep.py [--clocks 100000]

Uses ES_URL if set, else starts (and stops) a private node. Last line: ``seconds=<first sweep>``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import time

from response.api import sweep_clocks
from yuqing import esnode
from yuqing.clock import TZ
from yuqing.config import load_config
from yuqing.models import Clock, Incident, Routing, Severity, stable_id
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store, make_client

RULES = [("authoritative_info", "发布权威信息"), ("press_conference", "召开新闻发布会"),
         ("response_48h", "回应社会关切"), ("policy_interpretation", "政策解读")]
OFFICES = ["kunming_gov", "qujing_gov", "wuhua_gov", "prov_health", "prov_market", "prov_gov_office"]


def load(store: Store, n_clocks: int, now: dt.datetime, seed: int = 11) -> None:
    rng = random.Random(seed)
    n_incidents = n_clocks // len(RULES)
    incidents, clocks = [], []
    for i in range(n_incidents):
        office = rng.choice(OFFICES)
        first = now - dt.timedelta(hours=rng.uniform(1, 72))
        incident = Incident(
            id=stable_id("bench-incident", i), title=f"基准事件 {i}", first_seen_at=first, last_seen_at=first,
            first_mention_id=stable_id("bench-mention", i), place_codes=["530102"], priorities=["credibility"],
            severity=Severity(level="III", score=0.4), state="assigned", assigned_office=office,
            routing=Routing(lead_office=office, rule_id="default_place", reason_zh="基准", routed_at=first),
            created_at=first, updated_at=first,
        )
        incidents.append((incident.id, incident.to_doc()))
        for rule_id, name in RULES:
            due = now + dt.timedelta(minutes=rng.uniform(-6 * 60, 25 * 24 * 60))
            clock = Clock(id=stable_id(incident.id, rule_id), incident_id=incident.id, rule_id=rule_id,
                          name_zh=name, opened_at=first, due_at=due, owner_office=office)
            clocks.append((clock.id, clock.to_doc()))
    for kind, docs in (("incidents", incidents), ("clocks", clocks)):
        result = store.bulk(kind, docs, chunk_size=2000)
        assert not result.failed, result.failed[:3]
    store.refresh("incidents", "clocks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clocks", type=int, default=100_000)
    args = parser.parse_args()

    node = contextlib.ExitStack()
    url = node.enter_context(esnode.scratch_node("bench-clocks"))
    try:
        config = load_config(PROJECT_ROOT / "config")
        store = Store(make_client(url, timeout=120), prefix="benchclk")
        store.drop_all()
        store.ensure_indices()
        now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)
        t0 = time.perf_counter()
        load(store, args.clocks, now)
        print(f"loaded {store.count('clocks'):,} open clocks in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        stats = sweep_clocks(store, config, now=now)
        first = time.perf_counter() - t0
        print(f"sweep 1: {stats.summary()} in {first:.2f} s (phases: {stats.seconds})")
        t0 = time.perf_counter()
        again = sweep_clocks(store, config, now=now)
        print(f"sweep 2 (same now, nothing new): {again.summary()} in {time.perf_counter() - t0:.2f} s")
        assert again.missed == 0 and again.escalated == 0 and not again.reminders
        t0 = time.perf_counter()
        routine = sweep_clocks(store, config, now=now + dt.timedelta(minutes=1))
        print(f"sweep 3 (one minute later, the routine case): {routine.summary()} "
              f"in {time.perf_counter() - t0:.2f} s")
        store.drop_all()
        print(f"seconds={first:.2f}")
    finally:
        node.close()


if __name__ == "__main__":
    main()
