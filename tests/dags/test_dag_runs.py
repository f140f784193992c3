"""Every DAG runs with ``dag.test()`` against the real node, the demo web and the local alert
receivers; re-running the same intervals leaves Elasticsearch exactly as it was and sends nothing.

The DAGs run in one child process (``python -m demo.dagrun``, both passes, pausing in between so
the test can snapshot Elasticsearch) with a private Airflow home, so Airflow's import-time
configuration never leaks into the test session.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import helpers

from demo.dagrun import PAUSE
from yuqing.clock import TZ
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import MAPPINGS, Store, make_client

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 23)
AT = dt.datetime.combine(DAY, dt.time(10), tzinfo=TZ)  # the explosion and its official release are online
MORNING_AFTER = dt.datetime.combine(DAY + dt.timedelta(days=1), dt.time(8), tzinfo=TZ)
COLLECT = ["yuqing_collect_every_5m", "yuqing_collect_every_10m", "yuqing_collect_every_15m",
           "yuqing_collect_every_30m"]
CYCLE = [*COLLECT, "yuqing_analysis", "yuqing_routing", "yuqing_clock_sweep", "yuqing_alert_dispatch",
         "yuqing_source_health", "yuqing_assessment"]


@pytest.fixture
def world(es_url: str, tmp_path: Path, airflow_home: Path) -> Iterator[dict[str, Any]]:
    """The demo web at 10:00, the receivers, a demo config and a fresh index prefix."""
    from demo.main import write_config
    from demo.receivers import Receivers
    from demo.web import DemoWeb
    from yuqing.config import load_config

    prefix = f"t{uuid.uuid4().hex[:10]}"
    store = Store(make_client(es_url), prefix=prefix)
    store.ensure_indices()
    with DemoWeb(DAY, port=0) as web, Receivers() as receivers:
        web.set_now(AT)
        config_dir = write_config(tmp_path / "config", web.base_url)
        env = {**os.environ, **receivers.env_for(load_config(config_dir).alerts),
               "ES_URL": es_url, "YUQING_INDEX_PREFIX": prefix, "YUQING_CONFIG": str(config_dir),
               "YUQING_VAR": str(tmp_path / "var"), "YUQING_REPORTS_DIR": str(tmp_path / "reports"),
               "AIRFLOW_HOME": str(airflow_home)}
        try:
            yield {"store": store, "env": env, "receivers": receivers, "reports": tmp_path / "reports"}
        finally:
            store.drop_all()
            store.client.close()


class DagProcess:
    """``python -m demo.dagrun`` running the given passes, pausing between them."""

    def __init__(self, env: dict[str, str], passes: list[list[str]]) -> None:
        args = [spec for n, specs in enumerate(passes) for spec in ([PAUSE] if n else []) + specs]
        self.proc = subprocess.Popen([sys.executable, "-m", "demo.dagrun", *args], env=env, cwd=PROJECT_ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True)
        self.seen: list[str] = []

    def next_pass(self, count: int) -> list[dict[str, Any]]:
        """Read ``count`` run results (stopping at a pause)."""
        assert self.proc.stdout is not None
        runs: list[dict[str, Any]] = []
        while len(runs) < count:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.seen.append(line)
            if line.startswith('{"dag_id"'):
                runs.append(json.loads(line))
        assert len(runs) == count, "".join(self.seen[-40:])
        return runs

    def resume(self) -> None:
        assert self.proc.stdout is not None and self.proc.stdin is not None
        while (line := self.proc.stdout.readline()) and line.strip() != PAUSE:
            self.seen.append(line)
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def snapshot(store: Store) -> dict[str, dict[str, dict[str, Any]]]:
    """Every document under the prefix: kind → id → source."""
    store.refresh()
    return {kind: {hit["_id"]: hit["_source"] for hit in helpers.scan(store.client, index=store.alias(kind))}
            for kind in MAPPINGS}


def digest(snap: dict[str, dict[str, dict[str, Any]]]) -> dict[str, tuple[int, str]]:
    """Per index kind: document count and a hash over every (id, source), in id order."""
    return {kind: (len(docs), hashlib.sha256(json.dumps(sorted(docs.items()), sort_keys=True,
                                                        ensure_ascii=False).encode()).hexdigest())
            for kind, docs in snap.items()}


def differences(before: dict[str, dict[str, dict[str, Any]]],
                after: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """What changed, for the failure message: added / removed ids and changed fields per document."""
    out: dict[str, Any] = {}
    for kind in before:
        old, new = before[kind], after[kind]
        changed = {i: sorted(k for k in set(old[i]) | set(new[i]) if old[i].get(k) != new[i].get(k))
                   for i in set(old) & set(new) if old[i] != new[i]}
        if changed or set(old) != set(new):
            out[kind] = {"added": sorted(set(new) - set(old)), "removed": sorted(set(old) - set(new)),
                         "changed": changed}
    return out


def test_every_dag_runs_and_a_rerun_of_the_same_intervals_changes_nothing(world: dict[str, Any]) -> None:
    specs = [f"{dag_id}@{AT.isoformat()}" for dag_id in CYCLE]
    specs.append(f"yuqing_daily_report@{MORNING_AFTER.isoformat()}")
    specs.append(f"yuqing_maintenance@{MORNING_AFTER.isoformat()}")  # retention: the day's data is kept

    runner = DagProcess(world["env"], [specs, specs])
    try:
        first = runner.next_pass(len(specs))
        check_first_pass(world, first, len(specs))
        before = snapshot(world["store"])
        messages = len(world["receivers"].received())
        runner.resume()
        second = runner.next_pass(len(specs))
    finally:
        runner.close()

    assert [r["state"] for r in second] == ["success"] * len(specs)
    results = {r["dag_id"]: r["results"] for r in second}
    assert sum(s["new"] for d in COLLECT for s in results[d]["crawl"]["items"]) == 0
    after = snapshot(world["store"])
    assert len(world["receivers"].received()) == messages  # nothing sent twice
    assert differences(before, after) == {}
    assert digest(after) == digest(before)


def check_first_pass(world: dict[str, Any], first: list[dict[str, Any]], count: int) -> None:
    assert [r["state"] for r in first] == ["success"] * count, [(r["dag_id"], r["failed"]) for r in first]
    results = {r["dag_id"]: r["results"] for r in first}
    skipped = {d: t for d, tasks in results.items() for t, res in tasks.items() if res.get("skipped")}
    assert skipped == {}, f"stages skipped: {skipped}"
    crawled = [s for d in COLLECT for s in results[d]["crawl"]["items"]]
    assert sum(s["new"] for s in crawled) > 0
    store: Store = world["store"]
    store.refresh()
    assert store.count("mentions") == sum(s["new"] for s in crawled)
    assert store.count("incidents") > 0
    assert store.count("clocks") > 0
    assert results["yuqing_routing"]["route"]["routed"] > 0
    kept = results["yuqing_maintenance"]["apply_retention"]
    assert {kind: r["deleted"] for kind, r in kept.items() if kind != "stage"} == {
        "mentions": 0, "deliveries": 0, "source_health": 0, "audit": 0, "engagement": 0, "hotlist": 0,
        "console_sessions": 0, "sign_in_attempts": 0}
    report = results["yuqing_daily_report"]["write_daily"]
    assert report["day"] == DAY.isoformat()
    assert all(Path(p).exists() and Path(p).parent == world["reports"] for p in report["files"].values())
