"""Severity weighs how fast an incident's posts spread (engagement snapshots: new reposts, comments
and likes per hour), with the steps in ``config/analysis.yaml`` and a reason naming the figure."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from analysis.api import analyze_pending
from analysis.severity import IncidentFacts, assess
from tests.support import open_test_store
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.config.analysis import SpreadSpeedSettings
from yuqing.errors import ConfigError
from yuqing.storage import Store

DAY = dt.datetime(2026, 11, 23, tzinfo=TZ)
POST = ("五华区一小区停水三天没人管",
        "五华区某小区从周五开始停水，到今天已经三天了，物业说不清原因，老人孩子都没水用，打热线也没人回复，"
        "大家都很着急，希望有关部门尽快处理。")


def facts(spread: float) -> IncidentFacts:
    return IncidentFacts(priorities=["public_interest"], mention_count=3, reprint_count=0, reach=3.0,
                         tiers={"self_media": 3}, peak_per_bucket=2, negative_share=1.0, spread_per_hour=spread)


def test_two_incidents_equal_but_for_spread_speed_score_and_grade_apart(config: Config) -> None:
    settings = config.analysis.severity
    slow = assess(facts(40.0), settings, config.priorities)
    fast = assess(facts(1_500.0), settings, config.priorities)
    steps = {s.label: s for s in settings.spread_speed.steps}
    assert fast.score == pytest.approx(slow.score + steps["很快"].points)
    assert "扩散速度：每小时新增转发、评论、点赞约1,500次，达到“很快”标准（≥1,000次/小时），加1分" in fast.reasons
    assert any("约40次" in r and "不加分" in r for r in slow.reasons)
    # the base score (4.2) sits under 较大 (III, 4.5): spreading fast lifts it over, spreading slowly does not
    assert slow.score < next(t.min_score for t in settings.thresholds if t.level == "III") <= fast.score
    assert (slow.level, fast.level) == ("IV", "III")
    # never above the score's cap: 重大 needs figures or an official grading, however fast it spreads
    assert assess(facts(1e7), settings, config.priorities).level in ("III", "IV")
    # no engagement figures, no spread reason
    assert not any("扩散速度" in r for r in assess(facts(0.0), settings, config.priorities).reasons)


def test_spread_steps_must_rise() -> None:
    with pytest.raises(ValueError, match="steps must rise"):
        SpreadSpeedSettings.model_validate({"steps": [{"min_per_hour": 500, "points": 1, "label": "快"},
                                                      {"min_per_hour": 100, "points": 0.5, "label": "较快"}]})


def test_a_bad_spread_step_in_config_names_file_field_and_value(tmp_path: Any) -> None:
    import shutil

    from yuqing.config import load_config
    from yuqing.paths import config_dir

    shutil.copytree(config_dir(), tmp_path / "config")
    path = tmp_path / "config" / "analysis.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("{min_per_hour: 1000,", "{min_per_hour: -5,"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "config")
    assert "analysis.yaml" in str(err.value) and "min_per_hour" in str(err.value) and "-5" in str(err.value)


@pytest.mark.integration
def test_stored_incidents_equal_but_for_spread_speed(ana: Any, store: Store, config: Config, es_url: str) -> None:
    """The same post, stored twice (two stores), once spreading slowly and once fast: only the score,
    and the reason naming the figure, differ."""
    now = DAY + dt.timedelta(hours=12)
    results = []
    with open_test_store(es_url) as other:
        for target, spread in ((store, 30.0), (other, 2_400.0)):
            ana.store_mentions(target, ana.mention("w-water", *POST, source="weibo", at="10:00", doc_type="post",
                                                   extra={"reposts": 900, "comments": 300, "likes": 1200,
                                                          "spread_per_hour": spread}))
            analyze_pending(target, config, now=now)
            gid = ana.incident_of(target, "w-water")
            assert gid is not None
            doc = target.get("incidents", gid)
            assert doc is not None
            results.append(doc)
    slow, fast = results
    assert slow["spread_per_hour"] == 30.0 and fast["spread_per_hour"] == 2_400.0
    assert fast["severity"]["score"] == pytest.approx(slow["severity"]["score"] + 1.0)
    assert any("约2,400次" in r and "很快" in r for r in fast["severity"]["reasons"])
    assert not any("很快" in r for r in slow["severity"]["reasons"])
