"""Routing (交办): the lead office (牵头) and supporting offices (配合) for an incident.

Rules are declared in ``config/routing.yaml`` and tried in order; the first whose conditions all
hold wins (属地管理、分级负责、谁主管谁负责). The result records the rule, a Chinese reason and the
inputs the rule saw, so an officer can ask why an incident went to an office and get an answer
that does not depend on reading code.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yuqing import handling, labels, places
from yuqing.config import Config
from yuqing.config.routing import RouteRule
from yuqing.errors import ConfigError
from yuqing.models import HANDLING_ZH, SEVERITY_RANK, SEVERITY_ZH, Incident, Routing


def route_inputs(incident: Incident, config: Config) -> dict[str, Any]:
    """What routing looks at, in a plain dict that is stored on the incident as ``routing.inputs``."""
    codes = list(incident.place_codes) or [p.code for p in incident.places if p.code]
    place = places.resolve_place(config.offices, codes)
    kind, inferred = handling.handling_kind(incident)
    return {
        "place_codes": list(place.codes),
        "place": place.code,
        "place_name": places.place_name(config.offices, place.code),
        "multi_place": place.multi_place,
        "level": incident.severity.level if incident.severity else None,
        "priorities": list(incident.priorities),
        "subtopics": list(incident.subtopics),
        "handling_kind": kind,
        "handling_kind_inferred": inferred,
        "policy_document": incident.policy_document,
        "board_message": incident.board_message,
        "department": incident.department.label if incident.department else None,
        "department_confidence": incident.department.confidence if incident.department else None,
    }


def rule_mismatches(rule: RouteRule, inputs: dict[str, Any]) -> list[str]:
    """Why ``rule`` does not apply to ``inputs`` (Chinese, one entry per failed condition); empty if it does."""
    when = rule.when
    failed: list[str] = []
    if when.priorities and not set(when.priorities) & set(inputs["priorities"]):
        failed.append("收集重点不含 " + "/".join(when.priorities))
    if when.subtopics and not set(when.subtopics) & set(inputs["subtopics"]):
        failed.append("子话题不含 " + "/".join(when.subtopics))
    if when.levels and inputs["level"] not in when.levels:
        failed.append("级别不是 " + "/".join(when.levels))
    if when.handling_kinds and inputs["handling_kind"] not in when.handling_kinds:
        failed.append("处置类型不是 " + "/".join(when.handling_kinds))
    if when.multi_place is not None and bool(inputs["multi_place"]) != when.multi_place:
        failed.append("跨地区" if not when.multi_place else "不跨地区")
    if when.board_message is not None and bool(inputs.get("board_message")) != when.board_message:
        failed.append("不是留言板留言" if when.board_message else "是留言板留言")
    if when.department_min_confidence is not None:
        conf = inputs.get("department_confidence")
        if not inputs.get("department") or conf is None or conf < when.department_min_confidence:
            failed.append(f"业务类别置信度低于 {when.department_min_confidence:g}")
    return failed


def match_rule(config: Config, inputs: dict[str, Any]) -> RouteRule:
    for rule in config.routing.rules:
        if not rule_mismatches(rule, inputs):
            return rule
    # The shipped table ends with a catch-all rule; a custom table without one still routes.
    return config.routing.rules[-1]


def _known_office(config: Config, office_id: str) -> str:
    """The name of an office a routing rule names (a dangling id is a configuration error)."""
    try:
        return config.offices.office(office_id).name
    except KeyError as exc:
        raise ConfigError(str(config.directory / "routing.yaml"), "office", office_id,
                          "no such office in offices.yaml") from exc


def department_office(config: Config, category: str | None, place: str | None) -> str | None:
    """The office configured for a line of work at the place or the nearest level above it."""
    by_place = config.routing.departments.get(category or "")
    if not by_place:
        return None
    code = place
    seen: set[str] = set()
    while code and code not in seen:
        seen.add(code)
        if code in by_place:
            return by_place[code]
        try:
            code = config.offices.jurisdiction(code).parent
        except KeyError:
            break
    return None


def _resolve(config: Config, target: str, place: str | None, department: str | None = None) -> tuple[str, str]:
    """An office id for a rule target, with how it was chosen (Chinese)."""
    if target == "department":
        office = department_office(config, department, place)
        if office is not None:
            return office, f"业务主管部门：{department}"
        return places.place_government(config.offices, place).id, "属地政府（该业务类别未配置主管部门）"
    if target == "place":
        return places.place_government(config.offices, place).id, "属地政府"
    if target == "place_up":
        return places.government_above(config.offices, place).id, "属地上一级政府"
    _known_office(config, target)
    return target, "主管部门"


def route_incident(incident: Incident, config: Config, *, now: dt.datetime) -> Routing:
    """Choose the offices for ``incident`` by the first matching rule; pure (no storage)."""
    inputs = route_inputs(incident, config)
    rule = match_rule(config, inputs)
    lead, how = _resolve(config, rule.lead, inputs["place"], inputs.get("department"))
    supporting = [o for o in dict.fromkeys(_resolve(config, s, inputs["place"], inputs.get("department"))[0]
                                           for s in rule.supporting)
                  if o != lead]
    notify = list(rule.notify)
    if handling.is_false_info(inputs["handling_kind"], inputs["priorities"]):
        notify += config.routing.false_info_notify
    notify = list(dict.fromkeys(notify))
    for office_id in notify:
        _known_office(config, office_id)
    level = inputs["level"]
    consultation = rule.consultation and level is not None and SEVERITY_RANK[level] >= SEVERITY_RANK["II"]
    consultation_offices = list(dict.fromkeys([lead, *supporting, *notify])) if consultation else []
    handling_zh = handling.requirement_zh(inputs["handling_kind"], inputs["handling_kind_inferred"])
    inputs["rule_lead"] = rule.lead
    return Routing(
        lead_office=lead, supporting_offices=supporting, notify=notify, rule_id=rule.id,
        reason_zh=reason_zh(config, rule, inputs, lead, how, supporting, notify, consultation),
        inputs=inputs, consultation=consultation, routed_at=now, handling_zh=handling_zh,
        consultation_offices=consultation_offices,
    )


def _names(config: Config, ids: list[str]) -> str:
    return "、".join(config.priorities.name_of(i) for i in ids) or "无"


def reason_zh(config: Config, rule: RouteRule, inputs: dict[str, Any], lead: str, how: str,
              supporting: list[str], notify: list[str], consultation: bool) -> str:
    place = inputs["place_name"] if inputs["place"] else "未识别属地"
    if inputs["multi_place"]:
        codes = "、".join(places.place_name(config.offices, c) for c in inputs["place_codes"])
        place = f"涉及{codes}，由共同上级{place}负责"
    level = inputs["level"]
    parts = [
        f"按交办规则{labels.rule_short(rule.description_zh)}交办：{rule.description_zh}。",
        f"属地：{place}；",
        f"级别：{SEVERITY_ZH[level]}（{level}级）；" if level else "级别：未定级；",
        f"收集重点：{_names(config, inputs['priorities'])}；",
        f"子话题：{_names(config, inputs['subtopics'])}；",
    ]
    if inputs.get("department"):
        parts.append(f"业务类别：{inputs['department']}（置信度 {inputs['department_confidence']:.2f}）；")
    if inputs["handling_kind"]:
        parts.append(f"处置类型：{HANDLING_ZH[inputs['handling_kind']]}。")
    parts.append(f"牵头单位：{_known_office(config, lead)}（{how}）；")
    parts.append("配合单位：" + places.office_names(config.offices, supporting) + "。")
    if notify:
        parts.append("同时通报：" + places.office_names(config.offices, notify) + "。")
    if consultation:
        parts.append("属特别重大、重大政务舆情，启动会商。")
    return "".join(parts)
