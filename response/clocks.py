"""Response clocks (时限): opened by the rules in ``config/clocks.yaml`` and swept from stored state.

A clock is a document in Elasticsearch with its due time, state and owner; nothing about it lives
in memory. :func:`sweep` is given ``now`` and decides everything from stored timestamps with range
queries on ``due_at`` (only the clocks that need action are read): running clocks past due become
missed, missed clocks escalate their incident once (``escalated_at`` records that it happened), and
running clocks within a ``remind_before`` window get the reminder recorded in ``reminders_sent``.
A process that dies between two sweeps loses nothing: the next sweep sees the same documents.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from response import lifecycle, releases
from response.urgency import sync_urgency
from yuqing import places
from yuqing.clock import Duration, WorkCalendar, iso, parse_ts, to_local
from yuqing.config import Config
from yuqing.config.clocks import ClockRule
from yuqing.errors import InputError, StorageUnavailable, TransitionError, YuqingError
from yuqing.models import CLOCK_STATE_ZH, AuditEvent, Clock, Incident, stable_id
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

SWEEP_ACTOR = "system:clock-sweep"
_ESCALATION_WORKERS = 8


# -- opening -----------------------------------------------------------------------------------


def applicable_rules(incident: Incident, config: Config) -> list[ClockRule]:
    """The clock rules that apply to ``incident``; fallback rules only when no other rule does."""
    level = incident.severity.level if incident.severity else None

    def applies(rule: ClockRule) -> bool:
        a = rule.applies
        if a.trigger == "policy_document" and not incident.policy_document:
            return False
        if a.trigger == "board_message" and not incident.board_message:
            return False
        if a.levels and level not in a.levels:
            return False
        return not (a.priorities and not set(a.priorities) & set(incident.priorities))

    specific = [r for r in config.clocks.rules if not r.applies.fallback and applies(r)]
    if specific:
        return specific
    return [r for r in config.clocks.rules if r.applies.fallback and applies(r)]


def level_reached_at(incident: Incident, levels: Sequence[str]) -> dt.datetime | None:
    """When the incident entered ``levels`` (and stayed in them since), from its severity history."""
    if incident.severity is None:
        return None
    return incident.severity.level_since(levels)


def rule_duration(rule: ClockRule, config: Config, place: str | None) -> tuple[Duration, str | None]:
    """The rule's duration for ``place``: the nearest per-jurisdiction override walking up, else the default."""
    if place is not None and rule.by_jurisdiction:
        for code in places.ancestors(config.offices, place):
            if code in rule.by_jurisdiction:
                return rule.by_jurisdiction[code], code
    return rule.duration, None


def plan_clocks(incident: Incident, config: Config, calendar: WorkCalendar, *, owner: str,
                opened_at: dt.datetime, document_at: dt.datetime | None = None) -> list[Clock]:
    """The clocks ``incident`` should have. ``opened_at`` is its first appearance; ``document_at``
    the publication time of the policy document / board message it is about, when known. Clocks
    of a level (5 h / 24 h for I–II) open when the incident reached the level."""
    place = places.resolve_place(config.offices, incident.place_codes or
                                 [p.code for p in incident.places if p.code]).code
    result = []
    for rule in applicable_rules(incident, config):
        start = document_at if rule.applies.trigger != "incident" and document_at else opened_at
        if rule.applies.trigger == "incident" and rule.applies.levels:
            # A level's clocks run from the moment the incident reached that level: its first
            # appearance, or the later report whose figures raised it (the upgrade).
            start = max(start, level_reached_at(incident, rule.applies.levels) or start)
        duration, where = rule_duration(rule, config, place)
        result.append(Clock(
            id=stable_id(incident.id, rule.id), incident_id=incident.id, rule_id=rule.id, name_zh=rule.name_zh,
            opened_at=to_local(start), due_at=duration.add_to(to_local(start), calendar), owner_office=owner,
            met_by=",".join(rule.release_kinds), duration=str(duration), jurisdiction=where or place,
        ))
    return result


