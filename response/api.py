"""The response pipeline's entry points, called by the CLI, the DAGs and the console.

- :func:`route_pending`: route every unrouted incident (rule, offices, reason, 会商), assign it,
  open the clocks of every open incident that lack them, and detect releases. Idempotent.
- :func:`sweep_clocks`: mark missed clocks, escalate once, record reminders due (see
  :mod:`response.clocks`).
- :func:`explain_route`: why an incident went to its office — the rule, its reason and inputs,
  and why each earlier rule did not apply.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError

from response import clocks as clocks_mod
from response import lifecycle, releases, routing
from response.clocks import SweepStats
from yuqing import audit, labels, places
from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.errors import InputError, StorageUnavailable, YuqingError
from yuqing.models import CLOCK_STATE_ZH, SEVERITY_RANK, SEVERITY_ZH, STATE_ZH, AuditEvent, Clock, Incident, Routing
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

ROUTE_ACTOR = "system:router"

__all__ = ["RouteStats", "SweepStats", "explain_route", "route_pending", "sweep_clocks"]


@dataclasses.dataclass
class RouteStats:
    routed: int = 0  # incidents routed in this run
    rerouted: int = 0  # routed incidents re-routed because their severity rose
    consultations: int = 0  # joint consultations (会商) opened
    clocks_opened: int = 0
    releases_detected: int = 0
    clocks_met: int = 0
    skipped: dict[str, int] = dataclasses.field(default_factory=dict)  # reason -> count

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def summary(self) -> str:
        skipped = ", ".join(f"{k}={v}" for k, v in sorted(self.skipped.items())) or "0"
        return (f"routed={self.routed} rerouted={self.rerouted} consultations={self.consultations} "
                f"clocks_opened={self.clocks_opened} releases_detected={self.releases_detected} "
                f"clocks_met={self.clocks_met} skipped={skipped}")


def _incident(doc: dict[str, Any]) -> Incident | None:
    try:
        return Incident.from_doc(doc)
    except ValidationError:
        log.warning("skipping unreadable incident %s", doc.get("id"))
        return None


def route_pending(store: Store, config: Config, *, now: dt.datetime) -> RouteStats:
    """Route every unrouted incident, open missing clocks of open incidents, detect releases.

    The unrouted incidents are routed (and assigned) in one conditional bulk write; the routed open
    incidents are read once, for the follow-ups, the missing clocks and release detection; one
    refresh at the end makes the run's writes visible to the next stage.
    """
    stats = RouteStats()
    store.refresh("incidents", "mentions", "clocks", "releases")
    open_query = {"bool": {"filter": [{"exists": {"field": "routing.rule_id"}},
                                      {"terms": {"state": list(lifecycle.OPEN_STATES)}}]}}
    already = [i for i in (_incident(d) for d in store.scan("incidents", open_query)) if i is not None]
    unrouted = {"bool": {"must_not": [{"exists": {"field": "routing.rule_id"}},
                                      {"terms": {"state": list(lifecycle.TERMINAL_STATES)}}]}}
    routed_now = route_batch(store, config, list(store.scan_versioned("incidents", unrouted)), now=now, stats=stats)

    changed: list[str] = []
    for incident in already:
        try:
            if _follow_up(store, config, incident, now=now, stats=stats):
                changed.append(incident.id)
        except StorageUnavailable:
            raise
        except (YuqingError, ValidationError) as exc:
            log.warning("re-routing incident %s failed: %s", incident.id, exc)
            stats.skip(type(exc).__name__)
    if changed:  # re-read what the follow-ups changed (real-time get: no refresh needed)
        fresh = {k: i for k, d in store.mget("incidents", changed).items() if (i := _incident(d)) is not None}
        already = [fresh.get(i.id, i) for i in already]
    open_incidents = [i for i in [*already, *routed_now] if i.state in lifecycle.OPEN_STATES and i.state != "new"]
    stats.clocks_opened += _open_missing_clocks(store, config, open_incidents, now=now)
    new, met = releases.detect_releases(store, config, open_incidents, now=now)
    stats.releases_detected += new
    stats.clocks_met += met
    store.refresh("incidents", "clocks", "audit")
    log.info("route at %s: %s", iso(now), stats.summary())
    return stats


def route_batch(store: Store, config: Config, rows: list[tuple[dict[str, Any], int, int]], *, now: dt.datetime,
                stats: RouteStats) -> list[Incident]:
    """Route (and assign, when new) these unrouted incidents read with their versions: one
    conditional bulk write for the incidents, one for their audit events. An incident changed by
    someone else meanwhile is left for the next run. Returns the incidents as written."""
    docs: dict[str, dict[str, Any]] = {}
    versions: dict[str, tuple[int, int]] = {}
    events: dict[str, list[AuditEvent]] = {}
    results: dict[str, Routing] = {}
    moved: dict[str, Incident] = {}
    for doc, seq_no, term in rows:
        incident = _incident(doc)
        if incident is None:
            stats.skip("unreadable")
            continue
        if incident.routing is not None or incident.state in lifecycle.TERMINAL_STATES:
            continue
        try:
            result = routing.route_incident(incident, config, now=now)
        except (YuqingError, ValidationError) as exc:
            log.warning("routing incident %s failed: %s", incident.id, exc)
            stats.skip(type(exc).__name__)
            continue
        new_doc = {**doc, "routing": result.model_dump(mode="json", exclude_none=True), "updated_at": iso(now)}
        evs = [audit.event(entity="incident", entity_id=incident.id, action="route", actor=ROUTE_ACTOR, at=now,
                           reason=result.reason_zh,
                           after={"rule_id": result.rule_id, "lead_office": result.lead_office,
                                  "supporting_offices": result.supporting_offices, "notify": result.notify})]
        if result.consultation:
            evs.append(_consultation_event(config, incident.id, result, now=now))
        if incident.state == "new":
            office = incident.assigned_office or result.lead_office
            try:
                lifecycle.known_office(config, office)
                new_doc, before, after, event = lifecycle.transition(
                    new_doc, "assign", actor=ROUTE_ACTOR, now=now, office=office,
                    reason=f"按交办规则{_rule(config, result.rule_id)}自动交办")
            except (YuqingError, ValidationError) as exc:  # routed, not assigned: the follow-up retries
                log.warning("assigning incident %s failed: %s", incident.id, exc)
                stats.skip(type(exc).__name__)
            else:
                evs.append(event)
                if after.assigned_office and after.assigned_office != before.assigned_office:
                    moved[incident.id] = after
        docs[incident.id], versions[incident.id] = new_doc, (seq_no, term)
        events[incident.id], results[incident.id] = evs, result
    if not docs:
        return []
    written = store.bulk("incidents", docs.items(), versions=versions)
    lost = {doc_id for doc_id, _ in written.failed}
    for doc_id in written.conflicts:
        log.info("incident %s changed while routing; it will be routed on the next run", doc_id)
        stats.skip("conflict")
    for doc_id, reason in written.failed:
        if doc_id not in written.conflicts:
            log.warning("routing incident %s not written: %s", doc_id, reason)
            stats.skip("write failed")
    audit.record_many(store, [e for i, evs in events.items() if i not in lost for e in evs])
    lifecycle.follow_owners(store, [i for k, i in moved.items() if k not in lost], actor=ROUTE_ACTOR, now=now)
    out: list[Incident] = []
    for doc_id, doc in docs.items():
        if doc_id in lost:
            continue
        stats.routed += 1
        stats.consultations += int(results[doc_id].consultation)
        out.append(Incident.from_doc(doc))
    return out


def route_one(store: Store, config: Config, incident_id: str, *, now: dt.datetime, stats: RouteStats) -> bool:
    """Route one incident with a conditional write; False when someone routed it first."""
    got = store.get_versioned("incidents", incident_id)
    if got is None:
        return False
    routed = route_batch(store, config, [got], now=now, stats=stats)
    if routed:
        store.refresh("incidents", "clocks", "audit")
    return bool(routed)


def _rule(config: Config, rule_id: str) -> str:
    """A routing rule as people name it: 「特别重大、重大突发事件」."""
    return labels.rule_short(labels.name("route_rule", rule_id, config))


def _rank(level: str | None) -> int:
    return SEVERITY_RANK.get(level, 0) if level else 0


def _follow_up(store: Store, config: Config, incident: Incident, *, now: dt.datetime, stats: RouteStats) -> bool:
    """Finish an interrupted routing (routed but still new), and re-route once when the severity
    rose after routing (分级负责: a higher level may lead). Returns whether anything changed."""
    assert incident.routing is not None
    if incident.state == "new":
        lifecycle.apply(store, config, incident.id, "assign", actor=ROUTE_ACTOR, now=now, refresh=False,
                        reason=f"按交办规则{_rule(config, incident.routing.rule_id)}自动交办")
        return True
    level = incident.severity.level if incident.severity else None
    routed_level = incident.routing.inputs.get("level")
    if level is None or _rank(level) <= _rank(routed_level):
        return False
    got = store.get_versioned("incidents", incident.id)
    if got is None:
        return False
    doc, seq_no, term = got
    old = incident.routing
    result = routing.route_incident(Incident.from_doc(doc), config, now=now)
    result.inputs["rerouted_from"] = old.rule_id
    try:
        store.put("incidents", incident.id, {**doc, "routing": result.model_dump(mode="json", exclude_none=True),
                                             "updated_at": iso(now)}, if_seq_no=seq_no, if_primary_term=term)
    except ConflictError:
        stats.skip("conflict")
        return False
    was = f"{SEVERITY_ZH[routed_level]}" if routed_level else "未定级"
    audit.record(store, entity="incident", entity_id=incident.id, action="reroute", actor=ROUTE_ACTOR, at=now,
                 reason=f"级别由{was}升为{SEVERITY_ZH[level]}（{level}级），重新交办：{result.reason_zh}",
                 before={"rule_id": old.rule_id, "lead_office": old.lead_office},
                 after={"rule_id": result.rule_id, "lead_office": result.lead_office})
    stats.rerouted += 1
    if result.consultation and not old.consultation:
        _open_consultation(store, config, incident.id, result, now=now, stats=stats)
    if (result.lead_office != old.lead_office and incident.assigned_office in (None, old.lead_office)
            and incident.state in lifecycle.TRANSITIONS["reassign"][0]):
        lifecycle.apply(store, config, incident.id, "reassign", actor=ROUTE_ACTOR, now=now, refresh=False,
                        office=result.lead_office,
                        reason=f"级别升为{SEVERITY_ZH[level]}，按交办规则{_rule(config, result.rule_id)}改派")
    return True


def _consultation_event(config: Config, incident_id: str, result: Routing, *, now: dt.datetime) -> AuditEvent:
    names = places.office_names(config.offices, result.consultation_offices)
    return audit.event(entity="incident", entity_id=incident_id, action="open_consultation",
                       actor=ROUTE_ACTOR, at=now, reason=f"启动重大政务舆情会商，参加单位：{names}",
                       after={"offices": result.consultation_offices})


def _open_consultation(store: Store, config: Config, incident_id: str, result: Routing, *, now: dt.datetime,
                       stats: RouteStats) -> None:
    stats.consultations += 1
    audit.record_many(store, [_consultation_event(config, incident_id, result, now=now)])


def _open_missing_clocks(store: Store, config: Config, incidents: list[Incident], *, now: dt.datetime) -> int:
    calendar = config.work_calendar()
    first_ids = [i.first_mention_id for i in incidents if i.policy_document or i.board_message]
    firsts = store.mget("mentions", first_ids) if first_ids else {}
    planned: list[Clock] = []
    for incident in incidents:
        owner = incident.assigned_office or (incident.routing.lead_office if incident.routing else None)
        if owner is None:
            continue
        first = firsts.get(incident.first_mention_id) or {}
        document_at = parse_ts(first.get("published_at")) if first else None
        planned += clocks_mod.plan_clocks(incident, config, calendar, owner=owner,
                                          opened_at=incident.first_seen_at, document_at=document_at)
    created = clocks_mod.open_clocks(store, planned, actor=ROUTE_ACTOR, now=now)
    return len(created)


def sweep_clocks(store: Store, config: Config, *, now: dt.datetime) -> SweepStats:
    """Mark missed clocks, escalate each missed clock's incident once, record reminders due."""
    return clocks_mod.sweep(store, config, now=now)


