"""The main job (``yuqing demo --fast``) runs the DAGs over the simulated day, and what it prints
is what Elasticsearch holds."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from yuqing.clock import parse_ts
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store, make_client

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Airflow home the DAG tests use too (tests/dags/conftest.py): migrated once per session."""
    path = tmp_path_factory.getbasetemp() / "airflow-home"
    path.mkdir(exist_ok=True)
    return path


# The fast day takes ~3 min on a quiet 2-core machine and up to ~9 min when other suites share it;
# these limits only guard against a hang.
@pytest.mark.timeout(1500)
def test_fast_demo_summary_matches_elasticsearch_and_shows_the_whole_cycle(es_url: str, tmp_path: Path,
                                                                          airflow_home: Path) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    var = tmp_path / "var"
    env = {**os.environ, "ES_URL": es_url, "YUQING_VAR": str(var), "PYTHONUNBUFFERED": "1",
           "AIRFLOW_HOME": str(airflow_home)}
    for name in ("YUQING_CONFIG", "YUQING_INDEX_PREFIX", "YUQING_REPORTS_DIR"):
        env.pop(name, None)
    store = Store(make_client(es_url), prefix=prefix)
    try:
        proc = subprocess.run([sys.executable, "-m", "yuqing.cli", "demo", "--fast", "--prefix", prefix],
                              env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1400)
        out = proc.stdout
        assert proc.returncode == 0, out[-4000:] + proc.stderr[-4000:]
        line = next(ln for ln in out.splitlines() if ln.startswith("SUMMARY_JSON "))
        summary = json.loads(line.removeprefix("SUMMARY_JSON "))

        store.refresh()

        def count(kind: str, field: str | None = None, value: str | None = None) -> int:
            return store.count(kind, {"term": {field: value}} if field else None)

        assert summary["mentions"] == count("mentions")
        assert summary["incidents"] == count("incidents")
        assert summary["incidents_routed"] == store.count("incidents", {"exists": {"field": "routing.lead_office"}})
        for level, n in summary["incidents_by_level"].items():
            if level != "none":
                assert n == count("incidents", "severity.level", level)
        assert sum(summary["incidents_by_level"].values()) == summary["incidents"]
        for state, n in summary["clocks_by_state"].items():
            assert n == count("clocks", "state", state)
        assert sum(summary["clocks_by_state"].values()) == count("clocks")
        for state, n in summary["deliveries_by_state"].items():
            assert n == count("deliveries", "state", state)
        assert summary["releases"] == count("releases")
        assert summary["reports"] == count("reports")
        assert summary["assessments"] == count("assessments")
        received = (var / "demo" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
        assert summary["receiver_messages"] == len(received)

        # What a newcomer is promised: the whole cycle, end to end.
        assert summary["mentions"] > 0 and summary["mentions_analyzed"] == summary["mentions"]
        assert summary["incidents_routed"] > 0
        assert summary["clocks_by_state"].get("met", 0) >= 1
        assert summary["clocks_by_state"].get("missed", 0) >= 1
        assert store.count("incidents", {"term": {"state": "escalated"}}) >= 1
        assert summary["deliveries_by_state"].get("sent", 0) >= 1 and summary["receiver_messages"] >= 1
        assert summary["assessments"] >= 1
        # The policy document's interpretation clock is met by its later 政策解读, not by the 通知 itself.
        policy = store.find("clocks", {"term": {"rule_id": "policy_interpretation"}}, size=20)
        met = [c for c in policy if c["state"] == "met"]
        assert met, policy
        for clock in met:
            assert clock["evidence"]["kind"] == "interpretation" and "政策解读" in clock["evidence"]["title"]
            assert clock["met_at"] > clock["opened_at"]
        # The office recorded the review of the closed incident's first release; the assessment counts
        # the releases still "published, review not recorded".
        reviewed = store.find("releases", {"exists": {"field": "review_recorded_at"}}, size=10)
        assert len(reviewed) == 1 and [r["step"] for r in reviewed[0]["reviews"]] == [
            "drafter", "office_head", "unit_head"]
        assessment = store.find("assessments", {"term": {"incident_id": reviewed[0]["incident_id"]}}, size=1)[0]
        review = next(i for i in assessment["indicators"] if i["id"] == "review")
        unreviewed = assessment["figures"]["releases_unreviewed"]
        assert review["score"] == round(100 * (assessment["figures"]["releases"] - unreviewed)
                                        / assessment["figures"]["releases"], 1)
        # Every clock met by a release was met by a release of a kind its rule accepts.
        kinds = {"authoritative_info": {"situation_report", "notice", "police_report", "statement", "rebuttal"},
                 "press_conference": {"press_conference"}}
        for clock in store.find("clocks", {"terms": {"rule_id": sorted(kinds)}}, size=100):
            if clock.get("met_at"):
                assert clock["evidence"]["kind"] in kinds[clock["rule_id"]], clock
        # The mall fire breaks on the hot list: its entry (上榜 13:05, the list's own time) is the incident's
        # first mention, earlier than any other source's, and the story and the summary say so.
        leads = [row for row in summary["hotlist_leads"] if "商场" in row["hot_title"] and "火灾" in row["hot_title"]]
        assert len(leads) == 1, summary["hotlist_leads"]
        lead = leads[0]
        assert lead["hot_at"] == "2026-11-23T13:05:00+08:00" and lead["next_at"] > lead["hot_at"], lead
        fire = [d for d in store.find("incidents", None, size=200) if d["title"] == lead["title"]]
        members = store.find("mentions", {"term": {"incident_id": fire[0]["id"]}}, size=200)
        first = store.get("mentions", fire[0]["first_mention_id"])
        assert first is not None and first["source_type"] == "hotlist"
        assert all(parse_ts(first["published_at"]) < parse_ts(m["published_at"])
                   for m in members if m["id"] != first["id"])
        assert len(members) >= 4  # the posts and reports of the fire joined the hot-list incident
        assert "热榜上榜 「昆明官渡一商场突发火灾」" in out and "热榜巡查：只采集热榜）" in out
        assert f"13:05 以「{lead['hot_title']}」登上热榜" in out and "最早出现在热榜上" in out
        # The 5 h clocks met and missed rest on figures that warrant 重大 or above; 2–3 dead stays below.
        incidents = {d["id"]: d for d in store.find("incidents", None, size=200)}
        five_hour = store.find("clocks", {"term": {"rule_id": "authoritative_info"}}, size=200)
        by_state = {c["state"]: incidents[c["incident_id"]]["severity"] for c in five_hour}
        for state in ("met", "missed"):
            assert state in by_state, [c["state"] for c in five_hour]
            assert by_state[state]["level"] in ("I", "II") and by_state[state]["basis"] == "figures"
            assert by_state[state]["figures"]["deaths"]["value"] >= 10
        with_five_hours = {c["incident_id"] for c in five_hour}
        few_dead = [d for d in incidents.values()
                    if 1 <= ((d["severity"].get("figures") or {}).get("deaths") or {}).get("value", 0) <= 3]
        assert few_dead, "no incident with 1–3 dead in the demo"
        for d in few_dead:
            assert d["severity"]["level"] in ("III", "IV") and d["id"] not in with_five_hours
        # a later report raised a level: audited and alerted
        assert store.count("audit", {"term": {"action": "upgrade"}}) >= 1
        assert store.count("deliveries", {"term": {"alert_kind": "level_upgrade"}}) >= 1
        # Supporting, notified and 会商 offices were each told, and the receivers show it.
        routed = {"bool": {"filter": [{"term": {"alert_kind": "routed_office"}}, {"term": {"state": "sent"}}]}}
        assert summary["routed_office_alerts"] == store.count("deliveries", routed) >= 1
        assert summary["routed_offices_told"]
        assert any("配合单位：配合提供情况" in line for line in received)
        assert "交办告知" in out
        assert list((var / "reports").glob("*2026-11-23*.pdf")), "no daily report PDF"
        for where in ("alerts.jsonl", "reports", "yuqing console"):
            assert where in out
        # The demo day's daily report: every figure recounted from Elasticsearch (tests/reports/recount.py)
        from tests.reports.recount import check_report
        from yuqing.clock import TZ
        from yuqing.config import load_config

        day = dt.date(2026, 11, 23)
        morning = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(8), tzinfo=TZ)
        figures = check_report(store, load_config(var / "demo" / "config"), day, morning, tmp_path / "recount")
        assert figures["mentions"]["total"] > 0 and figures["incidents"]["active"] > 0
    finally:
        store.drop_all()
        store.client.close()
