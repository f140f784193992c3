"""The incident lifecycle: new → assigned → acknowledged → responding → released → closed, plus
escalated and dismissed.

:func:`apply` is the only way an incident changes state. It reads the incident with its sequence
number, checks the transition table, writes the result conditionally (so two officers acting at
once cannot lose each other's update: the loser re-reads and is checked again) and writes one
audit event with who, when and why. Side effects on the incident's clocks follow the transition:
a reassignment moves their owner, a dismissal or closure waives the ones still running.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from response.urgency import sync_urgency
from yuqing import audit, labels
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.errors import InputError, TransitionError
from yuqing.models import STATE_ZH, AuditEvent, Incident
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

ACTION_ZH = labels.ACTION_ZH
# action -> (states it may be taken from, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "assign": (frozenset({"new", "escalated"}), "assigned"),
    "reassign": (frozenset({"assigned", "acknowledged", "responding", "escalated"}), "assigned"),
    "acknowledge": (frozenset({"assigned", "escalated"}), "acknowledged"),
    "start_response": (frozenset({"acknowledged", "escalated"}), "responding"),
    "record_release": (frozenset({"assigned", "acknowledged", "responding", "escalated", "released"}), "released"),
    "escalate": (frozenset({"new", "assigned", "acknowledged", "responding", "released"}), "escalated"),
    "dismiss": (frozenset({"new", "assigned", "acknowledged", "responding", "escalated"}), "dismissed"),
    "close": (frozenset({"released"}), "closed"),
    # merge: this incident is absorbed by another (its mentions moved there by the console); the
    # survivor keeps its own clocks and record, this one ends as 已合并 naming the survivor.
    "merge": (frozenset({"new", "assigned", "acknowledged", "responding", "released", "escalated"}), "merged"),
}
OPEN_STATES = ("new", "assigned", "acknowledged", "responding", "released", "escalated")
TERMINAL_STATES = ("closed", "dismissed", "merged")
_ATTEMPTS = 5


def allowed_actions(state: str) -> list[str]:
    """The actions the lifecycle allows from ``state`` (for buttons in the console)."""
    return [a for a, (sources, _) in TRANSITIONS.items() if state in sources]


def check(incident: Incident, action: str) -> str:
    """The state ``action`` leads to from the incident's state; raises TransitionError if forbidden."""
    if action not in TRANSITIONS:
        raise InputError(f"未知操作：{action} / unknown action {action!r}; "
                         f"expected one of {', '.join(TRANSITIONS)}")
    sources, target = TRANSITIONS[action]
    if incident.state not in sources:
        allowed = "、".join(STATE_ZH[s] for s in sorted(sources))
        raise TransitionError(
            f"事件处于「{STATE_ZH[incident.state]}」状态，不能「{ACTION_ZH[action]}」（仅可从{allowed}状态执行）"
            f" / cannot {action} incident {incident.id} in state {incident.state!r} "
            f"(allowed from: {', '.join(sorted(sources))})"
        )
    return target


def known_office(config: Config, office: str) -> None:
    try:
        config.offices.office(office)
    except KeyError as exc:
        raise InputError(f"未知处置单位：{office} / unknown office {office!r}") from exc


def _changes(incident: Incident, action: str, target: str, *, actor: str, now: dt.datetime, reason: str,
             office: str | None, merged_into: str | None = None) -> dict[str, Any]:
    """The fields ``action`` changes (None removes a field)."""
    changes: dict[str, Any] = {"state": target, "updated_at": iso(now)}
    current = incident.assigned_office or (incident.routing.lead_office if incident.routing else None)
    if action == "assign":
        chosen = office or current
        if chosen is None:
            raise InputError("交办须指定处置单位（事件尚未按规则交办）"
                             "/ assign needs an office: the incident is not routed")
        changes["assigned_office"] = chosen
    elif action == "reassign":
        if office is None:
            raise InputError("改派须指定处置单位 / reassign needs an office")
        if office == current:
            raise TransitionError(f"事件已由{office}办理，无需改派 / incident is already assigned to {office}")
        changes["assigned_office"] = office
    elif action == "acknowledge":
        changes["acknowledged_by"] = actor
        changes["acknowledged_at"] = iso(now)
    elif action == "escalate":
        changes["escalated_at"] = iso(now)
        if office is not None:
            changes["assigned_office"] = office
    elif action == "dismiss":
        changes["dismiss_reason"] = reason
    elif action == "close":
        changes["closed_at"] = iso(now)
    elif action == "merge":
        if not merged_into or merged_into == incident.id:
            raise InputError("合并须指定并入的另一事件 / merge needs the surviving incident")
        changes["merged_into"] = merged_into
        changes["closed_at"] = iso(now)
    return changes


