"""Reports reach the configured readers: a summary with the console link on the leaders' robot, the
files by email to the duty desk (real local receivers); sending twice sends nothing more; weekly and
monthly reports compare with the period before; a 专报 is written once per incident and level."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alerts.api import send_report
from demo.receivers import Receivers
from reports.api import report_id, write_daily, write_due_special_reports, write_period
from tests.support import open_test_store
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.models import Severity, stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

MORNING = dt.datetime(2026, 11, 21, 8, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def receivers(config: Config) -> Iterator[tuple[Receivers, dict[str, str]]]:
    receivers = Receivers().start()
    receivers.start_smtp()
    try:
        yield receivers, receivers.env_for(config.alerts)
    finally:
        receivers.stop()


@pytest.fixture
def inbox(receivers: tuple[Receivers, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> Receivers:
    box, env = receivers
    box.reset()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return box


def test_daily_report_goes_to_leaders_as_a_summary_and_to_the_duty_desk_as_files_once(
        seeded_day: dict[str, Any], config: Config, inbox: Receivers, tmp_path: Path) -> None:
    store: Store = seeded_day["store"]
    paths = write_daily(store, config, seeded_day["day"], tmp_path, now=MORNING)
    rid = report_id("daily", "2026-11-20")
    first = send_report(store, config, rid, now=MORNING)
    assert (first["created"], first["delivered"], first["failed"]) == (2, 2, 0)

    card = inbox.wait_for(lambda m: m.channel == "feishu")
    assert card is not None and card.channel_id == "leader_feishu"
    text = card.text
    assert "【舆情报告】每日舆情简报（2026年11月20日）" in text and "2026年第324期" in text
    assert "共监测到相关舆情信息28条" in text  # the report's own overview, not a paraphrase
    link = f"{config.alerts.console_url}/reports/files/daily-2026-11-20.pdf"
    assert link in text

    mail = inbox.wait_for(lambda m: m.channel == "email")
    assert mail is not None and mail.rcpt_tos == ["duty@yuqing.example"]
    message = mail.email()
    assert str(message["Subject"]) == "【舆情报告】每日舆情简报（2026年11月20日）"
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert files.keys() == {"daily-2026-11-20.pdf", "daily-2026-11-20.docx"}
    assert files["daily-2026-11-20.pdf"] == paths["pdf"].read_bytes()

    again = send_report(store, config, rid, now=MORNING + dt.timedelta(minutes=5))
    assert (again["created"], again["already_sent"], again["delivered"]) == (0, 2, 0)
    assert len(inbox.received()) == 2
    stored = store.find("deliveries", {"term": {"alert_key": f"report:{rid}:"}})
    assert sorted(d["state"] for d in stored) == ["sent", "sent"]
    assert all(d.get("incident_id") is None for d in stored)  # never counted as an incident's alert


def test_weekly_and_monthly_reports_compare_with_the_period_before(seeded_day: dict[str, Any], config: Config,
                                                                    tmp_path: Path) -> None:
    store: Store = seeded_day["store"]
    paths = write_period(store, config, "weekly", dt.date(2026, 11, 18), tmp_path, now=MORNING)
    assert paths["pdf"].name == "weekly-2026-W47.pdf"
    weekly = store.get("reports", report_id("weekly", "2026-W47"))
    assert weekly is not None and weekly["title"] == "每周舆情综述（2026年11月16日至11月22日）"
    figures = weekly["figures"]
    assert figures["issue"] == "2026年第47期"
    assert figures["window"] == {"start": "2026-11-16T00:00:00+08:00", "end": "2026-11-23T00:00:00+08:00"}
    assert figures["previous_window"]["start"] == "2026-11-09T00:00:00+08:00"
    # the seeded week: both seeded days fall in it (28 + 8 mentions), the seeded incidents too
    assert figures["mentions"]["total"] >= 36
    html = paths["html"].read_text(encoding="utf-8")
    assert "本周新增" in html and "较上周" in html and "五、处置情况" in html

    paths = write_period(store, config, "monthly", dt.date(2026, 11, 30), tmp_path, now=MORNING)
    monthly = store.get("reports", report_id("monthly", "2026-11"))
    assert monthly is not None and monthly["figures"]["issue"] == "2026年第11期"
    assert monthly["figures"]["mentions"]["total"] >= figures["mentions"]["total"]
    assert "较上月" in paths["html"].read_text(encoding="utf-8")


@pytest.fixture
def own_store(es_url: str) -> Iterator[Store]:
    with open_test_store(es_url, "sp") as store:
        yield store


def test_special_report_is_written_once_per_incident_and_level(own_store: Store, seeder: Any, config: Config,
                                                               tmp_path: Path) -> None:
    s = type(seeder)(own_store)  # the folder's seeding helper, on a store of this test's own
    t0 = dt.datetime(2026, 11, 20, 7, 40, tzinfo=TZ)
    major = s.incident("sp-major", "某化工厂爆炸致12人受伤", t0, level="II", state="assigned", office="prov_emergency")
    s.incident("sp-minor", "某小区停水", t0, level="III")
    s.flush()
    written = write_due_special_reports(own_store, config, tmp_path, now=t0 + dt.timedelta(hours=1))
    assert [(w["incident_id"], w["level"]) for w in written] == [(major.id, "II")]
    assert (tmp_path / f"incident-{major.id}.pdf").stat().st_size > 1000
    assert write_due_special_reports(own_store, config, tmp_path, now=t0 + dt.timedelta(hours=2)) == []

    # a later report raises it to 特别重大 (I): the next 专报 is due, once
    history = [{"level": "II", "at": t0.isoformat(), "mention_id": "m1"},
               {"level": "I", "at": (t0 + dt.timedelta(hours=3)).isoformat(), "mention_id": "m2", "previous": "II"}]
    severity = Severity(level="I", score=0.95, history=history)  # type: ignore[arg-type]
    own_store.update("incidents", major.id, {"severity": severity.model_dump(mode="json")}, refresh=True)
    written = write_due_special_reports(own_store, config, tmp_path, now=t0 + dt.timedelta(hours=4))
    assert [(w["incident_id"], w["level"], w["edition"]) for w in written] == [(major.id, "I", "level-I")]
    assert write_due_special_reports(own_store, config, tmp_path, now=t0 + dt.timedelta(hours=5)) == []
    own_store.refresh("audit")
    marks = own_store.find("audit", {"bool": {"filter": [{"term": {"entity_id": major.id}},
                                                         {"term": {"action": "special_report"}}]}})
    assert sorted(m["after"]["level"] for m in marks) == ["I", "II"]
    report = own_store.get("reports", stable_id("report", "incident", major.id))
    assert report is not None and report["figures"]["level"] == "I"
    assert report["figures"]["issue"] == "2026年第1期"  # the first 专报 of the year keeps its number
