"""Casualty figures read from Chinese text (analysis.casualties): pure functions, no node needed;
and the threshold tables they are graded by (configuration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.api import analyze_text
from analysis.casualties import extract, find_figures, find_grading, parse_number
from yuqing.config import load_config
from yuqing.errors import ConfigError


def figures(text: str) -> dict[str, float]:
    return {kind: fig.value for kind, fig in extract(text).items()}


@pytest.mark.parametrize(("words", "value"), [
    ("三", 3), ("十二", 12), ("二十三", 23), ("两", 2), ("一百零五", 105), ("两千零三", 2003), ("三万", 30_000),
    ("1.2亿", 1.2e8), ("5000万", 5e7), ("万", 10_000), ("１２", 12), ("数十", 20), ("十几", 11), ("二十几", 21),
])
def test_numbers_in_arabic_and_chinese(words: str, value: float) -> None:
    assert parse_number(words) == value


@pytest.mark.parametrize(("text", "expected"), [
    ("楚雄市一化工企业发生爆炸 已造成3人死亡12人受伤", {"deaths": 3, "injured": 12}),
    ("事故已造成3人死亡、12人受伤（其中2人重伤）", {"deaths": 3, "injured": 12, "serious_injuries": 2}),
    ("客车与农用车相撞致6人亡", {"deaths": 6}),
    ("3名工人当场死亡", {"deaths": 3}),
    ("车内１人死亡", {"deaths": 1}),  # full-width digits
    ("事故造成十二人遇难、二十三人受伤", {"deaths": 12, "injured": 23}),
    ("已有一百零五人罹难", {"deaths": 105}),
    ("两名游客不幸身亡", {"deaths": 2}),
    ("已确认3人丧生", {"deaths": 3}),
    ("死亡3人，受伤12人", {"deaths": 3, "injured": 12}),
    ("3人失踪、2人下落不明", {"missing": 3}),  # the larger of two figures of one kind
    ("井下被困12名矿工", {"trapped": 12}),
    ("3人被困", {"trapped": 3}),
    ("3人急性中毒", {"serious_injuries": 3}),  # counted as serious injuries (条例 第三条)
    ("2人重伤、5人轻伤", {"injured": 7, "serious_injuries": 2}),
    ("事故共造成6人死亡，3人重伤，14人轻微伤", {"deaths": 6, "injured": 17, "serious_injuries": 3}),
])
def test_tolls_in_words(text: str, expected: dict[str, float]) -> None:
    assert figures(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("化工厂爆炸事故致3死12伤", {"deaths": 3, "injured": 12}),
    ("两车追尾当场1死7伤", {"deaths": 1, "injured": 7}),
    ("货车侧翻致2死", {"deaths": 2}),
    ("一死两伤", {"deaths": 1, "injured": 2}),
    ("冲突造成3伤", {"injured": 3}),
])
def test_compact_forms(text: str, expected: dict[str, float]) -> None:
    assert figures(text) == expected


@pytest.mark.parametrize(("text", "deaths"), [
    ("死亡人数上升至12人", 12),
    ("遇难人数由3人上升至12人", 12),  # the later number, not the earlier
    ("截至目前，死亡人数已达23人", 23),
    ("遇难者增至20人", 20),
    ("事故造成3人死亡。目前死亡人数上升到5人", 5),
])
def test_updates_take_the_new_figure(text: str, deaths: float) -> None:
    assert figures(text)["deaths"] == deaths


@pytest.mark.parametrize(("text", "kind", "value", "stated"), [
    ("40余人受伤", "injured", 40, "40余"),
    ("30多人受伤", "injured", 30, "30多"),
    ("近百人受伤", "injured", 90, "近百"),  # 近N is below N: 0.9 × N
    ("数十人死亡", "deaths", 20, "数十"),
    ("十几人受伤", "injured", 11, "十几"),
    ("上百人受伤", "injured", 100, "上百"),
    ("万余人受灾，其中万余人受伤", "injured", 10_000, "万余"),
    ("逾40人遇难", "deaths", 40, "逾40"),
    ("多人受伤", "injured", 2, "多"),
])
def test_approximations_read_as_a_documented_lower_bound(text: str, kind: str, value: float, stated: str) -> None:
    fig = extract(text)[kind]  # type: ignore[index]
    assert fig.value == value and fig.stated == stated and fig.approximate


@pytest.mark.parametrize(("text", "expected"), [
    ("事故并未造成人员伤亡", {"deaths": 0, "injured": 0, "serious_injuries": 0}),
    ("所幸无人员伤亡", {"deaths": 0, "injured": 0, "serious_injuries": 0}),
    ("暂无人员伤亡", {"deaths": 0, "injured": 0, "serious_injuries": 0}),
    ("无人员死亡", {"deaths": 0}),
    ("3人受伤，无人死亡", {"deaths": 0, "injured": 3}),
])
def test_negations_are_explicit_zeros(text: str, expected: dict[str, float]) -> None:
    assert figures(text) == expected


@pytest.mark.parametrize("text", [
    "3人被带走调查",  # people, no casualty
    "该病死亡率3%",  # a rate
    "全国每年因交通事故死亡6万人",  # statistics, not this event
    "今年以来全省共发生火灾120起，死亡15人",
    "2019年该路段曾多次发生事故",  # a year
    "请拨打12345热线反映",  # a hotline number
    "年仅3岁的男孩",
    "死亡3小时后才被发现",  # a duration
    "九死一生",
    "未造成重大人员伤亡",  # no exact figure: not an explicit zero either
    "无人机航拍画面显示",
    "23名学生被送往医院治疗，目前均无生命危险",
    "签约金额达12.6亿元",  # money that is no loss
    "造成百余人伤亡",  # dead and injured together: no figure of either
    "目前人员伤亡情况不详",
    "自1947年独立以来，该地区已有5万多人在冲突中丧生",  # a span of years
])
def test_traps_are_not_casualties(text: str) -> None:
    assert find_figures(text) == [], text


def test_other_people_unharmed_does_not_zero_the_toll() -> None:
    assert figures("爆炸造成3人死亡，未造成其他人员伤亡") == {"deaths": 3}


@pytest.mark.parametrize(("text", "yuan"), [
    ("直接经济损失约1.2亿元", 1.2e8),
    ("直接经济损失5000万元", 5e7),
    ("经济损失达3000余万元", 3e7),
    ("火灾造成直接财产损失120万元", 1.2e6),
])
def test_economic_loss_in_yuan(text: str, yuan: float) -> None:
    assert figures(text) == {"economic_loss": yuan}


def test_every_figure_keeps_the_words_it_came_from() -> None:
    found = find_figures("事故已造成3人死亡、12人受伤")
    assert [(f.kind, f.value, f.evidence) for f in found] == [("deaths", 3, "3人死亡"), ("injured", 12, "12人受伤")]


@pytest.mark.parametrize(("text", "level"), [
    ("经调查认定，该起事故为较大生产安全责任事故", "III"),
    ("G56高速发生一起重大道路交通事故", "II"),
    ("国务院调查组认定这起事故是一起特别重大火灾事故", "I"),
    ("排查整治重大事故隐患12处", None),
    ("对特别重大、重大突发事件要在5小时内发布权威信息", None),  # a rule, not a grading
])
def test_gradings_stated_in_the_text(text: str, level: str | None) -> None:
    found = find_grading(text)
    assert (found.level if found else None) == level


def test_a_threshold_table_out_of_order_is_rejected_naming_file_and_field(config_dir: Path) -> None:
    path = config_dir / "analysis.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("II: {deaths: 10,", "II: {deaths: 40,"), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(config_dir)
    message = str(err.value)
    assert "analysis.yaml" in message and "casualties" in message and "tables.accident.I.deaths" in message


def test_a_kind_with_its_own_table_grades_by_it(config_dir: Path) -> None:
    path = config_dir / "analysis.yaml"
    text = path.read_text(encoding="utf-8")
    own = "    tables:\n      natural_disaster:\n        II: {deaths: 50}\n        III: {deaths: 10}\n"
    path.write_text(text.replace("    tables:\n", own, 1), encoding="utf-8")
    config = load_config(config_dir)
    quake = analyze_text("云南某县发生6.1级地震，已造成12人遇难", config)
    blast = analyze_text("化工厂发生爆炸，已造成12人死亡", config)
    assert (quake["casualty_level"], blast["casualty_level"]) == ("III", "II")


def test_death_tolls_in_cec_titles_are_found_in_their_texts(shared_data: Path) -> None:
    """A consistency floor on real reports (not a hand-checked measure; see docs/analysis.md): where a
    CEC title states a death toll, the full text's figure equals it (48 of 50 at the time of
    writing; the other two give the exact number for the title's 近万 / 百多). The naive reading, the
    first "N人死亡" of the body, agrees on 28 of 50."""
    import csv

    with (shared_data / "emergency_dev.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    stated = agree = 0
    for row in rows:
        title = extract(row["title"]).get("deaths")
        if title is None or title.value == 0:
            continue
        stated += 1
        full = extract(row["title"] + "。" + row["text"])["deaths"]
        agree += full.value == title.value
    assert stated >= 45
    assert agree / stated >= 0.94, (agree, stated)
