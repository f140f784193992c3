"""Alert rules: read incidents, clocks, mentions and source health from Elasticsearch and say which
alerts hold at ``now``.

An :class:`Alert` is identified by its *key*, the unit of suppression:

- ``incident:<id>:<state>`` — every incident rule (``new_incident``, ``priority_hit``) that matches
  the incident in its current state contributes to the same alert, so an incident alerts once per
  state change whatever the number of matching rules (their recipients are merged);
- ``clock:<id>:due:<remind_before>`` and ``clock:<id>:missed``;
- ``spike:<mentions|negative>:<incident|place>:<id>``;
- ``incident:<id>:upgrade:<level>`` — a later report's figures raised the level (``level_upgrade``);
- ``source:<id>:<silent|failing|login>``;
- ``hotlist:<source id>:<entry key>:entered`` and ``hotlist:<source id>:<entry key>:top<N>`` — an entry
  that touches a priority or a place entered a hot list, or climbed into its top N;
- ``calendar:<year>:missing`` — next year's holiday data is missing (from 1 November).

Rules only describe what holds now; :mod:`alerts.suppression` decides what is sent.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from typing import Any

from yuqing import labels, links, places
from yuqing.clock import Duration, iso, parse_ts
from yuqing.config import Config
from yuqing.config.alerts import AlertRule
from yuqing.models import (
    ROUTE_ASK_ZH,
    ROUTE_ROLE_ZH,
    SEVERITY_RANK,
    SEVERITY_ZH,
    STATE_ZH,
    Clock,
    Incident,
    Routing,
    SourceHealth,
    unresolved_clock_filter,
)
from yuqing.paths import PROJECT_ROOT
from yuqing.storage import Store

log = logging.getLogger(__name__)

INCIDENT_KINDS = ("new_incident", "priority_hit")
# A routed office's own alert holds while the incident awaits an answer.
ROUTED_STATES = ("new", "assigned", "acknowledged", "responding", "escalated")
ACKNOWLEDGED_STATES = ("acknowledged", "responding", "released", "closed", "dismissed")
OPEN_STATES = ("new", "assigned", "escalated")

KIND_ZH = labels.ALERT_KIND_ZH


@dataclasses.dataclass
class Alert:
    key: str
    kind: str
    rule_ids: list[str]
    roles: list[str]
    offices: list[str]  # the owning offices (recipients are looked up there, plus the duty desk)
    channels: list[str] = dataclasses.field(default_factory=list)  # restrict to these channels
    level: str | None = None
    incident_id: str | None = None
    clock_id: str | None = None
    source_id: str | None = None
    acknowledged: bool = False  # the owner already acknowledged: no ladder, no repeats
    laddered: bool = False  # the escalation ladder applies
    # A routed office's own alert (配合/通报/会商): its roles are looked up in that office only, never
    # at the duty desk, which the owning office's alert already reaches.
    own_office_only: bool = False
    facts: dict[str, Any] = dataclasses.field(default_factory=dict)

    def merge(self, rule: AlertRule, reason: str | None) -> None:
        if rule.id not in self.rule_ids:
            self.rule_ids.append(rule.id)
        self.roles.extend(r for r in rule.recipients if r not in self.roles)
        if not self.own_office_only:
            self.offices.extend(o for o in rule.offices if o not in self.offices)
        self.channels.extend(c for c in rule.channels if c not in self.channels)
        if reason and reason not in self.facts.setdefault("reasons", []):
            self.facts["reasons"].append(reason)


def span(d: Duration) -> dt.timedelta:
    """A duration as a fixed span (working days count as calendar days: used for look-backs only)."""
    return dt.timedelta(days=d.amount) if d.is_working_days else d.as_timedelta()


def level_at_least(level: str | None, minimum: str | None) -> bool:
    if minimum is None:
        return True
    return level is not None and SEVERITY_RANK[level] >= SEVERITY_RANK[minimum]


def _fmt_time(value: dt.datetime | None) -> str:
    return "" if value is None else parse_ts(value).strftime("%m-%d %H:%M")  # type: ignore[union-attr]


def remaining_zh(due: dt.datetime, now: dt.datetime) -> str:
    seconds = int((due - now).total_seconds())
    sign = "剩余" if seconds >= 0 else "已超时"
    seconds = abs(seconds)
    hours, minutes = divmod(seconds // 60, 60)
    if hours >= 48:
        return f"{sign}{hours // 24}天{hours % 24}小时"
    return f"{sign}{hours}小时{minutes}分钟" if hours else f"{sign}{minutes}分钟"


def office_name(config: Config, office_id: str | None) -> str:
    return places.office_name(config.offices, office_id, "待交办")


def owning_office(incident: Incident) -> str | None:
    if incident.assigned_office:
        return incident.assigned_office
    return incident.routing.lead_office if incident.routing else None


def place_zh(config: Config, incident: Incident) -> str:
    names: list[str] = []
    for place in incident.places:
        label = "".join(p for p in (place.province, place.city, place.district) if p)
        if not label and place.code:
            label = places.place_name(config.offices, place.code)
        if label and label not in names:
            names.append(label)
    if not names:
        names = [places.place_name(config.offices, c) for c in incident.place_codes if c]
    return "、".join(names[:3]) or "未识别"


def clock_facts(config: Config, clock: Clock, now: dt.datetime) -> dict[str, Any]:
    """The clock a message names. A missed one says so: which deadline, how long overdue, whose."""
    facts: dict[str, Any] = {"name_zh": clock.name_zh, "due_at": iso(clock.due_at), "due_zh": _fmt_time(clock.due_at),
             "remaining_zh": remaining_zh(clock.due_at, now), "state": clock.state,
             "owner_office": clock.owner_office, "owner_zh": office_name(config, clock.owner_office)}
    if clock.is_overdue(now):
        facts["overdue"] = True
    return facts


def incident_facts(config: Config, incident: Incident, clock: Clock | None, now: dt.datetime) -> dict[str, Any]:
    level = incident.severity.level if incident.severity else None
    office = owning_office(incident)
    facts: dict[str, Any] = {
        "incident_id": incident.id,
        "title": incident.title,
        "summary": incident.summary[:300],
        "level": level,
        "level_zh": f"{SEVERITY_ZH[level]}（{level}级）" if level else "未定级",
        "state_zh": STATE_ZH.get(incident.state, incident.state),
        "place_zh": place_zh(config, incident),
        "office_id": office,
        "office_zh": office_name(config, office),
        "mentions": incident.mention_count,
        "negative_share": round(incident.negative_share, 2),
        "first_seen_zh": _fmt_time(incident.first_seen_at),
        "url": links.incident_url(config, incident.id),
        "reasons": [],
    }
    if clock is not None:
        facts["clock"] = clock_facts(config, clock, now)
    if office and incident.routing:
        facts.update(duty_facts(incident.routing, office, owner=True))
    return facts


def duty_facts(routing: Routing, office_id: str, *, owner: bool = False) -> dict[str, Any]:
    """What ``office_id`` is in this incident and what it is asked to do (``duty_zh``), e.g.
    ``配合单位：配合提供情况；会商单位：参加会商``. The owning office leads whatever routing said."""
    roles = routing.roles_of(office_id)
    if owner:
        roles = ["lead", *(r for r in roles if r not in ("lead", "supporting"))]
    return {"route_roles": roles,
            "duty_zh": "；".join(f"{ROUTE_ROLE_ZH[r]}：{ROUTE_ASK_ZH[r]}" for r in roles),
            "ask_zh": "、".join(ROUTE_ASK_ZH[r] for r in roles)}


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(store: Store, config: Config, now: dt.datetime) -> list[Alert]:
    """Every alert that holds at ``now``, merged by key."""
    cutoff = now - span(config.alerts.lookback)
    alerts: dict[str, Alert] = {}
    incidents = _load_incidents(store, cutoff)
    clocks_by_incident = _owed_clocks(store, list(incidents))
    rules = config.alerts.rules

    def add(key: str, rule: AlertRule, alert: Alert, reason: str | None = None) -> None:
        alerts.setdefault(key, alert).merge(rule, reason)

    for incident in incidents.values():
        level = incident.severity.level if incident.severity else None
        for rule in rules:
            if rule.kind not in INCIDENT_KINDS or incident.state not in rule.states:
                continue
            if not level_at_least(level, rule.min_level):
                continue
            reason: str | None = None
            if rule.kind == "priority_hit":
                hits = [p for p in incident.priorities if p in rule.priorities] if rule.priorities else []
                if not hits:
                    continue
                reason = "命中收集重点：" + "、".join(config.priorities.name_of(p) for p in hits)
            elif rule.kind == "new_incident" and level:
                reason = f"{SEVERITY_ZH[level]}事件"
            key = f"incident:{incident.id}:{incident.state}"
            clocks = clocks_by_incident.get(incident.id, [])
            if key in alerts:
                alerts[key].merge(rule, reason)
                continue
            inc, cl, lv = incident, clocks, level
            add(key, rule, Alert(
                key=key, kind=rule.kind, rule_ids=[], roles=[],
                offices=[o for o in [owning_office(inc)] if o], level=lv, incident_id=inc.id,
                acknowledged=inc.acknowledged_at is not None or inc.state in ACKNOWLEDGED_STATES,
                laddered=True,
                facts={**incident_facts(config, inc, cl[0] if cl else None, now), "kind": "new_incident",
                       "headline_zh": f"{'新发' if inc.state == 'new' else STATE_ZH.get(inc.state, '')}舆情事件"},
            ), reason)

    _evaluate_routed_offices(config, now, incidents, clocks_by_incident, alerts)
    _evaluate_clocks(store, config, now, cutoff, incidents, alerts, add)
    _evaluate_upgrades(config, now, cutoff, incidents, add)
    _evaluate_spikes(store, config, now, incidents, alerts, add)
    _evaluate_sources(store, config, now, cutoff, alerts, add)
    _evaluate_hotlists(store, config, now, cutoff, add)
    _evaluate_calendar(config, now, add)
    return list(alerts.values())


def _evaluate_hotlists(store: Store, config: Config, now: dt.datetime, cutoff: dt.datetime, add: Any) -> None:
    """``hotlist_entered``: a relevant entry's first appearance on a list is within the lookback;
    ``hotlist_top``: its latest rank is within the top N (``threshold``, default 10) and it was first
    seen outside it (or entered straight into it). ``priorities`` restricts both to those priorities."""
    rules = [r for r in config.alerts.rules if r.kind in ("hotlist_entered", "hotlist_top")]
    if not rules:
        return
    recent = store.find("hotlist", {"bool": {"filter": [
        {"term": {"relevant": True}}, {"range": {"at": {"gte": iso(cutoff), "lte": iso(now)}}}]}},
        sort=[{"at": "asc"}])
    if not recent:
        return
    by_entry: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for doc in recent:
        by_entry.setdefault((doc["source_id"], doc["key"]), []).append(doc)
    keys = sorted({k for _, k in by_entry})
    earlier = {(d["source_id"], d["key"]) for d in store.find("hotlist", {"bool": {"filter": [
        {"terms": {"key": keys}}, {"range": {"at": {"lt": iso(cutoff)}}}]}})}
    names = {s.id: s.name for s in config.sources.sources}
    for (source_id, key), docs in by_entry.items():
        latest, first = docs[-1], docs[0]
        list_name = str(names.get(source_id, source_id))
        for rule in rules:
            if rule.priorities and not set(rule.priorities) & set(latest.get("priorities") or []):
                continue
            if rule.kind == "hotlist_entered":
                if (source_id, key) in earlier:
                    continue
                alert_key = f"hotlist:{source_id}:{key}:entered"
                reason = f"{_fmt_time(parse_ts(first['at']))}登上{list_name}，第{first['rank']}位"
            else:
                top = int(rule.threshold) if rule.threshold is not None else 10
                if latest["rank"] > top or ((source_id, key) in earlier and len(docs) == 1):
                    continue
                was_outside = any(d["rank"] > top for d in docs[:-1]) or len(docs) == 1
                if not was_outside:
                    continue
                alert_key = f"hotlist:{source_id}:{key}:top{top}"
                reason = f"升至{list_name}第{latest['rank']}位（前{top}）"
            heat = f"，热度{latest['heat']}" if latest.get("heat") else ""
            add(alert_key, rule, Alert(
                key=alert_key, kind=rule.kind, rule_ids=[], roles=[], offices=[], source_id=source_id,
                facts={"kind": rule.kind, "headline_zh": KIND_ZH[rule.kind], "title": latest["title"],
                       "source_id": source_id, "place_zh": "", "office_zh": "", "level": None,
                       "level_zh": "热榜", "url": latest.get("url") or "", "reasons": [],
                       "rank": latest["rank"], "heat": latest.get("heat"),
                       "terms": latest.get("terms") or []},
            ), reason + heat + ("；涉及：" + "、".join(latest.get("terms") or []) if latest.get("terms") else ""))


def _evaluate_routed_offices(config: Config, now: dt.datetime, incidents: dict[str, Incident],
                             clocks_by_incident: dict[str, list[Clock]], alerts: dict[str, Alert]) -> None:
    """Every office routing names besides the owner — supporting (配合), notified (通报) and 会商
    offices — gets an alert of its own, saying its part and what is asked of it.

    The incident rules decide whether an incident alerts at all (level, priorities) and which roles
    hear of it; the roles are looked up in that office. The key is per office (not per incident
    state), so the office's alert climbs the ladder until that office acknowledges it, whatever the
    owner does; it stops holding once the incident is released, closed or dismissed.
    """
    for incident in incidents.values():
        if incident.routing is None or incident.state not in ROUTED_STATES:
            continue
        owner = owning_office(incident)
        others = [o for o in incident.routing.routed_offices() if o != owner]
        if not others:
            continue
        level = incident.severity.level if incident.severity else None
        matching = [r for r in config.alerts.rules if r.kind in INCIDENT_KINDS and level_at_least(level, r.min_level)
                    and (r.kind != "priority_hit" or set(r.priorities) & set(incident.priorities))]
        if not matching:
            continue
        clocks = clocks_by_incident.get(incident.id, [])
        base = incident_facts(config, incident, clocks[0] if clocks else None, now)
        for office in others:
            duty = duty_facts(incident.routing, office)
            key = f"incident:{incident.id}:office:{office}"
            alert = alerts.setdefault(key, Alert(
                key=key, kind="routed_office", rule_ids=[], roles=[], offices=[office], level=level,
                incident_id=incident.id, laddered=True, own_office_only=True,
                facts={**base, **duty, "kind": "routed_office", "recipient_office_id": office,
                       "recipient_office_zh": office_name(config, office), "headline_zh": f"请{duty['ask_zh']}"},
            ))
            for rule in matching:
                alert.merge(rule, None)


def _load_incidents(store: Store, cutoff: dt.datetime) -> dict[str, Incident]:
    query = {"bool": {"should": [
        {"range": {"updated_at": {"gte": iso(cutoff)}}},
        {"bool": {"filter": [{"terms": {"state": list(OPEN_STATES)}}],
                  "must_not": [{"exists": {"field": "acknowledged_at"}}]}},
    ], "minimum_should_match": 1}}
    out: dict[str, Incident] = {}
    for doc in store.scan("incidents", query):
        try:
            incident = Incident.from_doc(doc)
        except ValueError as exc:
            log.warning("skipping unreadable incident %s: %s", doc.get("id"), exc)
            continue
        out[incident.id] = incident
    return out


def _owed_clocks(store: Store, incident_ids: list[str]) -> dict[str, list[Clock]]:
    """Each incident's clocks still owed, most urgent first: an unanswered miss (the oldest first)
    comes before the next running deadline, so an escalation names what was missed."""
    out: dict[str, list[Clock]] = {}
    if not incident_ids:
        return out
    for start in range(0, len(incident_ids), 1000):
        chunk = incident_ids[start:start + 1000]
        docs = store.find("clocks", {"bool": {"filter": [{"terms": {"incident_id": chunk}},
                                                         unresolved_clock_filter()]}},
                          sort=[{"due_at": "asc"}])
        for doc in docs:
            clock = Clock.from_doc(doc)
            out.setdefault(clock.incident_id, []).append(clock)
    return out


def _evaluate_clocks(store: Store, config: Config, now: dt.datetime, cutoff: dt.datetime,
                     incidents: dict[str, Incident], alerts: dict[str, Alert], add: Any) -> None:
    clock_rules = [r for r in config.alerts.rules if r.kind in ("clock_due_soon", "clock_missed")]
    if not clock_rules:
        return
    query = {"bool": {"should": [
        {"term": {"state": "running"}},
        {"bool": {"filter": [{"term": {"state": "missed"}}, {"range": {"due_at": {"gte": iso(cutoff)}}}]}},
    ], "minimum_should_match": 1}}
    clocks = [Clock.from_doc(d) for d in store.scan("clocks", query)]
    missing = [c.incident_id for c in clocks if c.incident_id not in incidents]
    for doc in store.mget("incidents", missing).values():
        incidents[doc["id"]] = Incident.from_doc(doc)
    remind = {r.id: r.remind_before for r in config.clocks.rules}
    for clock in clocks:
        incident = incidents.get(clock.incident_id)
        if incident is None or incident.state in ("closed", "dismissed"):
            continue
        level = incident.severity.level if incident.severity else None
        missed = clock.state == "missed" or (clock.state == "running" and clock.due_at <= now)
        base = incident_facts(config, incident, clock, now)
        base["office_id"] = clock.owner_office
        base["office_zh"] = office_name(config, clock.owner_office)
        for rule in clock_rules:
            if not level_at_least(level, rule.min_level):
                continue
            if rule.kind == "clock_missed" and missed:
                key = f"clock:{clock.id}:missed"
                headline = "时限已超期"
            elif rule.kind == "clock_due_soon" and not missed and clock.state == "running":
                threshold = _passed_reminder(clock, remind.get(clock.rule_id, []), now)
                if threshold is None:
                    continue
                key = f"clock:{clock.id}:due:{threshold}"
                headline = "时限即将到期"
            else:
                continue
            add(key, rule, Alert(
                key=key, kind=rule.kind, rule_ids=[], roles=[], offices=[clock.owner_office], level=level,
                incident_id=incident.id, clock_id=clock.id,
                acknowledged=False, laddered=False,
                facts={**base, "kind": rule.kind, "headline_zh": headline},
            ), f"{clock.name_zh}：{remaining_zh(clock.due_at, now)}")


def _passed_reminder(clock: Clock, remind_before: list[Duration], now: dt.datetime) -> str | None:
    """The smallest reminder threshold already passed (a marked reminder counts as passed)."""
    candidates: list[tuple[dt.timedelta, str]] = []
    for d in remind_before:
        if now >= clock.due_at - span(d):
            candidates.append((span(d), str(d)))
    for marked in clock.reminders_sent:
        try:
            d = Duration.parse(marked)
        except ValueError:
            continue
        candidates.append((span(d), str(d)))
    if not candidates:
        return None
    return min(candidates)[1]


def _evaluate_upgrades(config: Config, now: dt.datetime, cutoff: dt.datetime, incidents: dict[str, Incident],
                       add: Any) -> None:
    """``level_upgrade``: the incident's level rose after it appeared (its severity history) within the
    look-back, and it still stands at that level or above; one alert per level reached."""
    rules = [r for r in config.alerts.rules if r.kind == "level_upgrade"]
    if not rules:
        return
    for incident in incidents.values():
        sev = incident.severity
        if sev is None or incident.state in ("closed", "dismissed"):
            continue
        for change in sev.history:
            if change.previous is None or SEVERITY_RANK[change.level] <= SEVERITY_RANK[change.previous]:
                continue
            if not (cutoff <= change.at <= now) or SEVERITY_RANK[sev.level] < SEVERITY_RANK[change.level]:
                continue
            key = f"incident:{incident.id}:upgrade:{change.level}"
            reason = (f"级别由{SEVERITY_ZH[change.previous]}（{change.previous}级）上调为{SEVERITY_ZH[change.level]}"
                      f"（{change.level}级）：{change.reason}")
            for rule in rules:
                if not level_at_least(change.level, rule.min_level):
                    continue
                add(key, rule, Alert(
                    key=key, kind=rule.kind, rule_ids=[], roles=[],
                    offices=[o for o in [owning_office(incident)] if o], level=change.level,
                    incident_id=incident.id, acknowledged=False, laddered=False,
                    facts={**incident_facts(config, incident, None, now), "kind": rule.kind,
                           "headline_zh": KIND_ZH["level_upgrade"]},
                ), reason)


def _evaluate_spikes(store: Store, config: Config, now: dt.datetime, incidents: dict[str, Incident],
                     alerts: dict[str, Alert], add: Any) -> None:
    for rule in config.alerts.rules:
        if rule.kind not in ("mention_spike", "negative_spike"):
            continue
        window = (rule.window or Duration(1, "hours")).as_timedelta()
        start, mid = now - 2 * window, now - window
        sub = {
            "cur": {"filter": {"range": {"crawled_at": {"gte": iso(mid), "lte": iso(now)}}},
                    "aggs": {"neg": {"filter": {"term": {"sentiment.label": "negative"}}}}},
            "prev": {"filter": {"range": {"crawled_at": {"lt": iso(mid)}}},
                     "aggs": {"neg": {"filter": {"term": {"sentiment.label": "negative"}}}}},
        }
        resp = store.search("mentions", size=0, track_total_hits=False,
                            query={"range": {"crawled_at": {"gte": iso(start), "lte": iso(now)}}},
                            aggs={"incident": {"terms": {"field": "incident_id", "size": 500}, "aggs": sub},
                                  "place": {"terms": {"field": "place.code", "size": 500}, "aggs": sub}})
        aggs = resp.get("aggregations", {})
        for scope in ("incident", "place"):
            for bucket in aggs.get(scope, {}).get("buckets", []):
                cur, prev = bucket["cur"]["doc_count"], bucket["prev"]["doc_count"]
                if cur < rule.min_count:
                    continue
                share = bucket["cur"]["neg"]["doc_count"] / cur
                prev_share = bucket["prev"]["neg"]["doc_count"] / prev if prev else 0.0
                if rule.kind == "mention_spike":
                    threshold = rule.threshold or 3.0
                    if cur < threshold * max(prev, 1):
                        continue
                    reason = f"近{(rule.window or Duration(1, 'hours')).describe_zh()}信息{cur}条，前一时段{prev}条"
                    tag = "mentions"
                else:
                    threshold = rule.threshold or 0.6
                    if share < threshold or prev_share >= threshold:
                        continue
                    reason = f"负面占比{share:.0%}（前一时段{prev_share:.0%}）"
                    tag = "negative"
                ident = str(bucket["key"])
                key = f"spike:{tag}:{scope}:{ident}"
                facts: dict[str, Any]
                incident = incidents.get(ident) if scope == "incident" else None
                if scope == "incident" and incident is None:
                    doc = store.get("incidents", ident)
                    incident = Incident.from_doc(doc) if doc else None
                if scope == "incident":
                    if incident is None:
                        continue
                    facts = incident_facts(config, incident, None, now)
                    offices = [o for o in [owning_office(incident)] if o]
                    level = incident.severity.level if incident.severity else None
                else:
                    office = places.place_government(config.offices, ident).id
                    offices = [office]
                    level = None
                    place = places.place_name(config.offices, ident)
                    facts = {"title": f"{place}相关舆情", "place_zh": place, "office_id": office,
                             "office_zh": office_name(config, office), "level": None, "level_zh": "未定级",
                             "url": links.queue_url(config, place=ident), "reasons": []}
                if not level_at_least(level, rule.min_level):
                    continue
                add(key, rule, Alert(
                    key=key, kind=rule.kind, rule_ids=[], roles=[], offices=list(offices), level=level,
                    incident_id=incident.id if incident else None,
                    facts={**facts, "kind": rule.kind, "headline_zh": KIND_ZH[rule.kind]},
                ), reason)


def _evaluate_sources(store: Store, config: Config, now: dt.datetime, cutoff: dt.datetime,
                      alerts: dict[str, Alert], add: Any) -> None:
    source_rules = [r for r in config.alerts.rules if r.kind in ("source_silent", "source_failing", "source_login")]
    if not source_rules:
        return
    latest: dict[str, SourceHealth] = {}
    for doc in store.find("source_health", {"range": {"finished_at": {"gte": iso(cutoff)}}},
                          sort=[{"finished_at": "desc"}]):
        health = SourceHealth.from_doc(doc)
        latest.setdefault(health.source_id, health)
    names = {s.id: s.name for s in config.sources.sources}
    for source_id, health in latest.items():
        for rule in source_rules:
            if rule.kind == "source_silent":
                window = (rule.window or Duration(24, "hours")).as_timedelta()
                last_ok = health.last_success_at
                silent = health.status == "silent" or (
                    last_ok is not None and health.items_new == 0 and now - last_ok >= window)
                if not silent:
                    continue
                reason = f"最近成功采集：{_fmt_time(last_ok) or '无'}"
            elif rule.kind == "source_login":
                if health.status != "login_required":
                    continue
                reason = "返回了登录页面而非内容：登录凭据（Cookie）可能已过期，请在连接配置中更新"
            else:
                if health.status == "login_required" and any(r.kind == "source_login" for r in source_rules):
                    continue  # the login alert says why
                threshold = rule.threshold if rule.threshold is not None else 0.5
                if not (health.status == "failing" or health.error_rate >= threshold):
                    continue
                top = sorted(health.failure_reasons.items(), key=lambda kv: -kv[1])[:3]
                reason = f"错误率{health.error_rate:.0%}" + (
                    "（" + "、".join(f"{k}×{v}" for k, v in top) + "）" if top else "")
            key = f"source:{source_id}:{rule.kind.removeprefix('source_')}"
            name = str(names.get(source_id, source_id))
            add(key, rule, Alert(
                key=key, kind=rule.kind, rule_ids=[], roles=[], offices=[], source_id=source_id,
                facts={"kind": rule.kind, "headline_zh": KIND_ZH[rule.kind], "title": name, "source_id": source_id,
                       "place_zh": "", "office_zh": "", "level": None, "level_zh": "系统",
                       "url": links.source_url(config, source_id), "reasons": []},
            ), reason)


def _evaluate_calendar(config: Config, now: dt.datetime, add: Any) -> None:
    """Next year's holidays are not known yet (neither the package nor config/calendar.yaml): the
    duty desk must enter the State Council's notice before working-day deadlines reach that year."""
    rules = [r for r in config.alerts.rules if r.kind == "calendar_missing"]
    if not rules:
        return
    year = config.work_calendar().missing_next_year(now=now, from_month_day=config.calendar.alert_from)
    if year is None:
        return
    where = config.directory / "calendar.yaml"
    with contextlib.suppress(ValueError):
        where = where.relative_to(PROJECT_ROOT)
    key = f"calendar:{year}:missing"
    for rule in rules:
        add(key, rule, Alert(
            key=key, kind=rule.kind, rule_ids=[], roles=[], offices=[],
            facts={"kind": rule.kind, "headline_zh": KIND_ZH[rule.kind],
                   "title": f"{year}年节假日安排未配置，请录入 {where}",
                   "place_zh": "", "office_zh": "", "level": None, "level_zh": "系统",
                   "url": links.console_home(config), "reasons": []},
        ), f"国务院办公厅{year}年节假日安排录入后，在 covered_years 中加入 {year}")
