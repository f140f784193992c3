"""What the pipeline decides for one text: negation, priorities from configuration, place, severity."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from analysis.api import analyze_text, analyzer_for
from analysis.severity import IncidentFacts, assess
from yuqing.config import Config, load_config


def test_negated_casualties_are_neither_evidence_nor_bad_news(config: Config) -> None:
    analyzer = analyzer_for(config)
    negated = analyzer.analyze_text("昆明市官渡区一仓库起火，消防及时扑救，并未造成人员伤亡。")
    affirmed = analyzer.analyze_text("昆明市官渡区一仓库起火，消防及时扑救，造成人员伤亡。")
    assert "伤亡" in negated.negated
    emergency = next(h for h in negated.priorities if h.id == "emergency")
    assert "伤亡" not in emergency.evidence and "起火" in emergency.evidence
    assert negated.sentiment.score > affirmed.sentiment.score
    # severity reads a negation as an explicit zero, not as a toll
    assert analyze_text("事故并未造成人员死亡，无人员伤亡", config)["casualties"] == {
        "deaths": 0, "injured": 0, "serious_injuries": 0}
    assert analyze_text("事故并未造成人员死亡，无人员伤亡", config)["casualty_level"] is None


def test_government_opinion_negatives_score_negative_in_calm_words(config: Config) -> None:
    for text in ("某县城管暴力执法，当街拖拽摊贩", "工地拖欠工资半年，农民工讨薪无果", "有关部门涉嫌瞒报事故死亡人数"):
        result = analyze_text(text, config)
        assert result["sentiment"]["label"] == "negative", (text, result["sentiment"])


def test_priorities_carry_confidence_and_readable_evidence(config: Config) -> None:
    result = analyze_text("楚雄市一化工企业发生爆炸，已造成3人死亡12人受伤", config)
    hits = {h["id"]: h for h in result["priorities"]}
    assert "emergency" in hits and 0 < hits["emergency"]["confidence"] <= 1
    assert "爆炸" in hits["emergency"]["evidence"]
    assert hits["work_safety"]["parent"] == "emergency"
    assert result["place"]["code"] == "532301" and result["place"]["district"] == "楚雄市"


def test_ordinary_news_touches_no_priority(config: Config) -> None:
    for text in ("第二届云南民族服饰文化展在昆明开幕", "抚仙湖的日落也太美了吧，周末自驾一个半小时就到",
                 "省运会田径比赛收官 昆明代表团金牌数居首"):
        assert analyze_text(text, config)["priorities"] == [], text


def test_drills_and_games_do_not_count_as_emergencies(config: Config) -> None:
    assert analyze_text("全市开展高层建筑火灾应急演练", config)["priorities"] == []
    assert analyze_text("新游戏副本：火山爆炸地图上线", config)["priorities"] == []


def test_config_only_new_subtopic_and_term_take_effect(config_dir: Path) -> None:
    text = "小区二次供水水箱三年没清洗，昨晚又下了一场冰雹，居民很担心"
    before = load_config(config_dir)
    assert not any(h["id"] == "water_supply" for h in analyze_text(text, before)["priorities"])
    path = config_dir / "priorities.yaml"
    yaml_text = path.read_text(encoding="utf-8")
    yaml_text = yaml_text.replace("    terms: [爆炸, 火灾,", "    terms: [冰雹, 爆炸, 火灾,")
    yaml_text += ("  - {id: water_supply, name_zh: 供水安全, priority: public_interest, standalone: true, "
                  "terms: [二次供水, 水箱]}\n")
    path.write_text(yaml_text, encoding="utf-8")
    after = load_config(config_dir)
    hits = {h["id"]: h for h in analyze_text(text, after)["priorities"]}
    assert hits["water_supply"]["parent"] == "public_interest"
    assert set(hits["water_supply"]["evidence"]) == {"二次供水", "水箱"}
    assert "public_interest" in hits  # a standalone sub-topic adds its priority
    assert "冰雹" in hits["emergency"]["evidence"]


def test_place_comes_from_text_with_code_else_from_source(config: Config) -> None:
    places = analyzer_for(config).places
    qujing = places.extract("曲靖市麒麟区某花园二期工地拖欠农民工工资")
    assert qujing is not None and qujing.district == "麒麟区" and qujing.code == "530300"  # nearest configured level
    water = places.extract("五华区、官渡区多家超市桶装水被抢购，昆明市水务部门正在核实")
    assert water is not None and water.code == "530100"  # two districts: their common city
    assert places.extract("101国道密云县庄头峪村附近两车相撞", fallback=None) is None  # not 云县
    fallback = places.extract("早上好！今天阳光超好", fallback="530100")
    assert fallback is not None and fallback.source == "source" and fallback.code == "530100"


def test_spread_alone_grades_at_most_iii_and_never_opens_the_major_clocks(config: Config) -> None:
    settings = config.analysis.severity

    def facts(reach: float = 2.0) -> IncidentFacts:
        return IncidentFacts(priorities=["emergency"], mention_count=1, reprint_count=0, reach=reach,
                             tiers={"provincial": 1}, peak_per_bucket=1, negative_share=1.0)

    plain = assess(facts(), settings, config.priorities)
    assert plain.level in ("III", "IV") and plain.basis == "score" and plain.casualty_level is None
    huge = assess(facts(reach=10_000.0), settings, config.priorities)
    assert huge.score > plain.score
    assert huge.level == "III"  # the score alone says I; without figures it stays 较大
    assert any("须有伤亡数据或官方定级" in r for r in huge.reasons)
    assert all(isinstance(r, str) and r for r in huge.reasons)
    assert math.isclose(plain.score, assess(facts(), settings, config.priorities).score)


@pytest.mark.parametrize("bad", ["missing_column", "missing_file"])
def test_bad_csv_names_the_file_and_column(tmp_path: Path, bad: str) -> None:
    from analysis.evaluate import read_csv
    from yuqing.errors import InputError

    path = tmp_path / "in.csv"
    if bad == "missing_column":
        path.write_text("content\n你好\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_csv(path, ["text"])
    assert str(path) in str(err.value)
    if bad == "missing_column":
        assert "'text'" in str(err.value)
