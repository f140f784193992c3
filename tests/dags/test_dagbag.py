"""DAG integrity: every DAG file parses, carries tags, retries and docs, and parsing is hygienic.

The DAG folder is parsed the way Airflow 3 parses a bundle, in a fresh interpreter
(``parse_dags.py``), with Elasticsearch pointed at a closed port and every socket connection,
Airflow connection lookup and Variable lookup recorded while the files are parsed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from yuqing.paths import PROJECT_ROOT

DAGS = PROJECT_ROOT / "dags"
PARSER = Path(__file__).with_name("parse_dags.py")
DAG_FILES = sorted(p.name for p in DAGS.glob("*.py") if not p.name.startswith("_"))
CLOSED = "http://127.0.0.1:9"  # discard port: nothing listens there


def parse(tmp: Path, dags_folder: Path, config_dir: Path | None = None) -> dict[str, Any]:
    out = tmp / "parsed.json"
    env = {**os.environ, "AIRFLOW_HOME": str(tmp / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder), "ES_URL": CLOSED,
           "AIRFLOW_CONN_YUQING_ES": CLOSED, "YUQING_CONFIG": str(config_dir or PROJECT_ROOT / "config")}
    env.pop("YUQING_DAG_RETRIES", None)
    proc = subprocess.run([sys.executable, str(PARSER), str(dags_folder), str(out)], env=env, cwd=tmp,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and out.exists(), proc.stderr[-3000:] + proc.stdout[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return parse(tmp_path_factory.mktemp("dagbag"), DAGS)


def dags_of(parsed: dict[str, Any], filename: str) -> list[dict[str, Any]]:
    return [d for d in parsed["dags"] if Path(d["fileloc"]).name == filename]


def by_id(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["dag_id"]: d for d in parsed["dags"]}


def test_every_dag_file_imports_without_errors(parsed: dict[str, Any]) -> None:
    assert parsed["import_errors"] == {}
    assert DAG_FILES, "no DAG files found"


@pytest.mark.parametrize("filename", DAG_FILES)
def test_dag_file_defines_documented_tagged_dags_with_retries(parsed: dict[str, Any], filename: str) -> None:
    dags = dags_of(parsed, filename)
    assert dags, f"{filename} defines no DAG"
    for dag in dags:
        assert dag["dag_id"].startswith("yuqing_")
        assert "yuqing" in dag["tags"] and len(dag["tags"]) >= 2, dag["tags"]
        assert dag["doc_md"].startswith("# "), f"{dag['dag_id']} has no doc_md"
        assert dag["catchup"] is False
        assert dag["max_active_runs"] == 1
        assert dag["tasks"], f"{dag['dag_id']} has no task"
        for task in dag["tasks"]:
            assert task["retries"] >= 1, f"{dag['dag_id']}.{task['task_id']} never retries"
            assert task["retry_delay_s"] > 0


def test_parsing_opens_no_connection_and_no_elasticsearch_client(parsed: dict[str, Any]) -> None:
    assert parsed["connects"] == []
    assert parsed["lookups"] == []
    assert parsed["elasticsearch_imported"] is False


def test_stages_are_wired_by_assets(parsed: dict[str, Any]) -> None:
    dags = by_id(parsed)
    collection = [d for d in dags.values() if d["dag_id"].startswith("yuqing_collect_")]
    assert collection
    for dag in collection:
        assert all("yuqing://mentions/" in t["outlets"] for t in dag["tasks"])
    assert dags["yuqing_analysis"]["schedule_assets"] == ["yuqing://mentions/"]
    assert dags["yuqing_analysis"]["tasks"][0]["outlets"] == ["yuqing://incidents/"]
    assert dags["yuqing_routing"]["schedule_assets"] == ["yuqing://incidents/"]
    assert dags["yuqing_routing"]["tasks"][0]["outlets"] == ["yuqing://clocks/"]
    # alert dispatch: every minute, and at once after routing opens clocks
    assert dags["yuqing_alert_dispatch"]["schedule_assets"] == ["yuqing://clocks/"]
    assert dags["yuqing_alert_dispatch"]["cron"] == "* * * * *"


def test_clock_sweep_runs_every_minute_and_daily_report_at_8_in_shanghai(parsed: dict[str, Any]) -> None:
    dags = by_id(parsed)
    assert (dags["yuqing_clock_sweep"]["cron"], dags["yuqing_clock_sweep"]["timezone"]) == ("* * * * *",
                                                                                            "Asia/Shanghai")
    assert (dags["yuqing_daily_report"]["cron"], dags["yuqing_daily_report"]["timezone"]) == ("0 8 * * *",
                                                                                              "Asia/Shanghai")
    assert dags["yuqing_assessment"]["cron"] and dags["yuqing_source_health"]["cron"]


def test_collection_dags_group_the_configured_sources_by_schedule(parsed: dict[str, Any]) -> None:
    sources = yaml.safe_load((PROJECT_ROOT / "config" / "sources.yaml").read_text(encoding="utf-8"))["sources"]
    enabled = {s["id"] for s in sources if s.get("enabled", True)}
    crawled: dict[str, float] = {}
    for dag in parsed["dags"]:
        if dag["dag_id"].startswith("yuqing_collect_"):
            for task in dag["tasks"]:
                for source_id in task["op_args"][0]:
                    crawled[source_id] = dag["every_s"]
    assert set(crawled) == enabled
    from yuqing.clock import Duration

    for s in sources:
        if s["id"] in enabled:
            assert crawled[s["id"]] == Duration.parse(s.get("schedule", "30m")).as_timedelta().total_seconds()


def test_a_new_schedule_in_sources_yaml_adds_a_collection_dag_and_the_checker_sees_connections(
        tmp_path: Path, config_dir: Path) -> None:
    path = config_dir / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    extra = dict(data["sources"][0], id="extra-hourly", schedule="2h")
    disabled = dict(data["sources"][0], id="extra-disabled", schedule="3h", enabled=False)
    data["sources"] += [extra, disabled]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    folder = tmp_path / "dags"
    shutil.copytree(DAGS, folder)
    # A DAG file that talks to Elasticsearch at parse time: the check must notice it.
    (folder / "bad_parse.py").write_text(
        "from airflow.sdk import dag\n"
        "from yuqing.storage import Store\n"
        "Store.connect('" + CLOSED + "').count('mentions')\n", encoding="utf-8")

    result = parse(tmp_path, folder, config_dir)

    dags = by_id(result)
    assert dags["yuqing_collect_every_2h"]["tasks"][0]["op_args"] == [["extra-hourly"]]
    assert dags["yuqing_collect_every_2h"]["every_s"] == 7200
    assert (dags["yuqing_collect_every_2h"]["cron"], dags["yuqing_collect_every_2h"]["timezone"]) == (
        "0 */2 * * *", "Asia/Shanghai")
    assert not any("extra-disabled" in str(d["tasks"]) for d in result["dags"])
    assert [Path(p).name for p in result["import_errors"]] == ["bad_parse.py"]
    assert result["connects"], "a parse-time connection attempt went unnoticed"
    assert result["elasticsearch_imported"] is True


def test_tasks_go_to_the_queues_the_deployment_names_and_to_the_default_queue_otherwise(
        tmp_path: Path, parsed: dict[str, Any]) -> None:
    # local runs (and dag.test()): no queue configured, every task on Airflow's default queue
    assert {t["queue"] for d in parsed["dags"] for t in d["tasks"]} == {"default"}
    # a Celery deployment (deploy/services.py): crawls on their own queue, everything else on another
    os.environ["YUQING_QUEUE_CRAWL"], os.environ["YUQING_QUEUE_ANALYSIS"] = "crawling", "analysis"
    try:
        deployed = parse(tmp_path, DAGS)
    finally:
        os.environ.pop("YUQING_QUEUE_CRAWL")
        os.environ.pop("YUQING_QUEUE_ANALYSIS")
    queues = {d["dag_id"]: {t["queue"] for t in d["tasks"]} for d in deployed["dags"]}
    collect = {k: v for k, v in queues.items() if k.startswith("yuqing_collect_")}
    assert collect and all(v == {"crawling"} for v in collect.values())
    others = {k: v for k, v in queues.items() if k not in collect}
    assert {"yuqing_analysis", "yuqing_routing", "yuqing_alert_dispatch", "yuqing_clock_sweep"} <= set(others)
    assert all(v == {"analysis"} for v in others.values())


def test_weekly_and_monthly_reports_are_scheduled_in_shanghai_and_send_after_writing(parsed: dict[str, Any]) -> None:
    dags = by_id(parsed)
    assert (dags["yuqing_weekly_report"]["cron"], dags["yuqing_weekly_report"]["timezone"]) == ("30 8 * * 1",
                                                                                                "Asia/Shanghai")
    assert dags["yuqing_monthly_report"]["cron"] == "0 9 1 * *"
    for dag_id, kind in (("yuqing_weekly_report", "weekly"), ("yuqing_monthly_report", "monthly"),
                         ("yuqing_daily_report", "daily")):
        assert {t["task_id"] for t in dags[dag_id]["tasks"]} == {f"write_{kind}", f"send_{kind}"}
    assert {t["task_id"] for t in dags["yuqing_routing"]["tasks"]} == {"route", "special_reports"}