def apply(store: Store, config: Config, incident_id: str, action: str, *, actor: str, now: dt.datetime,
          reason: str = "", office: str | None = None, refresh: bool = True,
          audit_sink: list[AuditEvent] | None = None, merged_into: str | None = None) -> Incident:
    """Apply one lifecycle ``action`` to an incident and return the updated incident.

    Actions: assign (office, default the routed lead), reassign (office), acknowledge,
    start_response, record_release, escalate (optional office), dismiss (reason required), close,
    merge (``merged_into``: the surviving incident; the console moves the mentions first).
    Raises TransitionError when the state forbids the action, InputError for a bad request.
    A batch caller (the clock sweep) passes ``audit_sink`` to collect the audit event and write
    many in one bulk request instead of one each.
    """
    if action == "dismiss" and not reason.strip():
        raise InputError("排除须填写理由 / a dismissal needs a reason")
    if not actor.strip():
        raise InputError("须注明操作人 / an actor is required")
    if office is not None:
        known_office(config, office)
    for _ in range(_ATTEMPTS):
        got = store.get_versioned("incidents", incident_id)
        if got is None:
            raise InputError(f"事件不存在：{incident_id} / no incident {incident_id!r}")
        doc, seq_no, primary_term = got
        new_doc, incident, updated, event = transition(doc, action, actor=actor, now=now, reason=reason,
                                                       office=office, merged_into=merged_into)
        try:
            store.put("incidents", incident_id, new_doc, if_seq_no=seq_no, if_primary_term=primary_term)
        except ConflictError:
            log.info("incident %s changed during %s; retrying", incident_id, action)
            continue
        break
    else:
        raise TransitionError(f"事件 {incident_id} 正被他人同时修改，请重试 / incident {incident_id} is being "
                              f"changed concurrently; try again")
    if audit_sink is not None:
        audit_sink.append(event)
    else:
        store.put("audit", event.id, event.to_doc())
    _follow_clocks(store, incident, updated, action, actor=actor, now=now, reason=reason)
    if refresh:  # an explicit refresh is immediate; refresh="wait_for" would wait up to a second
        store.refresh("incidents", "clocks", "audit")
    log.info("incident %s: %s by %s (%s -> %s)", incident_id, action, actor, incident.state, updated.state)
    return updated


def transition(doc: dict[str, Any], action: str, *, actor: str, now: dt.datetime, reason: str = "",
               office: str | None = None, merged_into: str | None = None,
               ) -> tuple[dict[str, Any], Incident, Incident, AuditEvent]:
    """The incident document after ``action`` (checked against the transition table), the incident
    before and after, and the audit event — computed, not written (:func:`apply` writes one; the
    router writes a batch of them in one conditional bulk request)."""
    incident = Incident.from_doc(doc)
    target = check(incident, action)
    changes = _changes(incident, action, target, actor=actor, now=now, reason=reason, office=office,
                       merged_into=merged_into)
    new_doc = {k: v for k, v in {**doc, **changes}.items() if v is not None}
    updated = Incident.from_doc(new_doc)
    event = audit.event(
        entity="incident", entity_id=incident.id, action=action, actor=actor, at=now,
        reason=reason or ACTION_ZH[action],
        before={"state": incident.state, "assigned_office": incident.assigned_office},
        after={"state": updated.state, "assigned_office": updated.assigned_office,
               **({"merged_into": updated.merged_into} if updated.merged_into else {})},
    )
    return new_doc, incident, updated, event


def follow_owners(store: Store, moved: list[Incident], *, actor: str, now: dt.datetime) -> int:
    """Move the running clocks of incidents whose office changed to the new office: one search and
    one bulk write for the whole batch (:func:`apply` calls it for one). Returns clocks moved."""
    owners = {i.id: i.assigned_office for i in moved if i.assigned_office}
    if not owners:
        return 0
    running = store.find("clocks", {"bool": {"filter": [{"terms": {"incident_id": sorted(owners)}},
                                                         {"term": {"state": "running"}}]}})
    return _change_clocks(store, "change_owner", [
        (c, {"owner_office": owners[c["incident_id"]]}, f"处置单位变更为{owners[c['incident_id']]}") for c in running],
        actor=actor, now=now)


def _change_clocks(store: Store, verb: str, changes: list[tuple[dict[str, Any], dict[str, Any], str]], *,
                   actor: str, now: dt.datetime) -> int:
    """Write ``(clock, partial, reason)`` changes in one bulk request, with their audit events in another."""
    if not changes:
        return 0
    store.bulk("clocks", [(c["id"], partial) for c, partial, _ in changes], op="update")
    audit.record_many(store, [
        audit.event(entity="clock", entity_id=c["id"], action=verb, actor=actor, at=now, reason=why,
                    before={"state": c["state"], "owner_office": c.get("owner_office")}, after=partial)
        for c, partial, why in changes])
    return len(changes)


def _follow_clocks(store: Store, before: Incident, after: Incident, action: str, *, actor: str,
                   now: dt.datetime, reason: str) -> None:
    """Move running clocks to the new owner, or waive them when the incident ends without them."""
    if action not in ("dismiss", "close", "merge"):
        if after.assigned_office and after.assigned_office != before.assigned_office:
            follow_owners(store, [after], actor=actor, now=now)
        return
    running = store.find("clocks", {"bool": {"filter": [{"term": {"incident_id": after.id}},
                                                         {"term": {"state": "running"}}]}}, size=100)
    if not running:
        return
    why = {"dismiss": f"事件已排除：{reason}", "close": "事件已办结",
           "merge": reason or "事件已并入另一事件，时限由该事件承担"}[action]
    partial: dict[str, Any] = {"state": "waived", "waived_reason": why, "waived_by": actor, "waived_at": iso(now)}
    _change_clocks(store, "waive", [(c, partial, why) for c in running], actor=actor, now=now)
    store.refresh("clocks")
    sync_urgency(store, [after.id])