def open_clocks(store: Store, clocks: list[Clock], *, actor: str, now: dt.datetime) -> list[Clock]:
    """Create the clocks that do not exist yet (never resets one); returns those created."""
    if not clocks:
        return []
    existing = store.mget("clocks", [c.id for c in clocks])
    new = [c for c in clocks if c.id not in existing]
    if not new:
        return []
    result = store.bulk("clocks", [(c.id, c.to_doc()) for c in new], op="create")
    failed = {doc_id for doc_id, _ in result.failed}
    created = [c for c in new if c.id not in failed]
    _audit(store, [(c.id, "open", actor, now, f"开始计时：{c.name_zh}，时限至{iso(c.due_at)}", {}, {
        "state": "running", "due_at": iso(c.due_at), "owner_office": c.owner_office}) for c in created])
    if created:
        store.refresh("clocks")
        sync_urgency(store, {c.incident_id for c in created})
    return created


def waive(store: Store, clock_id: str, *, actor: str, now: dt.datetime, reason: str) -> Clock:
    """Waive a clock that is still owed (running, or missed without an answer), with the reason.

    This is how a miss leaves the console's 已超时 view without an answer: someone entitled to
    (the console lets duty officers and administrators) says why, and the audit log keeps who and why.
    """
    reason = reason.strip()
    if not actor.strip():
        raise InputError("豁免时限须记录操作人 / a waiver needs the name of who waives")
    if not reason:
        raise InputError("豁免时限须填写理由 / a waiver needs a reason")
    for _ in range(5):
        got = store.get_versioned("clocks", clock_id)
        if got is None:
            raise InputError(f"时限不存在：{clock_id} / no clock {clock_id!r}")
        doc, seq_no, term = got
        clock = Clock.from_doc(doc)
        if not (clock.state == "running" or (clock.state == "missed" and clock.met_at is None)):
            raise TransitionError(f"时限处于「{CLOCK_STATE_ZH[clock.state]}」状态，无需豁免 / "
                                  f"clock {clock_id} is {clock.state}: nothing to waive")
        partial = {"state": "waived", "waived_reason": reason, "waived_by": actor, "waived_at": iso(now)}
        try:
            store.put("clocks", clock_id, {**doc, **partial}, if_seq_no=seq_no, if_primary_term=term, refresh=True)
        except ConflictError:
            continue
        _audit(store, [(clock_id, "waive", actor, now, f"{clock.name_zh}：{reason}",
                        {"state": clock.state, "due_at": iso(clock.due_at)}, partial)])
        sync_urgency(store, [clock.incident_id], refresh=True)
        store.refresh("audit")
        return clock.model_copy(update={"state": "waived", "waived_reason": reason, "waived_by": actor,
                                        "waived_at": now})
    raise TransitionError(f"时限 {clock_id} 正被他人修改，请重试 / clock {clock_id} kept changing")


def _audit(store: Store, items: list[tuple[str, str, str, dt.datetime, str, dict[str, Any], dict[str, Any]]]) -> None:
    """Audit events for clocks, in one bulk write (the sweep may touch thousands)."""
    events = [AuditEvent(id=stable_id("clock", cid, action, actor, iso(at)), entity="clock", entity_id=cid,
                         action=action, actor=actor, at=at, reason=reason, before=before, after=after)
              for cid, action, actor, at, reason, before, after in items]
    if events:
        store.bulk("audit", [(e.id, e.to_doc()) for e in events])


# -- sweeping ----------------------------------------------------------------------------------


@dataclasses.dataclass
class SweepStats:
    met_by_release: int = 0  # clocks met by a release found just before their deadline was judged
    missed: int = 0  # running clocks past due, marked missed in this sweep
    escalated: int = 0  # incidents escalated because a clock was missed
    escalation_skipped: int = 0  # missed clocks whose incident was already escalated/closed
    reminders: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (clock id, remind_before)
    errors: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)  # per phase, for the bench

    def summary(self) -> str:
        return (f"met_by_release={self.met_by_release} missed={self.missed} escalated={self.escalated} "
                f"escalation_skipped={self.escalation_skipped} "
                f"reminders={len(self.reminders)} errors={sum(self.errors.values())}")