def explain_route(store: Store, config: Config, incident_id: str) -> dict[str, Any]:
    """Why the incident went to its office: rule, reason, inputs, and the rules tried before it.

    For an incident not routed yet, the explanation previews what routing would decide now
    (``preview: true``). ``text_zh`` is a readable Chinese explanation of the whole.
    """
    doc = store.get("incidents", incident_id)
    if doc is None:
        raise InputError(f"事件不存在：{incident_id} / no incident {incident_id!r}")
    incident = Incident.from_doc(doc)
    preview = incident.routing is None
    result = incident.routing or routing.route_incident(incident, config, now=incident.updated_at)
    rules_tried = []
    for rule in config.routing.rules:
        if rule.id == result.rule_id:
            break
        rules_tried.append({"rule_id": rule.id, "description_zh": rule.description_zh,
                            "not_matched_zh": "；".join(routing.rule_mismatches(rule, result.inputs)) or "—"})
    rule_desc = next((r.description_zh for r in config.routing.rules if r.id == result.rule_id),
                     "（该规则已不在当前配置中）")
    clock_docs = store.find("clocks", {"term": {"incident_id": incident_id}}, sort=[{"due_at": "asc"}], size=50)
    clocks = [{"rule_id": c["rule_id"], "name_zh": c["name_zh"], "due_at": c["due_at"], "state": c["state"],
               "owner_office": c["owner_office"]} for c in clock_docs]
    current = incident.assigned_office or result.lead_office
    lines = [
        f"事件：{incident.title}（{incident_id}）",
        f"状态：{STATE_ZH[incident.state]}" + ("（尚未交办，以下为按当前规则的预览）" if preview else ""),
        f"交办规则：{result.rule_id} — {rule_desc}",
        f"理由：{result.reason_zh}",
        f"牵头单位：{places.office_name(config.offices, result.lead_office)}"
        + (f"；现处置单位：{places.office_name(config.offices, current)}" if current != result.lead_office else ""),
        "配合单位：" + places.office_names(config.offices, result.supporting_offices),
    ]
    if result.notify:
        lines.append("通报：" + places.office_names(config.offices, result.notify))
    if result.consultation:
        lines.append("会商：已启动（" + places.office_names(config.offices, result.consultation_offices) + "）")
    inputs = result.inputs
    level = inputs.get("level")
    lines.append(
        "规则输入：属地 "
        + (f"{inputs.get('place_name')}（{inputs.get('place')}）" if inputs.get("place") else "未识别")
        + f"，涉及地区代码 {'、'.join(inputs.get('place_codes') or []) or '无'}"
        + f"，级别 {SEVERITY_ZH[level] + '（' + level + '级）' if level else '未定级'}"
        + f"，收集重点 {'、'.join(inputs.get('priorities') or []) or '无'}"
        + f"，子话题 {'、'.join(inputs.get('subtopics') or []) or '无'}"
        + f"，处置类型 {inputs.get('handling_kind') or '未定'}"
    )
    for tried in rules_tried:
        lines.append(f"未采用规则 {tried['rule_id']}：{tried['not_matched_zh']}")
    if result.handling_zh:
        lines.append(result.handling_zh)
    for c in clocks:
        lines.append(f"时限：{c['name_zh']}，截止 {c['due_at']}，{CLOCK_STATE_ZH.get(c['state'], c['state'])}")
    return {
        "incident_id": incident_id, "title": incident.title, "state": incident.state, "preview": preview,
        "rule_id": result.rule_id, "rule_description_zh": rule_desc, "reason_zh": result.reason_zh,
        "lead_office": result.lead_office, "lead_office_name": places.office_name(config.offices, result.lead_office),
        "assigned_office": current, "supporting_offices": result.supporting_offices, "notify": result.notify,
        "consultation": result.consultation, "consultation_offices": result.consultation_offices,
        "handling_zh": result.handling_zh, "inputs": inputs, "rules_tried": rules_tried,
        "routed_at": None if preview else iso(result.routed_at), "clocks": clocks, "text_zh": "\n".join(lines),
    }
