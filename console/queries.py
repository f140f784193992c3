"""The console's read side: paginated queue queries and the pieces of an incident's detail page.

Every query is bounded (a page of incidents, the clocks and deliveries of that page only), so the
queue stays fast with tens of thousands of open incidents. Office staff get their office filter
added here, in one place, for the pages and the API alike.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from console.auth import User, office_query
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.errors import StorageUnavailable, YuqingError
from yuqing.models import (
    AuditEvent,
    Clock,
    Delivery,
    Incident,
    Mention,
    Release,
    SourceHealth,
    unresolved_clock_filter,
)
from yuqing.storage import Store

log = logging.getLogger(__name__)

OPEN_STATES = ("new", "assigned", "acknowledged", "responding", "released", "escalated")
PAGE_SIZE = 50
MAX_PAGE = 200  # 200 × 50 = the 10,000-hit result window
SORTS = {
    # "Most urgent first": the oldest unanswered miss, then the nearest deadline (urgent_due_at, kept
    # by the response package), then severity I before IV (keyword order I < II < III < IV), newest.
    "urgent": [{"urgent_due_at": {"order": "asc", "missing": "_last"}},
               {"severity.level": {"order": "asc", "missing": "_last"}}, {"last_seen_at": "desc"}, {"id": "asc"}],
    "newest": [{"last_seen_at": "desc"}, {"id": "asc"}],
}


@dataclasses.dataclass(frozen=True)
class QueueFilter:
    severity: str = ""
    priority: str = ""
    place: str = ""
    office: str = ""
    state: str = "open"  # "open", "all" or one state
    q: str = ""
    sort: str = "urgent"
    page: int = 1

    def params(self, **override: Any) -> dict[str, Any]:
        values = {**dataclasses.asdict(self), **override}
        return {k: v for k, v in values.items() if v not in ("", None) and not (k == "page" and v == 1)}


def place_query(code: str, field: str = "place_codes") -> dict[str, Any]:
    """Incidents (or, with ``field``, mentions) in a place or any place under it (530000 → 53xxxx,
    530100 → 5301xx)."""
    if len(code) == 6 and code.endswith("0000"):
        return {"prefix": {field: code[:2]}}
    if len(code) == 6 and code.endswith("00"):
        return {"prefix": {field: code[:4]}}
    return {"term": {field: code}}


def incident_query(user: User, f: QueueFilter) -> dict[str, Any]:
    must: list[dict[str, Any]] = []
    if not user.sees_everything and user.office:
        must.append(office_query(user.office))
    if f.severity:
        must.append({"term": {"severity.level": f.severity}})
    if f.priority:
        must.append({"bool": {"should": [{"term": {"priorities": f.priority}}, {"term": {"subtopics": f.priority}}],
                              "minimum_should_match": 1}})
    if f.place:
        must.append(place_query(f.place))
    if f.office:
        must.append(office_query(f.office, include_supporting=False))
    if f.state == "open":
        must.append({"terms": {"state": list(OPEN_STATES)}})
    elif f.state and f.state != "all":
        must.append({"term": {"state": f.state}})
    if f.q:
        must.append({"match": {"title": {"query": f.q, "operator": "and"}}})
    return {"bool": {"filter": must}} if must else {"match_all": {}}


@dataclasses.dataclass
class QueueRow:
    incident: Incident
    clocks: list[Clock]  # clocks still owed (running, or missed without an answer), most urgent first

    @property
    def next_clock(self) -> Clock | None:
        return self.clocks[0] if self.clocks else None


@dataclasses.dataclass
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int
    pages: int


# Only the fields a queue row shows (plus the ones an Incident requires): less to fetch and parse.
_QUEUE_SOURCE = [
    "id", "title", "first_seen_at", "last_seen_at", "first_mention_id", "created_at", "updated_at",
    "mention_count", "place_codes", "priorities", "severity.level", "severity.score", "state", "assigned_office",
    "routing.lead_office", "routing.supporting_offices", "routing.rule_id", "routing.reason_zh", "routing.routed_at",
    "urgent_due_at",
]


def incident_queue(store: Store, user: User, f: QueueFilter, *, page_size: int = PAGE_SIZE) -> QueuePage:
    page = min(max(f.page, 1), MAX_PAGE)
    resp = store.search("incidents", query=incident_query(user, f), size=page_size,
                        from_=(page - 1) * page_size, sort=SORTS.get(f.sort, SORTS["urgent"]),
                        source=_QUEUE_SOURCE)
    incidents = [Incident.from_doc(h["_source"]) for h in resp["hits"]["hits"]]
    total = int(resp["hits"]["total"]["value"])
    clocks = owed_clocks_for(store, [i.id for i in incidents])
    rows = [QueueRow(i, clocks.get(i.id, [])) for i in incidents]
    pages = max(1, min(MAX_PAGE, -(-total // page_size)))
    return QueuePage(rows, total, page, pages)


def owed_clocks_for(store: Store, incident_ids: list[str]) -> dict[str, list[Clock]]:
    """Per incident, the clocks still owed — running, or missed without an answer — most urgent
    (longest overdue) first."""
    if not incident_ids:
        return {}
    docs = store.find("clocks", {"bool": {"filter": [{"terms": {"incident_id": incident_ids}},
                                                     unresolved_clock_filter()]}},
                      size=len(incident_ids) * 6, sort=[{"due_at": "asc"}])
    out: dict[str, list[Clock]] = {}
    for d in docs:
        c = Clock.from_doc(d)
        out.setdefault(c.incident_id, []).append(c)
    return out


def due_clocks(store: Store, user: User, *, office: str = "", size: int = 20) -> list[Clock]:
    """Clocks still owed on open incidents — missed ones (longest overdue first), then running ones,
    nearest due first; office staff see only their office's."""
    return _due_clocks(store, user, office=office, size=size)[0]


