"""Grouping mentions into incidents in Elasticsearch, and re-running without changes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from analysis.api import analyze_pending
from yuqing.clock import TZ
from yuqing.config import Config
from yuqing.storage import Store

pytestmark = pytest.mark.integration

DAY = dt.datetime(2026, 11, 23, tzinfo=TZ)
NOW = DAY + dt.timedelta(hours=20)

FIRE = ("昆明市官渡区一商场发生火灾 已造成2人死亡5人受伤",
        "11月23日13时10分许，昆明市官渡区关上片区一商场三楼发生火灾，现场浓烟滚滚。火灾已造成2人死亡、5人受伤，"
        "伤者已被送往医院救治。起火原因正在调查。")


def test_reprint_joins_the_incident_of_its_original(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(store, ana.mention("m-fire", *FIRE, at="13:50"))
    analyze_pending(store, config, now=DAY + dt.timedelta(hours=14))
    reprint = ana.mention("m-fire-reprint", FIRE[0], FIRE[1] + "（责任编辑：张芳）", source="local", at="14:30",
                      reprint_of="m-fire")
    ana.store_mentions(store, reprint)
    stats = analyze_pending(store, config, now=DAY + dt.timedelta(hours=15))
    assert stats.joined == {"reprint": 1}
    gid = ana.incident_of(store, "m-fire")
    assert gid is not None and ana.incident_of(store, "m-fire-reprint") == gid
    incident = store.get("incidents", gid)
    assert incident is not None
    assert incident["mention_count"] == 2 and incident["reprint_count"] == 1
    assert incident["first_mention_id"] == "m-fire" and incident["place_codes"] == ["530111"]
    assert incident["tiers"] == {"local": 1, "provincial": 1}
    # 2 deaths is 一般 (IV) by the national thresholds, not 重大: the figure and its mention are cited
    assert incident["severity"]["level"] == "IV" and incident["severity"]["casualty_level"] == "IV"
    assert incident["severity"]["figures"]["deaths"]["value"] == 2
    assert any("死亡2人" in r and "m-fire" in r for r in incident["severity"]["reasons"])
    assert incident["handling_kind"] == "major_problem"


def test_near_duplicate_text_joins_without_a_reprint_link(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(store,
                   ana.mention("a", *FIRE, at="13:50", simhash="00ff00ff00ff00ff"),
                   ana.mention("b", "官渡商场火灾", "网友转发：" + FIRE[1], source="weibo", at="16:10",
                           simhash="00ff00ff00ff00fe"))
    analyze_pending(store, config, now=NOW)
    assert ana.incident_of(store, "a") is not None and ana.incident_of(store, "a") == ana.incident_of(store, "b")


def test_two_different_events_in_one_city_stay_apart(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(
        store,
        ana.mention("fire-1", *FIRE, at="13:50"),
        ana.mention("wages-1", "官渡区一工地拖欠农民工工资半年",
                "昆明市官渡区某住宅项目工地的30多名农民工反映，从今年6月起被拖欠工资，多次讨薪无果。", at="14:00"),
        ana.mention("fire-2", "官渡区商场火灾致2死5伤 起火原因正在调查",
                "23日13时10分许，昆明市官渡区一商场发生火灾，已造成2人死亡、5人受伤。", source="local", at="14:10"),
        ana.mention("wages-2", "官渡区农民工讨薪难", "官渡区那个工地农民工讨薪半年了，拖欠工资的老板就该严查！",
                source="weibo", at="15:00"),
        ana.mention("fire-wuhua", "五华区一餐馆起火", "昆明市五华区一餐馆后厨起火，明火很快被扑灭，无人员伤亡。",
                source="local", at="15:30"),
    )
    analyze_pending(store, config, now=NOW)
    fire, wages = ana.incident_of(store, "fire-1"), ana.incident_of(store, "wages-1")
    wuhua = ana.incident_of(store, "fire-wuhua")
    assert fire and wages and wuhua
    assert len({fire, wages, wuhua}) == 3
    assert ana.incident_of(store, "fire-2") == fire
    assert ana.incident_of(store, "wages-2") == wages
    wage_incident = store.get("incidents", wages)
    assert wage_incident is not None and "public_interest" in wage_incident["priorities"]
    assert wage_incident["handling_kind"] == "difficulty"
    wuhua_incident = store.get("incidents", wuhua)
    assert wuhua_incident is not None and wuhua_incident["severity"]["level"] != "II"  # 无人员伤亡
    assert wuhua_incident["severity"]["figures"]["deaths"]["value"] == 0  # an explicit zero, not absent


def test_ordinary_news_opens_no_incident(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(store, ana.mention("ord", "第二届云南民族服饰文化展在昆明开幕",
                                  "第二届云南民族服饰文化展在云南民族博物馆开幕，集中展示25个世居少数民族的传统服饰。"))
    stats = analyze_pending(store, config, now=NOW)
    assert stats.analyzed == 1 and stats.incidents_created == 0
    doc = store.get("mentions", "ord")
    assert doc is not None and doc["analysis_version"] and doc["sentiment"]["label"] in ("neutral", "positive")
    assert "incident_id" not in doc or doc["incident_id"] is None


def test_policy_document_and_board_message_flags(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(
        store,
        ana.mention("pol", "云南省人民政府关于印发云南省进一步优化营商环境若干措施的通知",
                "现将《云南省进一步优化营商环境若干措施》印发给你们。一、压缩企业开办时间，全面推行一网通办。",
                source="portal", doc_type="policy", at="09:30"),
        ana.mention("msg", "五华区学位紧张，孩子明年上小学无学位可读",
                "我家住五华区某小区，划片学校说学位已满。恳请教育部门尽快解决学位紧张问题，让孩子能就近入学。",
                source="board", doc_type="board_message", at="10:15"),
    )
    analyze_pending(store, config, now=NOW)
    pol = store.get("incidents", ana.incident_of(store, "pol") or "")
    msg = store.get("incidents", ana.incident_of(store, "msg") or "")
    assert pol is not None and pol["policy_document"] and not pol["board_message"]
    assert "decisions" in pol["priorities"] and "business_environment" in pol["subtopics"]
    assert msg is not None and msg["board_message"] and msg["place_codes"] == ["530102"]
    assert msg["handling_kind"] == "difficulty" and "schooling" in msg["subtopics"]


def _snapshot(store: Store) -> str:
    store.refresh("mentions", "incidents")
    docs = {kind: sorted(store.scan(kind), key=lambda d: d["id"]) for kind in ("mentions", "incidents")}
    return json.dumps(docs, sort_keys=True, ensure_ascii=False)


def test_yuqing_analyze_twice_changes_nothing(ana: Any, store: Store, config: Config, es_url: str,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    from yuqing.cli import main

    monkeypatch.setenv("ES_URL", es_url)
    monkeypatch.setenv("YUQING_INDEX_PREFIX", store.prefix)
    ana.store_mentions(store, ana.mention("m1", *FIRE, at="13:50"),
                   ana.mention("m2", "官渡商场火灾", "官渡区那个商场着火了！！好大的黑烟", source="weibo", at="13:20"),
                   ana.mention("m3", "早上好昆明", "今天阳光超好，翠湖的红嘴鸥已经来了", source="weibo", at="07:20"))
    assert main(["analyze", "--now", "2026-11-23T20:00:00+08:00"]) == 0
    assert "已研判 3 条舆情" in capsys.readouterr().out
    first = _snapshot(store)
    incidents = store.find("incidents")
    assert len(incidents) == 1 and incidents[0]["first_mention_id"] == "m2"
    assert main(["analyze", "--now", "2026-11-23T21:00:00+08:00"]) == 0
    assert _snapshot(store) == first


def test_updates_keep_fields_owned_by_the_response_layer(ana: Any, store: Store, config: Config) -> None:
    ana.store_mentions(store, ana.mention("m1", *FIRE, at="13:50"))
    analyze_pending(store, config, now=DAY + dt.timedelta(hours=14))
    gid = ana.incident_of(store, "m1")
    assert gid
    store.update("incidents", gid, {"state": "assigned", "assigned_office": "guandu_gov"}, upsert=False, refresh=True)
    before = store.get("incidents", gid)
    ana.store_mentions(store, ana.mention("m2", "官渡区商场火灾 遇难者家属盼尽快公布调查进展",
                                  "昆明市官渡区一商场23日下午发生火灾，造成2人死亡。遇难者家属希望尽快公布火灾原因。",
                                  at="19:00"))
    analyze_pending(store, config, now=NOW)
    after = store.get("incidents", gid)
    assert before is not None and after is not None
    assert after["state"] == "assigned" and after["assigned_office"] == "guandu_gov"
    assert after["mention_count"] == 2 and after["created_at"] == before["created_at"]
    assert after["updated_at"] != before["updated_at"]
    assert [p["mentions"] for p in after["trend"]] == [1, 1]
