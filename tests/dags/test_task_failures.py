"""A task that could not do its work fails, so Airflow retries it: a crawl whose writes had to be
spooled (Elasticsearch gone mid-crawl) fails under ``dag.test()`` and its retry stores everything;
a stage whose domain function is missing fails instead of passing as "skipped"."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from pipeline import tasks
from tests.crawlers.esproxy import EsProxy
from yuqing.clock import TZ
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store, make_client

pytestmark = pytest.mark.integration

DAY = dt.date(2026, 11, 23)
AT = dt.datetime.combine(DAY, dt.time(10), tzinfo=TZ)
DAG = "yuqing_collect_every_5m"


def test_a_missing_stage_fails_instead_of_passing_as_skipped() -> None:
    with pytest.raises(tasks.StageMissing, match="no_such_stage"):
        tasks._run("analysis", "analysis.api", "no_such_stage", lambda f: f())
    with pytest.raises(tasks.StageMissing, match="not installed"):
        tasks._run("analysis", "no_such_package.api", "analyze_pending", lambda f: f())


def _dag_test(env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-m", "demo.dagrun", f"{DAG}@{AT.isoformat()}"], env=env,
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, check=False)
    runs = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"dag_id"')]
    assert len(runs) == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    return runs[0]


def test_a_crawl_that_spooled_its_writes_fails_its_task_and_the_retry_stores_them(
        es_url: str, tmp_path: Path, airflow_home: Path) -> None:
    from demo.main import write_config
    from demo.web import DemoWeb

    prefix = f"t{uuid.uuid4().hex[:10]}"
    store = Store(make_client(es_url), prefix=prefix)
    store.ensure_indices()
    try:
        with DemoWeb(DAY, port=0) as web, EsProxy(es_url) as proxy:
            web.set_now(AT)
            config_dir = write_config(tmp_path / "config", web.base_url)
            env = {**os.environ, "ES_URL": proxy.url, "YUQING_INDEX_PREFIX": prefix,
                   "YUQING_CONFIG": str(config_dir), "YUQING_VAR": str(tmp_path / "var"),
                   "AIRFLOW_HOME": str(airflow_home)}
            # the node answers when the task starts, then refuses every write: the crawl spools
            proxy.fail_when = lambda method, path: "_bulk" in path or "/_doc/" in path
            failed = _dag_test(env)
            assert failed["state"] == "failed" and failed["failed"] == ["crawl"], failed
            store.refresh()
            assert store.count("mentions") == 0
            assert list((tmp_path / "var" / "spool" / prefix).glob("*.jsonl"))

            proxy.fail_when = None  # back: Airflow's retry of the same interval
            retried = _dag_test(env)
        assert retried["state"] == "success", retried
        store.refresh()
        assert store.count("mentions") > 0
        assert not list((tmp_path / "var" / "spool" / prefix).glob("*.jsonl"))
        stored = store.count("mentions")
        crawl = retried["results"]["crawl"]  # type: ignore[index]
        assert sum(s["new"] for s in crawl["items"]) == 0  # spooled items were known: nothing doubled
        assert stored == len({m["canonical_url"] for m in store.find("mentions", size=1000)})
    finally:
        store.drop_all()
        store.client.close()