def remind_at(due: dt.datetime, before: Duration, calendar: WorkCalendar) -> dt.datetime:
    """When a reminder ``before`` the deadline is due (working days step back over the calendar)."""
    if not before.is_working_days:
        return due - before.as_timedelta()
    day, counted = due.date(), 0
    while counted < int(before.amount):
        day -= dt.timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return dt.datetime.combine(day, due.timetz())


def _max_lead(config: Config) -> dt.timedelta:
    """The widest reminder window of any rule (working days counted generously as calendar weeks)."""
    widest = dt.timedelta(0)
    for rule in config.clocks.rules:
        for before in rule.remind_before:
            span = (dt.timedelta(days=7 * (int(before.amount) // 5 + 1)) if before.is_working_days
                    else before.as_timedelta())
            widest = max(widest, span)
    return widest


def sweep(store: Store, config: Config, *, now: dt.datetime) -> SweepStats:
    """Mark missed clocks, escalate each missed clock's incident once, and record reminders due."""
    stats = SweepStats()
    store.refresh("clocks", "incidents")
    phases = (("releases", _detect_before_missing), ("missed", _mark_missed), ("escalate", _escalate),
              ("remind", _remind))
    for name, phase in phases:
        started = time.perf_counter()
        phase(store, config, now, stats)
        stats.seconds[name] = round(time.perf_counter() - started, 3)
    log.info("clock sweep at %s: %s", iso(now), stats.summary())
    return stats


def _detect_before_missing(store: Store, config: Config, now: dt.datetime, stats: SweepStats) -> None:
    """Look for releases of the incidents whose clocks are about to be marked missed, so an answer
    crawled since the last routing run counts before the deadline is judged."""
    query = {"bool": {"filter": [{"term": {"state": "running"}}, {"range": {"due_at": {"lte": iso(now)}}}]}}
    ids = {doc["incident_id"] for doc in store.scan("clocks", query, source=["incident_id"])}
    if not ids:
        return
    docs = store.mget("incidents", sorted(ids))
    incidents = []
    for doc in docs.values():
        try:
            incidents.append(Incident.from_doc(doc))
        except ValueError:
            stats.errors["unreadable incident"] = stats.errors.get("unreadable incident", 0) + 1
    _, met = releases.detect_releases(store, config, incidents, now=now)
    stats.met_by_release += met


def _mark_missed(store: Store, config: Config, now: dt.datetime, stats: SweepStats) -> None:
    query = {"bool": {"filter": [{"term": {"state": "running"}}, {"range": {"due_at": {"lte": iso(now)}}}]}}
    updates: list[tuple[str, dict[str, Any]]] = []
    events: list[tuple[str, str, str, dt.datetime, str, dict[str, Any], dict[str, Any]]] = []
    for doc in store.scan("clocks", query, source=["id", "due_at", "name_zh", "owner_office"]):
        updates.append((doc["id"], {"state": "missed", "missed_at": doc["due_at"]}))
        events.append((doc["id"], "missed", SWEEP_ACTOR, now, f"超过时限（{doc['due_at']}）未完成：{doc['name_zh']}",
                       {"state": "running"}, {"state": "missed", "missed_at": doc["due_at"]}))
    if updates:
        result = store.bulk("clocks", updates, op="update", refresh=True)
        for _, reason in result.failed:
            stats.errors[reason[:80]] = stats.errors.get(reason[:80], 0) + 1
        stats.missed += result.ok
        _audit(store, events)


def _escalate(store: Store, config: Config, now: dt.datetime, stats: SweepStats) -> None:
    # Missed and not yet escalated; a clock answered late (met_at set) is recorded, not escalated.
    query = {"bool": {"filter": [{"term": {"state": "missed"}}],
                      "must_not": [{"exists": {"field": "escalated_at"}}, {"exists": {"field": "met_at"}}]}}
    by_incident: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for doc in store.scan("clocks", query, source=["id", "incident_id", "name_zh", "due_at"]):
        by_incident[doc["incident_id"]].append(doc)
    if not by_incident:
        return
    incidents = store.mget("incidents", list(by_incident))
    allowed = lifecycle.TRANSITIONS["escalate"][0]

    def escalate(incident_id: str) -> str | None:
        """Escalate one incident; returns an error kind, or None when it worked."""
        names = "、".join(c["name_zh"] for c in by_incident[incident_id])
        try:
            lifecycle.apply(store, config, incident_id, "escalate", actor=SWEEP_ACTOR, now=now,
                            reason=f"时限已超时：{names}", refresh=False, audit_sink=incident_events)
        except StorageUnavailable:
            raise
        except YuqingError as exc:  # e.g. the state changed meanwhile: counted, retried next sweep
            log.warning("escalating incident %s failed: %s", incident_id, exc)
            return type(exc).__name__
        return None

    incident_events: list[AuditEvent] = []  # list.append is atomic: safe from the worker threads
    to_escalate = [i for i in by_incident if (incidents.get(i) or {}).get("state") in allowed]
    # Each escalation is a conditional write plus an audit event; a few in parallel keep a burst of
    # missed clocks (say after an outage) from taking minutes.
    with ThreadPoolExecutor(max_workers=_ESCALATION_WORKERS) as pool:
        outcomes = dict(zip(to_escalate, pool.map(escalate, to_escalate), strict=True))
    if incident_events:
        store.bulk("audit", [(e.id, e.to_doc()) for e in incident_events])
    if to_escalate:
        store.refresh("incidents", "audit")
    done: list[tuple[str, dict[str, Any]]] = []
    events: list[tuple[str, str, str, dt.datetime, str, dict[str, Any], dict[str, Any]]] = []
    for incident_id, clocks in by_incident.items():
        if incident_id in outcomes:
            error = outcomes[incident_id]
            if error is not None:
                stats.errors[error] = stats.errors.get(error, 0) + 1
                continue
            stats.escalated += 1
            note = "事件已升级"
        else:
            stats.escalation_skipped += len(clocks)
            state = (incidents.get(incident_id) or {}).get("state")
            note = f"事件状态为{state or '不存在'}，不再重复升级"
        for c in clocks:
            done.append((c["id"], {"escalated_at": iso(now)}))
            events.append((c["id"], "escalate", SWEEP_ACTOR, now, f"{c['name_zh']}超时：{note}",
                           {}, {"escalated_at": iso(now)}))
    store.bulk("clocks", done, op="update", refresh=True)
    _audit(store, events)


def _remind(store: Store, config: Config, now: dt.datetime, stats: SweepStats) -> None:
    lead = _max_lead(config)
    if lead <= dt.timedelta(0):
        return
    rules = {r.id: r for r in config.clocks.rules}
    calendar = config.work_calendar()
    query = {"bool": {"filter": [{"term": {"state": "running"}},
                                 {"range": {"due_at": {"gt": iso(now), "lte": iso(now + lead)}}}]}}
    updates = []
    for doc in store.scan("clocks", query, source=["id", "rule_id", "due_at", "reminders_sent"]):
        rule = rules.get(doc["rule_id"])
        due = parse_ts(doc["due_at"])
        if rule is None or due is None:
            continue
        sent = list(doc.get("reminders_sent") or [])
        fresh = [str(b) for b in sorted(rule.remind_before, key=lambda b: remind_at(due, b, calendar))
                 if remind_at(due, b, calendar) <= now and str(b) not in sent]
        if fresh:
            updates.append((doc["id"], {"reminders_sent": sent + fresh, "last_reminder_at": iso(now)}))
            stats.reminders.append((doc["id"], fresh[-1]))
    if updates:
        store.bulk("clocks", updates, op="update", refresh=True)