def _due_clocks(store: Store, user: User, *, office: str, size: int) -> tuple[list[Clock], dict[str, dict[str, Any]]]:
    """:func:`due_clocks` and the state and title of their incidents (one lookup for both)."""
    must: list[dict[str, Any]] = [unresolved_clock_filter()]
    owner = office or ("" if user.sees_everything else (user.office or ""))
    if owner:
        must.append({"term": {"owner_office": owner}})
    # A miss on a closed or dismissed incident stays in the record but is no longer owed: read a few
    # more than asked and drop those.
    docs = store.find("clocks", {"bool": {"filter": must}}, size=size * 2, sort=[{"due_at": "asc"}])
    clocks = [Clock.from_doc(d) for d in docs]
    found = _incident_fields(store, [c.incident_id for c in clocks], ["state", "title"])
    owed = [c for c in clocks if c.incident_id in found
            and str(found[c.incident_id].get("state", "new")) in OPEN_STATES][:size]
    return owed, found


def _incident_fields(store: Store, incident_ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
    ids = list(dict.fromkeys(incident_ids))
    if not ids:
        return {}
    resp = store.search("incidents", query={"ids": {"values": ids}}, size=len(ids), source=fields,
                        track_total_hits=False)
    return {h["_id"]: h["_source"] for h in resp["hits"]["hits"]}


def incident_states(store: Store, incident_ids: list[str]) -> dict[str, str]:
    return {i: str(d.get("state", "new")) for i, d in _incident_fields(store, incident_ids, ["state"]).items()}


def incident_titles(store: Store, incident_ids: list[str]) -> dict[str, str]:
    return {i: str(d.get("title", "")) for i, d in _incident_fields(store, incident_ids, ["title"]).items()}


def due_clocks_with_titles(store: Store, user: User, *, office: str = "",
                           size: int = 20) -> tuple[list[Clock], dict[str, str]]:
    """:func:`due_clocks` and their incidents' titles, from one incident lookup."""
    clocks, found = _due_clocks(store, user, office=office, size=size)
    return clocks, {c.incident_id: str(found[c.incident_id].get("title", "")) for c in clocks}


def _open_deliveries(user: User, acked: Sequence[str] = ()) -> dict[str, Any]:
    """Alert deliveries not yet acknowledged (office staff: their office's). ``acked``: ids known to
    be acknowledged already (the user's own, perhaps not yet visible to search)."""
    must: list[dict[str, Any]] = [{"terms": {"state": ["pending", "sending", "sent", "failed"]}}]
    if not user.sees_everything:
        must.append({"term": {"office": user.office or ""}})
    # a report sent to its readers is not an alert to acknowledge
    must_not: list[dict[str, Any]] = [{"exists": {"field": "acknowledged_at"}}, {"term": {"alert_kind": "report"}}]
    if acked:
        must_not.append({"ids": {"values": list(acked)}})
    return {"bool": {"filter": must, "must_not": must_not}}


def recent_deliveries(store: Store, user: User, *, size: int = 20, acked: Sequence[str] = ()) -> list[Delivery]:
    """Alert deliveries not yet acknowledged, newest first."""
    docs = store.find("deliveries", _open_deliveries(user, acked), size=size, sort=[{"created_at": "desc"}])
    return [Delivery.from_doc(d) for d in docs]


@dataclasses.dataclass
class DeliveryGroup:
    """The open reminders of one incident (or, without an incident, of one alert key, e.g. a source's),
    shown and acknowledged as one."""

    incident_id: str | None
    alert_key: str | None
    title: str
    count: int  # deliveries not yet acknowledged
    latest: Delivery
    channels: list[str]  # channel ids, most used first
    kinds: list[str]  # alert kinds (new incident, clock missed …)
    level: str | None  # the most severe level among them

    @property
    def key(self) -> str:
        return self.incident_id or self.alert_key or ""


_LEVEL_ORDER = {"I": 0, "II": 1, "III": 2, "IV": 3}


def delivery_groups(store: Store, user: User, *, size: int = 15, acked: Sequence[str] = ()) -> list[DeliveryGroup]:
    """Open deliveries grouped by incident (else by alert key), the most recent group first: per group
    the count, the latest delivery, the channels, the alert kinds and the most severe level. One
    aggregation (bounded by ``size`` groups), however many reminders an incident has had. ``acked``:
    deliveries to leave out as acknowledged (see :func:`_open_deliveries`)."""

    def groups_by(field: str) -> dict[str, Any]:
        return {"terms": {"field": field, "size": size, "order": {"latest": "desc"}}, "aggs": {
            "latest": {"max": {"field": "created_at"}},
            "channels": {"terms": {"field": "channel_id", "size": 20}},
            "kinds": {"terms": {"field": "alert_kind", "size": 20}},
            "levels": {"terms": {"field": "level", "size": 4}},
            "top": {"top_hits": {"size": 1, "sort": [{"created_at": "desc"}],
                                 "_source": {"excludes": ["body", "facts", "response"]}}},
        }}

    resp = store.search("deliveries", query=_open_deliveries(user, acked), size=0, track_total_hits=False, aggs={
        "incidents": {"filter": {"exists": {"field": "incident_id"}}, "aggs": {"groups": groups_by("incident_id")}},
        "others": {"filter": {"bool": {"must_not": [{"exists": {"field": "incident_id"}}]}},
                   "aggs": {"groups": groups_by("alert_key")}},
    })
    aggs = resp.get("aggregations", {})
    groups: list[DeliveryGroup] = []
    for name in ("incidents", "others"):
        for b in aggs.get(name, {}).get("groups", {}).get("buckets", []):
            latest = Delivery.from_doc({"body": "", **b["top"]["hits"]["hits"][0]["_source"]})
            levels = sorted((x["key"] for x in b["levels"]["buckets"]), key=lambda v: _LEVEL_ORDER.get(v, 9))
            groups.append(DeliveryGroup(
                incident_id=b["key"] if name == "incidents" else None,
                alert_key=b["key"] if name == "others" else None, title=latest.title, count=int(b["doc_count"]),
                latest=latest, channels=[x["key"] for x in b["channels"]["buckets"]],
                kinds=[x["key"] for x in b["kinds"]["buckets"]], level=levels[0] if levels else None))
    groups.sort(key=lambda g: g.latest.created_at, reverse=True)
    groups = groups[:size]
    titles = incident_titles(store, [g.incident_id for g in groups if g.incident_id])
    for g in groups:
        if g.incident_id and titles.get(g.incident_id):
            g.title = titles[g.incident_id]
    return groups


@dataclasses.dataclass
class MentionGroup:
    """A first appearance and its reprints (转载)."""

    mention: Mention
    reprints: list[Mention]


@dataclasses.dataclass
class IncidentDetail:
    incident: Incident
    clocks: list[Clock]
    groups: list[MentionGroup]
    mention_total: int
    releases: list[Release]
    deliveries: list[Delivery]
    audit: list[AuditEvent]


# Segmented copies and dedup keys: as large as the text again, never shown on the incident page.
_MENTION_UNSHOWN = ("title_seg", "text_seg", "simhash_bands")


def get_incident(store: Store, incident_id: str) -> Incident | None:
    doc = store.get("incidents", incident_id)
    return Incident.from_doc(doc) if doc else None


def incident_detail(store: Store, incident: Incident, *, mention_limit: int = 200,
                    acked: Sequence[str] = ()) -> IncidentDetail:
    """Everything the incident page shows. ``acked``: deliveries the user just acknowledged, re-read
    by id (realtime) when the search still shows them open."""
    iid = incident.id
    clocks = [Clock.from_doc(d) for d in store.find("clocks", {"term": {"incident_id": iid}},
                                                    size=100, sort=[{"due_at": "asc"}])]
    resp = store.search("mentions", query={"term": {"incident_id": iid}}, size=mention_limit,
                        sort=[{"published_at": {"order": "asc", "missing": "_last"}}, {"id": "asc"}],
                        source={"excludes": list(_MENTION_UNSHOWN)})
    mentions = [Mention.from_doc(h["_source"]) for h in resp["hits"]["hits"]]
    by_id = {m.id: m for m in mentions}
    groups: dict[str, MentionGroup] = {}
    for m in mentions:
        if m.reprint_of and m.reprint_of in by_id and m.reprint_of != m.id:
            continue
        groups[m.id] = MentionGroup(m, [])
    for m in mentions:
        if m.reprint_of and m.reprint_of in groups and m.reprint_of != m.id:
            groups[m.reprint_of].reprints.append(m)
    releases = [Release.from_doc(d) for d in store.find("releases", {"term": {"incident_id": iid}}, size=200,
                                                       sort=[{"published_at": "asc"}])]
    deliveries = [Delivery.from_doc(d) for d in store.find("deliveries", {"term": {"incident_id": iid}},
                                                          size=200, sort=[{"created_at": "desc"}])]
    stale = [d.id for d in deliveries if d.acknowledged_at is None and d.id in set(acked)]
    if stale:
        fresh = store.mget("deliveries", stale)
        deliveries = [Delivery.from_doc(fresh[d.id]) if d.id in fresh else d for d in deliveries]
    entity_ids = [iid, *(c.id for c in clocks), *(r.id for r in releases), *(d.id for d in deliveries)]
    audit = [AuditEvent.from_doc(d) for d in store.find("audit", {"terms": {"entity_id": entity_ids}}, size=500,
                                                       sort=[{"at": "asc"}])]
    return IncidentDetail(incident, clocks, list(groups.values()), int(resp["hits"]["total"]["value"]),
                          releases, deliveries, audit)


def route_explanation(store: Store, config: Config, incident_id: str) -> dict[str, Any] | None:
    """Why the incident went to its office (``response.api.explain_route``); None if it cannot say."""
    from response.api import explain_route

    try:
        return explain_route(store, config, incident_id)
    except StorageUnavailable:
        raise
    except (YuqingError, KeyError, ValueError, TypeError) as exc:
        log.warning("no routing explanation for incident %s: %s", incident_id, exc)
        return None


def office_incidents(store: Store, office: str, *, size: int = 100) -> list[Incident]:
    query = {"bool": {"filter": [office_query(office, include_supporting=False),
                                 {"terms": {"state": list(OPEN_STATES)}}]}}
    docs = store.find("incidents", query, size=size, sort=SORTS["urgent"])
    return [Incident.from_doc(d) for d in docs]


def reports_and_assessments(store: Store, user: User, *, size: int = 100) -> tuple[list[dict[str, Any]],
                                                                                    list[dict[str, Any]]]:
    reports = store.find("reports", None, size=size, sort=[{"generated_at": "desc"}])
    query: dict[str, Any] | None = None
    if not user.sees_everything:
        query = {"term": {"office": user.office or ""}}
        # 专报 and assessments follow their incident's visibility (as their files do)
        subjects = [str(r.get("subject")) for r in reports if r.get("report_type") in ("incident", "assessment")]
        visible: set[str] = set()
        if subjects:
            found = store.find("incidents", {"bool": {"filter": [{"ids": {"values": subjects}},
                                                                 office_query(user.office or "")]}},
                               size=len(subjects))
            visible = {str(d.get("id")) for d in found}
        reports = [r for r in reports if r.get("report_type") in ("daily", "weekly", "monthly", "office_stats")
                   or str(r.get("subject")) in visible]
    assessments = store.find("assessments", query, size=size, sort=[{"generated_at": "desc"}])
    return reports, assessments


def source_runs(store: Store, source_id: str, *, size: int = 30) -> list[SourceHealth]:
    """A source's most recent crawl runs, newest first."""
    docs = store.find("source_health", {"term": {"source_id": source_id}}, size=size,
                      sort=[{"finished_at": "desc"}])
    return [SourceHealth.from_doc(d) for d in docs]


def remaining(due: dt.datetime, now: dt.datetime) -> str:
    """A countdown text in Chinese: 剩余 3小时05分 / 已超时 1小时10分."""
    seconds = int((due - now).total_seconds())
    prefix = "剩余" if seconds >= 0 else "已超时"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{hours}小时{minutes:02d}分"
    if days:
        text = f"{days}天" + text
    return f"{prefix} {text}"


def urgency(due: dt.datetime, now: dt.datetime) -> str:
    """CSS class of a countdown: overdue, soon (< 1 h) or ok."""
    left = (due - now).total_seconds()
    if left < 0:
        return "overdue"
    if left < 3600:
        return "soon"
    return "ok"


__all__ = ["OPEN_STATES", "IncidentDetail", "QueueFilter", "QueuePage", "incident_queue", "iso"]
