"""Post-incident assessments: clocks met on time score higher than missed ones; weights are shown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import docx
import pytest

from reports.api import assess_closed, assess_incident, write_office_stats
from reports.assessment import clock_outcomes, linear, score_indicators
from reports.data import clock_frame
from yuqing.clock import Duration
from yuqing.config import Config, load_config
from yuqing.errors import ConfigError
from yuqing.models import stable_id
from yuqing.storage import Store

pytestmark = pytest.mark.integration

D = dt.date(2026, 10, 12)  # a Monday; no other test seeds October
TZ8 = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ8)


def seed_closed(seeder: Any, key: str, *, met_at: dt.datetime | None, office: str) -> Any:
    """A closed public-interest incident whose 48 h clock was met at ``met_at`` (None: missed)."""
    closed = at(D + dt.timedelta(days=4), 17)
    inc = seeder.incident(key, f"官渡区某小区物业拖欠维修基金引发业主不满（{key}）", at(D, 9, 0), state="closed",
                          office=office, priorities=("public_interest",), acknowledged=at(D, 9, 50), closed=closed)
    for n in range(8):
        when = at(D, 9 + n, 0) if n < 4 else at(D + dt.timedelta(days=3), 9 + n, 0)
        seeder.mention("业主反映物业拖欠维修基金", "有业主反映，官渡区某小区物业长期拖欠维修基金。", when,
                       incident_id=inc.id, priorities=("public_interest",), source_id="demo-weibo",
                       sentiment="negative" if n % 2 == 0 else "neutral")
    seeder.clock(inc, "response_48h", "回应社会关切（48小时内）", at(D, 9, 30), at(D + dt.timedelta(days=2), 9, 30),
                 state="met" if met_at is not None else "missed", met_at=met_at)
    release_at = met_at or at(D + dt.timedelta(days=3), 12)
    seeder.release(inc, "关于某小区维修基金问题的情况说明", release_at, channel="website", result=True)
    return inc


def test_a_clock_met_on_time_scores_higher_than_a_missed_one(seeder: Any, config: Config, tmp_path: Path) -> None:
    store: Store = seeder.store
    on_time = seed_closed(seeder, "on-time", met_at=at(D, 15, 0), office="prov_housing")
    missed = seed_closed(seeder, "missed", met_at=None, office="prov_gov_office")
    seeder.flush()
    now = at(D + dt.timedelta(days=5), 8)
    done = assess_closed(store, config, tmp_path, now=now)
    assert {on_time.id, missed.id} <= set(done)
    assert not {on_time.id, missed.id} & set(assess_closed(store, config, tmp_path, now=now))  # nothing left

    good = store.get("assessments", stable_id("assessment", on_time.id))
    bad = store.get("assessments", stable_id("assessment", missed.id))
    assert good is not None and bad is not None
    assert good["score"] > bad["score"]
    timeliness = {a["incident_id"]: next(i for i in a["indicators"] if i["id"] == "timeliness") for a in (good, bad)}
    assert timeliness[on_time.id]["score"] == 100.0 and timeliness[missed.id]["score"] == 0.0
    assert good["clocks"][0]["outcome"] == "met" and good["clocks"][0]["by_hours"] == pytest.approx(42.5)
    assert bad["clocks"][0]["outcome"] == "missed"
    assert good["figures"]["detection_delay_h"] == pytest.approx(20 / 60, abs=0.01)
    assert good["figures"]["acknowledgement_delay_h"] == pytest.approx(25 / 60, abs=0.01)
    before_after = good["figures"]["before_after"]
    assert (before_after["before"]["mentions"], before_after["after"]["mentions"]) == (4, 4)

    # the rendered assessment shows every indicator with its configured and normalised weight
    paths = {f: tmp_path / f"assessment-{on_time.id}.{f}" for f in ("html", "pdf", "docx")}
    html = paths["html"].read_text(encoding="utf-8")
    for indicator in config.assessment.indicators:
        assert indicator.name_zh in html
    assert "配置权重" in html and "实际权重" in html and "<td>0.35</td>" in html
    assert "不适用" in html  # rumour does not apply to a true story: its weight is redistributed
    cells = [c.text for t in docx.Document(str(paths["docx"])).tables for row in t.rows for c in row.cells]
    assert "时限达标（各时限按时完成情况）" in cells and "0.35" in cells

    # office statistics over the same period count the clocks met on time per office
    stats = write_office_stats(store, config, D, D + dt.timedelta(days=6), tmp_path, now=now)
    report = store.get("reports", stable_id("report", "office_stats", f"{D}_{D + dt.timedelta(days=6)}"))
    assert report is not None and stats["html"].exists()
    offices = {o["office"]: o for o in report["figures"]["offices"]}
    assert (offices["prov_housing"]["met"], offices["prov_housing"]["missed"]) == (1, 0)
    assert (offices["prov_gov_office"]["met"], offices["prov_gov_office"]["missed"]) == (0, 1)
    assert offices["prov_housing"]["on_time_rate"] == 1.0
    assert offices["prov_housing"]["avg_score"] == pytest.approx(good["score"])
    assert offices["prov_housing"]["response_hours"] == pytest.approx(15 - 9 - 20 / 60, abs=0.01)


def test_assessing_again_overwrites_the_same_assessment(seeder: Any, config: Config, tmp_path: Path) -> None:
    inc = seed_closed(seeder, "twice", met_at=at(D, 11, 0), office="prov_housing")
    seeder.flush()
    for _ in range(2):
        assess_incident(seeder.store, config, inc.id, tmp_path, now=at(D + dt.timedelta(days=5), 8))
    assert seeder.store.count("assessments", {"term": {"incident_id": inc.id}}) == 1


# --- scoring rules without Elasticsearch ----------------------------------------------------------


def test_time_indicators_score_linearly_between_full_and_zero() -> None:
    full, zero = Duration.parse("1h"), Duration.parse("11h")
    assert linear(0.5, full, zero) == 100.0
    assert linear(6.0, full, zero) == 50.0
    assert linear(12.0, full, zero) == 0.0


def test_a_clock_met_late_keeps_part_of_its_score() -> None:
    opened, due = at(D, 8), at(D, 13)
    docs = [
        {"id": "a", "incident_id": "i", "rule_id": "r", "opened_at": opened.isoformat(), "due_at": due.isoformat(),
         "state": "met", "met_at": at(D, 12).isoformat()},
        {"id": "b", "incident_id": "i", "rule_id": "r", "opened_at": opened.isoformat(), "due_at": due.isoformat(),
         "state": "met", "met_at": at(D, 15, 30).isoformat()},
        {"id": "c", "incident_id": "i", "rule_id": "r", "opened_at": opened.isoformat(), "due_at": due.isoformat(),
         "state": "missed"},
        {"id": "d", "incident_id": "i", "rule_id": "r", "opened_at": opened.isoformat(), "due_at": due.isoformat(),
         "state": "waived"},
    ]
    end = at(D, 20)
    out = {c["id"]: c for c in clock_outcomes(clock_frame(docs, end), end, late_credit=0.5)}
    assert (out["a"]["outcome"], out["a"]["score"], out["a"]["by_hours"]) == ("met", 100.0, 1.0)
    assert (out["b"]["outcome"], out["b"]["score"], out["b"]["by_hours"]) == ("late", 25.0, 2.5)
    assert (out["c"]["outcome"], out["c"]["score"], out["c"]["by_hours"]) == ("missed", 0.0, 7.0)
    assert out["d"]["outcome"] == "waived" and out["d"]["score"] is None


def _facts(**over: Any) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "clocks": [{"score": 100.0, "outcome": "met"}], "detection_delay_h": 0.5, "acknowledgement_delay_h": 0.2,
        "releases": 1, "channels": ["website"], "content": {"facts": True, "measures": True, "result": True},
        "is_rumour": False, "rumour_rebutted": False,
        "before_after": {"before": {"analyzed": 4, "negative_share": 0.5},
                         "after": {"analyzed": 4, "negative_share": 0.5}},
    }
    facts.update(over)
    return facts


def test_weights_come_from_the_configuration_and_are_normalised(config_dir: Path) -> None:
    path = config_dir / "assessment.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("weight: 0.35", "weight: 1.35"), encoding="utf-8")
    heavy = load_config(config_dir).assessment
    rows = {r["id"]: r for r in score_indicators(heavy, _facts(clocks=[{"score": 0.0, "outcome": "missed"}]))}
    assert rows["timeliness"]["weight"] == 1.35
    assert rows["timeliness"]["weight_normalised"] == pytest.approx(1.35 / 2.00, abs=1e-4)  # rumour n/a
    assert rows["rumour"]["applicable"] is False and rows["rumour"]["weight_normalised"] == 0.0
    assert sum(r["weight_normalised"] for r in rows.values()) == pytest.approx(1.0, abs=1e-3)


def test_an_unrebutted_rumour_scores_lower_than_a_rebutted_one(config: Config) -> None:
    def total(**over: Any) -> float:
        return sum(r["weighted"] or 0 for r in score_indicators(config.assessment, _facts(is_rumour=True, **over)))

    assert total(rumour_rebutted=True) > total(rumour_rebutted=False)


def test_an_unknown_indicator_is_a_config_error(config_dir: Path) -> None:
    path = config_dir / "assessment.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: rumour", "id: rumor"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown indicator"):
        load_config(config_dir)


def test_assessment_counts_unreviewed_releases_and_shows_missing_parts_with_sentence_evidence(
        seeder: Any, config: Config, tmp_path: Path) -> None:
    from yuqing.models import Release, ReviewStep

    day = D + dt.timedelta(days=1)
    inc = seeder.incident("rumour-review", "网传官渡区自来水被污染", at(day, 9, 0), state="closed", office="guandu_gov",
                          priorities=("false_info",), acknowledged=at(day, 9, 20), closed=at(day, 18))
    seeder.mention("网传官渡区自来水被污染", "网传官渡区自来水被污染，不要饮用。", at(day, 9, 0), incident_id=inc.id,
                   priorities=("false_info",), sentiment="negative")
    seeder.clock(inc, "response_48h", "回应社会关切（48小时内）", at(day, 9, 5), at(day + dt.timedelta(days=2), 9, 5),
                 state="met", met_at=at(day, 12))
    # Detected: states the facts and the measures, but never says the rumour is false; review not recorded.
    detected = Release(id=stable_id("release", inc.id, "detected"), incident_id=inc.id, office="guandu_gov",
                       channel="weibo", title="关于官渡区供水情况的说明", published_at=at(day, 12), detected=True,
                       recorded_by="system:release-detection", recorded_at=at(day, 12, 5), release_kind="statement",
                       content={"facts": ["经检测，官渡区各水厂出厂水检测结果符合国家标准。"],
                                "measures": ["区水务局已部署加密水质检测。"]},
                       states_facts=True, states_measures=True)
    reviewed = ReviewStep.model_validate
    recorded = Release(id=stable_id("release", inc.id, "recorded"), incident_id=inc.id, office="guandu_gov",
                       channel="website", title="官渡区供水安全情况通报", published_at=at(day, 15),
                       recorded_by="官渡区", recorded_at=at(day, 15), release_kind="situation_report",
                       reviews=[reviewed({"step": s, "reviewer": p, "at": at(day, 14, m)}) for s, p, m in (
                           ("drafter", "官渡区政府办承办人", 0), ("office_head", "官渡区政府办信息科科长", 10),
                           ("unit_head", "官渡区政府办副主任", 20))],
                       content={"result": ["供水已恢复正常。"]}, states_result=True)
    doubtful = Release(id=stable_id("release", inc.id, "pending"), incident_id=inc.id, office="guandu_gov",
                       channel="website", title="关于开展供水设施检查的通知", published_at=at(day, 16), detected=True,
                       recorded_by="system:release-detection", recorded_at=at(day, 16), release_kind="notice",
                       status="pending", match_score=0.4, content={"rebuttal": ["网传信息不实。"]})
    for r in (detected, recorded, doubtful):
        seeder._add("releases", r.id, r.to_doc())
    seeder.flush()

    assess_incident(seeder.store, config, inc.id, tmp_path, now=at(day + dt.timedelta(days=1), 8))
    doc = seeder.store.get("assessments", stable_id("assessment", inc.id))
    assert doc is not None
    figures = doc["figures"]
    assert figures["releases"] == 2 and figures["releases_unreviewed"] == 1 and figures["releases_pending"] == 1
    review = next(i for i in doc["indicators"] if i["id"] == "review")
    assert review["score"] == 50.0 and "1次已发布，未记录审核" in review["detail"]
    # False information needs a rebuttal that states the facts: the rebuttal is missing (the pending
    # release that says "不实" does not count until the office confirms it).
    assert figures["handling_requirement"]["missing"] == ["rebuttal"]
    assert figures["rumour_rebutted"] is False
    assert figures["content_evidence"]["facts"] == ["经检测，官渡区各水厂出厂水检测结果符合国家标准。"]

    html = (tmp_path / f"assessment-{inc.id}.html").read_text(encoding="utf-8")
    assert "已发布，未记录审核：“关于官渡区供水情况的说明”" in html
    assert "尚缺：辟谣澄清" in html
    assert "经检测，官渡区各水厂出厂水检测结果符合国家标准。" in html and "供水已恢复正常。" in html
    assert "待处置单位确认，未计入：“关于开展供水设施检查的通知”" in html
