"""Routing: declared rules, first match wins, place and level, explainable; route is idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from response.api import explain_route, route_pending
from yuqing.audit import history
from yuqing.clock import TZ, parse_ts
from yuqing.models import Clock, Incident
from yuqing.storage import Store

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=TZ)


def _incident(store: Store, incident_id: str) -> Incident:
    doc = store.get("incidents", incident_id)
    assert doc is not None
    return Incident.from_doc(doc)


def _clocks(store: Store, incident_id: str) -> dict[str, Clock]:
    store.refresh("clocks")
    return {d["rule_id"]: Clock.from_doc(d) for d in store.find("clocks", {"term": {"incident_id": incident_id}})}


def test_level_ii_emergency_routed_by_place_and_priority_with_5h_and_24h_clocks(store, config, make_incident):
    inc = make_incident("blast", place_codes=["530102"], level="II", priorities=["emergency"],
                        subtopics=["work_safety"], first_seen_at=T0)

    stats = route_pending(store, config, now=T0 + dt.timedelta(minutes=40))

    assert stats.routed == 1 and stats.consultations == 1
    routed = _incident(store, inc.id)
    assert routed.routing is not None
    assert routed.routing.rule_id == "major_emergency"
    # 五华区 has its own government; a level-II emergency goes one level up: 昆明市.
    assert routed.routing.lead_office == "kunming_gov"
    assert routed.routing.supporting_offices == ["prov_emergency", "news_center"]
    assert routed.routing.consultation is True
    assert "kunming_gov" in routed.routing.consultation_offices
    assert routed.state == "assigned" and routed.assigned_office == "kunming_gov"
    assert "重大（II级）" in routed.routing.reason_zh and "五华区" in routed.routing.reason_zh

    clocks = _clocks(store, inc.id)
    assert set(clocks) == {"authoritative_info", "press_conference"}  # no 48 h fallback for a level-II emergency
    # Opened at the incident's first appearance, not at routing time.
    assert clocks["authoritative_info"].opened_at == T0
    assert clocks["authoritative_info"].due_at == T0 + dt.timedelta(hours=5)
    assert clocks["press_conference"].due_at == T0 + dt.timedelta(hours=24)
    assert all(c.owner_office == "kunming_gov" and c.state == "running" for c in clocks.values())

    actions = [e.action for e in history(store, inc.id)]
    assert "route" in actions and "open_consultation" in actions and "assign" in actions


def test_two_city_incident_goes_up_to_the_common_province(store, config, make_incident):
    inc = make_incident("two-cities", place_codes=["530100", "530300"], level="III", priorities=["credibility"])
    districts = make_incident("two-districts", place_codes=["530102", "530103"], level="IV",
                              priorities=["credibility"])

    route_pending(store, config, now=T0 + dt.timedelta(hours=1))

    routed = _incident(store, inc.id)
    assert routed.routing is not None
    assert routed.routing.rule_id == "multi_place"
    assert routed.routing.lead_office == "prov_gov_office"  # 昆明市 + 曲靖市 → 云南省
    assert routed.routing.inputs["multi_place"] is True and routed.routing.inputs["place"] == "530000"
    two = _incident(store, districts.id)
    assert two.routing is not None and two.routing.lead_office == "kunming_gov"  # 五华区 + 盘龙区 → 昆明市
    assert set(_clocks(store, inc.id)) == {"response_48h"}


def test_district_without_own_office_goes_to_the_nearest_government_above(store, config, make_incident):
    inc = make_incident("xishan", place_codes=["530112"], level="IV", priorities=["credibility"])
    route_pending(store, config, now=T0)
    routed = _incident(store, inc.id)
    assert routed.routing is not None and routed.routing.lead_office == "kunming_gov"


def test_competent_department_leads_and_place_supports(store, config, make_incident):
    inc = make_incident("food", place_codes=["532301"], level="III", priorities=["public_interest"],
                        subtopics=["food_drug_safety"])
    route_pending(store, config, now=T0)
    routed = _incident(store, inc.id)
    assert routed.routing is not None
    assert routed.routing.rule_id == "food_drug"
    assert routed.routing.lead_office == "prov_market"
    assert routed.routing.supporting_offices == ["chuxiong_city_gov"]


def test_false_information_notifies_police_and_cyberspace_office(store, config, make_incident):
    rumour = make_incident("rumour", level="III", priorities=["false_info"], handling_kind="false_info")
    emergency_rumour = make_incident("rumour-blast", level="II", priorities=["emergency", "false_info"])
    route_pending(store, config, now=T0)
    routed = _incident(store, rumour.id)
    assert routed.routing is not None
    assert routed.routing.rule_id == "false_info_illegal"
    assert set(routed.routing.notify) == {"police", "cyberspace_office"}
    assert "辟谣" in routed.routing.handling_zh
    # Routed by the emergency rule, it is still referred to the police and the cyberspace office.
    other = _incident(store, emergency_rumour.id)
    assert other.routing is not None and other.routing.rule_id == "major_emergency"
    assert {"police", "cyberspace_office", "press_office"} <= set(other.routing.notify)


def test_handling_kind_decides_what_the_office_must_publish(store, config, make_incident):
    inc = make_incident("suggest", level="IV", priorities=["decisions"], handling_kind="suggestion")
    route_pending(store, config, now=T0)
    routed = _incident(store, inc.id)
    assert routed.routing is not None
    assert "建设性意见建议" in routed.routing.handling_zh and "采纳情况" in routed.routing.handling_zh


def test_explain_shows_the_rule_its_reason_and_inputs(store, config, make_incident):
    inc = make_incident("explain", place_codes=["530102"], level="II", priorities=["public_interest"],
                        subtopics=["medical"])
    preview = explain_route(store, config, inc.id)
    assert preview["preview"] is True and preview["rule_id"] == "medical"

    route_pending(store, config, now=T0)
    result = explain_route(store, config, inc.id)

    assert result["preview"] is False
    assert result["rule_id"] == "medical" and result["lead_office"] == "prov_health"
    assert result["inputs"]["place"] == "530102" and result["inputs"]["level"] == "II"
    assert result["inputs"]["subtopics"] == ["medical"]
    tried = {t["rule_id"]: t["not_matched_zh"] for t in result["rules_tried"]}
    assert "收集重点不含 emergency" in tried["major_emergency"]
    text = result["text_zh"]
    assert "交办规则：medical" in text and "省卫生健康委" in text and "五华区" in text and "重大（II级）" in text
    assert "未采用规则 major_emergency" in text


def _snapshot(store: Store) -> dict[str, Any]:
    store.refresh()
    return {kind: sorted((d["id"], repr(sorted(d.items()))) for d in store.find(kind, size=1000))
            for kind in ("incidents", "clocks", "releases", "audit")}


def test_rerunning_route_changes_nothing(store, config, make_incident, make_mention):
    inc = make_incident("rerun", level="II", priorities=["emergency"], keywords=["爆炸", "化工厂"])
    make_incident("rerun-2", place_codes=["530100", "530300"], priorities=["credibility"])
    make_mention("post", published_at=T0 + dt.timedelta(hours=2), official=True, office="kunming_gov",
                 incident_id=inc.id, title="关于化工厂爆炸的情况通报", text="经核实，已启动应急预案。",
                 source_id="kunming-portal", jurisdiction="530100")
    first = route_pending(store, config, now=T0 + dt.timedelta(hours=3))
    assert first.routed == 2 and first.releases_detected == 1 and first.clocks_met == 1
    before = _snapshot(store)

    again = route_pending(store, config, now=T0 + dt.timedelta(hours=4))

    assert (again.routed, again.clocks_opened, again.releases_detected, again.clocks_met) == (0, 0, 0, 0)
    assert _snapshot(store) == before
    routed_at = parse_ts(_incident(store, inc.id).routing.routed_at)  # type: ignore[union-attr]
    assert routed_at == T0 + dt.timedelta(hours=3)


def test_severity_rising_after_routing_reroutes_once_and_opens_the_emergency_clocks(store, config, make_incident):
    inc = make_incident("grows", place_codes=["530102"], level="III", priorities=["emergency"])
    route_pending(store, config, now=T0 + dt.timedelta(minutes=10))
    assert _incident(store, inc.id).assigned_office == "wuhua_gov"
    assert set(_clocks(store, inc.id)) == {"response_48h"}
    # The analysis raises the level (a partial update that keeps the response fields).
    store.update("incidents", inc.id, {"severity": {"level": "II", "score": 0.9, "reasons": ["传播加速"]}})

    stats = route_pending(store, config, now=T0 + dt.timedelta(hours=2))
    again = route_pending(store, config, now=T0 + dt.timedelta(hours=3))

    assert stats.rerouted == 1 and stats.consultations == 1 and again.rerouted == 0
    routed = _incident(store, inc.id)
    assert routed.routing is not None and routed.routing.rule_id == "major_emergency"
    assert routed.assigned_office == "kunming_gov" and routed.state == "assigned"
    clocks = _clocks(store, inc.id)
    assert {"authoritative_info", "press_conference", "response_48h"} == set(clocks)
    assert clocks["authoritative_info"].owner_office == "kunming_gov"
    assert clocks["response_48h"].owner_office == "kunming_gov"  # moved with the reassignment
    assert [e.action for e in history(store, inc.id)].count("reroute") == 1


def test_board_message_goes_to_the_department_of_its_line_of_work(store, config, make_incident):
    from yuqing.models import Department

    sure = make_incident("board-env", place_codes=["530102"], level="IV", priorities=["public_interest"],
                         board_message=True, department=Department(label="环境保护", confidence=0.91))
    unsure = make_incident("board-vague", place_codes=["530102"], level="IV", priorities=["public_interest"],
                           board_message=True, department=Department(label="环境保护", confidence=0.3))
    sharper = make_incident("board-school", place_codes=["530102"], level="IV", priorities=["public_interest"],
                            subtopics=["schooling"], board_message=True,
                            department=Department(label="城乡建设", confidence=0.9))
    route_pending(store, config, now=T0)
    routed = _incident(store, sure.id)
    assert routed.routing is not None and routed.routing.rule_id == "board_department"
    assert routed.routing.lead_office == "prov_ecology" and routed.routing.supporting_offices == ["wuhua_gov"]
    assert "业务类别：环境保护（置信度 0.91）" in routed.routing.reason_zh
    vague = _incident(store, unsure.id)
    assert vague.routing is not None and vague.routing.rule_id == "default_place"  # too unsure: 属地
    school = _incident(store, sharper.id)
    assert school.routing is not None and school.routing.rule_id == "schooling"  # a sharper rule wins
    text = explain_route(store, config, sure.id)["text_zh"]
    assert "环境保护" in text and "0.91" in text
