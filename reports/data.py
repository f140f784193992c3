"""Reading what the reports need from Elasticsearch: aggregations into pandas objects.

Every figure a report prints comes from here, so it traces back to stored documents. ES does the
counting (``terms``, ``filters``, ``cardinality``, ``top_hits``, ``date_histogram``: the core
aggregations the local node has); pandas does the rest (shares, changes, joins, ranking).

A mention's time is ``published_at``, or ``crawled_at`` when the page gave no date.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from yuqing import labels
from yuqing.clock import TZ, iso, parse_ts
from yuqing.config import Config
from yuqing.models import UNCOUNTED_STATES
from yuqing.places import office_name, place_name
from yuqing.storage import Store

log = logging.getLogger(__name__)

SENTIMENT_ZH = labels.SENTIMENT_ZH
UNKNOWN_PLACE = "未识别地区"
NO_PRIORITY = "未命中收集重点"
BUCKETS = 500  # terms size for open-ended keys (sources, places, incidents)


# --- time windows ---------------------------------------------------------------------------------


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Asia/Shanghai day as ``[start, end)``."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    return start, start + dt.timedelta(days=1)


def mention_window(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Mentions whose time (published, else crawled) falls in ``[start, end)``."""
    bounds = {"gte": iso(start), "lt": iso(end)}
    return {"bool": {"should": [
        {"range": {"published_at": bounds}},
        {"bool": {"must_not": {"exists": {"field": "published_at"}}, "filter": {"range": {"crawled_at": bounds}}}},
    ], "minimum_should_match": 1}}


def both(*queries: Mapping[str, Any]) -> dict[str, Any]:
    return {"bool": {"filter": [dict(q) for q in queries]}}


NEGATIVE = {"term": {"sentiment.label": "negative"}}


# --- names ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Names:
    """Chinese names for ids found in documents (falling back to the id itself); offices and places
    are named by :mod:`yuqing.places`, priorities by the priorities configuration."""

    config: Config
    sources: dict[str, str]
    places: dict[str, str]  # code -> name of every configured place (labels for the place tables)

    @classmethod
    def from_config(cls, config: Config) -> Names:
        return cls(
            config=config,
            sources={s.id: s.name for s in config.sources.sources},
            places={j.code: place_name(config.offices, j.code) for j in config.offices.jurisdictions},
        )

    @property
    def priorities(self) -> dict[str, str]:
        p = self.config.priorities
        return {i: p.name_of(i) for i in [*(t.id for t in p.priorities), *(t.id for t in p.subtopics)]}

    def office(self, office_id: str | None) -> str:
        return office_name(self.config.offices, office_id, "未指定")

    def source(self, source_id: str | None) -> str:
        return "" if not source_id else self.sources.get(source_id, source_id)

    def priority(self, pid: str) -> str:
        return self.config.priorities.name_of(pid)

    def place(self, code: str) -> str:
        return place_name(self.config.offices, code, code)


# --- aggregation helpers --------------------------------------------------------------------------


def buckets(agg: Mapping[str, Any]) -> pd.Series:
    """A ``terms`` aggregation as a count Series indexed by key (empty Series when no buckets)."""
    items = {str(b["key"]): int(b["doc_count"]) for b in agg.get("buckets", [])}
    return pd.Series(items, dtype="int64")


def as_dict(series: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in series.items()}


def share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


# --- mentions -------------------------------------------------------------------------------------


@dataclasses.dataclass
class MentionFigures:
    total: int
    analyzed: int  # with a sentiment label
    negative: int
    by_sentiment: pd.Series
    by_priority: pd.Series  # collection priorities only (sub-topics are in by_subtopic)
    by_subtopic: pd.Series
    no_priority: int
    by_tier: pd.Series
    by_place: pd.Series  # city, else province, else UNKNOWN_PLACE
    by_source: pd.Series
    incidents: int  # distinct incidents the mentions belong to
    by_emotion: pd.Series = dataclasses.field(default_factory=lambda: pd.Series(dtype="int64"))  # label -> mentions

    @property
    def negative_share(self) -> float:
        return share(self.negative, self.analyzed)


def mention_figures(store: Store, query: Mapping[str, Any], config: Config) -> MentionFigures:
    aggs = {
        "sentiment": {"terms": {"field": "sentiment.label", "size": 10}},
        "emotion": {"terms": {"field": "emotion.label", "size": 10}},
        "priority": {"terms": {"field": "priorities.id", "size": BUCKETS}},
        "no_priority": {"missing": {"field": "priorities.id"}},
        "tier": {"terms": {"field": "media_tier", "size": 20}},
        "province": {"terms": {"field": "place.province", "size": BUCKETS, "missing": ""},
                     "aggs": {"city": {"terms": {"field": "place.city", "size": BUCKETS, "missing": ""}}}},
        "source": {"terms": {"field": "source_id", "size": BUCKETS}},
        "incidents": {"cardinality": {"field": "incident_id"}},
    }
    resp = store.search("mentions", query=query, size=0, aggs=aggs)
    a = resp["aggregations"]
    total = int(resp["hits"]["total"]["value"])
    sentiment = buckets(a["sentiment"])
    priorities = buckets(a["priority"])
    priority_ids = set(config.priorities.priority_ids())
    places: dict[str, int] = {}
    for prov in a["province"]["buckets"]:
        for city in prov["city"]["buckets"]:
            label = city["key"] or prov["key"] or UNKNOWN_PLACE
            places[label] = places.get(label, 0) + int(city["doc_count"])
    by_place = pd.Series(places, dtype="int64").sort_values(ascending=False)
    return MentionFigures(
        total=total,
        analyzed=int(sentiment.sum()),
        negative=int(sentiment.get("negative", 0)),
        by_sentiment=sentiment,
        by_priority=priorities[[k in priority_ids for k in priorities.index]],
        by_subtopic=priorities[[k not in priority_ids for k in priorities.index]],
        no_priority=int(a["no_priority"]["doc_count"]),
        by_tier=buckets(a["tier"]),
        by_place=by_place,
        by_source=buckets(a["source"]),
        incidents=int(a["incidents"]["value"]),
        by_emotion=buckets(a["emotion"]),
    )


def daily_trend(store: Store, last_day: dt.date, days: int = 7) -> pd.DataFrame:
    """Mentions and negative mentions per day for the ``days`` days ending ``last_day``."""
    dates = [last_day - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    filters = {d.isoformat(): mention_window(*day_bounds(d)) for d in dates}
    start, _ = day_bounds(dates[0])
    _, end = day_bounds(last_day)
    resp = store.search("mentions", query=mention_window(start, end), size=0,
                        aggs={"days": {"filters": {"filters": filters}, "aggs": {"neg": {"filter": NEGATIVE}}}})
    rows = resp["aggregations"]["days"]["buckets"]
    frame = pd.DataFrame(
        [{"day": k, "信息总量": int(v["doc_count"]), "负面信息": int(v["neg"]["doc_count"])} for k, v in rows.items()]
    )
    return frame.set_index("day").loc[[d.isoformat() for d in dates]]


def mentions_per_incident(store: Store, query: Mapping[str, Any], size: int = 5000) -> pd.DataFrame:
    """Mention and negative counts of every incident among the matching mentions (a ``composite``
    aggregation paged ``size`` incidents at a time, so no incident is left out however many)."""
    rows: list[dict[str, Any]] = []
    after: dict[str, Any] | None = None
    while True:
        composite: dict[str, Any] = {"size": size, "sources": [{"id": {"terms": {"field": "incident_id"}}}]}
        if after:
            composite["after"] = after
        resp = store.search("mentions", query=query, size=0, track_total_hits=False, aggs={
            "inc": {"composite": composite, "aggs": {"neg": {"filter": NEGATIVE}}}})
        agg = resp["aggregations"]["inc"]
        rows += [{"id": b["key"]["id"], "mentions": int(b["doc_count"]), "negative": int(b["neg"]["doc_count"])}
                 for b in agg["buckets"]]
        after = agg.get("after_key")
        if not after or len(agg["buckets"]) < size:
            break
    return pd.DataFrame(rows, columns=["id", "mentions", "negative"]).set_index("id")


MENTION_FIELDS = ["id", "title", "text", "url", "source_id", "publisher", "media_tier", "published_at",
                  "crawled_at", "sentiment", "reprint_of", "place", "incident_id"]


def incident_mentions(store: Store, incident_id: str, *, size: int = 3, fields: list[str] | None = None,
                      query: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """An incident's earliest mentions (optionally within a window)."""
    q: dict[str, Any] = {"term": {"incident_id": incident_id}}
    if query is not None:
        q = both(q, query)
    resp = store.search("mentions", query=q, size=size, source=fields or MENTION_FIELDS,
                        sort=[{"published_at": {"order": "asc", "missing": "_last"}}, {"crawled_at": "asc"}],
                        track_total_hits=False)
    return [dict(h["_source"]) for h in resp["hits"]["hits"]]


def mention_frame(docs: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Mentions as a frame with ``time`` (published, else crawled) and ``sentiment_label`` columns."""
    rows = []
    for d in docs:
        sentiment = d.get("sentiment") or {}
        place = d.get("place") or {}
        rows.append({
            "id": d.get("id"), "title": d.get("title", ""), "url": d.get("url", ""),
            "source_id": d.get("source_id"), "publisher": d.get("publisher"), "media_tier": d.get("media_tier"),
            "time": parse_ts(d.get("published_at") or d.get("crawled_at")),
            "sentiment_label": sentiment.get("label"), "reprint_of": d.get("reprint_of"),
            "place": place.get("city") or place.get("province") or UNKNOWN_PLACE,
        })
    frame = pd.DataFrame(rows, columns=["id", "title", "url", "source_id", "publisher", "media_tier", "time",
                                        "sentiment_label", "reprint_of", "place"])
    if not frame.empty:
        frame["time"] = pd.to_datetime(frame["time"], utc=True).dt.tz_convert(TZ)
    return frame


# --- incidents ------------------------------------------------------------------------------------

INCIDENT_FIELDS = ["id", "title", "summary", "first_seen_at", "last_seen_at", "first_mention_id", "mention_count",
                   "reprint_count", "tiers", "place_codes", "places", "priorities", "subtopics", "negative_share",
                   "severity", "state", "routing", "assigned_office", "acknowledged_at", "closed_at",
                   "created_at", "handling_kind"]


def active_incidents_query(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The incidents a period's report covers (涉及事件): not dismissed, and either with mentions in
    ``[start, end)`` (first seen before the end, last seen from the start) or created in it — so
    every new incident (:func:`created_query`) is one of them."""
    return {"bool": {
        "should": [
            {"bool": {"filter": [{"range": {"first_seen_at": {"lt": iso(end)}}},
                                 {"range": {"last_seen_at": {"gte": iso(start)}}}]}},
            {"range": {"created_at": {"gte": iso(start), "lt": iso(end)}}},
        ],
        "minimum_should_match": 1,
        "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}],
    }}


def created_query(start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    return {"bool": {"filter": [{"range": {"created_at": {"gte": iso(start), "lt": iso(end)}}}],
                     "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}]}}


@dataclasses.dataclass
class IncidentFigures:
    total: int
    by_priority: pd.Series
    by_severity: pd.Series
    by_place: pd.Series  # by place code
    by_state: pd.Series
    by_tier: pd.Series  # incidents reported by each media tier (from the stored per-tier counts)
    frame: pd.DataFrame  # one row per incident
    place_names: dict[str, str] = dataclasses.field(default_factory=dict)  # code -> name, from the incidents


def incident_figures(store: Store, query: Mapping[str, Any]) -> IncidentFigures:
    aggs = {
        "priority": {"terms": {"field": "priorities", "size": BUCKETS}},
        "severity": {"terms": {"field": "severity.level", "size": 10}},
        "place": {"terms": {"field": "place_codes", "size": BUCKETS}},
        "state": {"terms": {"field": "state", "size": 20}},
    }
    resp = store.search("incidents", query=query, size=0, aggs=aggs)
    a = resp["aggregations"]
    docs = list(store.scan("incidents", query, source=INCIDENT_FIELDS))
    frame = incident_frame(docs)
    place_names = {p["code"]: p.get("district") or p.get("city") or p.get("province") or p["code"]
                   for d in docs for p in (d.get("places") or []) if p.get("code")}
    tier_counts: dict[str, int] = {}
    for tiers in frame["tiers"] if not frame.empty else []:
        for tier, n in (tiers or {}).items():
            if n:
                tier_counts[tier] = tier_counts.get(tier, 0) + 1
    return IncidentFigures(
        total=int(resp["hits"]["total"]["value"]),
        by_priority=buckets(a["priority"]),
        by_severity=buckets(a["severity"]),
        by_place=buckets(a["place"]),
        by_state=buckets(a["state"]),
        by_tier=pd.Series(tier_counts, dtype="int64").sort_values(ascending=False),
        frame=frame,
        place_names=place_names,
    )


def incident_frame(docs: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    from yuqing.models import SEVERITY_RANK

    rows = []
    for d in docs:
        severity = d.get("severity") or {}
        routing = d.get("routing") or {}
        rows.append({
            "id": d["id"], "title": d.get("title", ""), "level": severity.get("level"),
            "rank": SEVERITY_RANK.get(severity.get("level") or "", 0), "severity_score": severity.get("score", 0.0),
            "state": d.get("state", "new"), "office": d.get("assigned_office") or routing.get("lead_office"),
            "mention_count": int(d.get("mention_count", 0)), "negative_share": float(d.get("negative_share", 0.0)),
            "priorities": list(d.get("priorities") or []), "place_codes": list(d.get("place_codes") or []),
            "tiers": dict(d.get("tiers") or {}), "first_seen_at": parse_ts(d.get("first_seen_at")),
            "created_at": parse_ts(d.get("created_at")), "first_mention_id": d.get("first_mention_id"),
            "handling_kind": d.get("handling_kind"), "supporting": list(routing.get("supporting_offices") or []),
        })
    return pd.DataFrame(rows, columns=["id", "title", "level", "rank", "severity_score", "state", "office",
                                       "mention_count", "negative_share", "priorities", "place_codes", "tiers",
                                       "first_seen_at", "created_at", "first_mention_id", "handling_kind",
                                       "supporting"])


# --- clocks, releases, source health ---------------------------------------------------------------


def clock_frame(docs: Iterable[Mapping[str, Any]], now: dt.datetime) -> pd.DataFrame:
    """Clocks with ``late`` (missed, met after due, or still running past due) and the margin in hours.

    ``margin_h`` is positive when the clock was met early (hours before due), negative when late.
    """
    rows = []
    for d in docs:
        due, met = parse_ts(d["due_at"]), parse_ts(d.get("met_at"))
        opened = parse_ts(d["opened_at"])
        state = d.get("state", "running")
        assert due is not None and opened is not None
        if state == "waived":
            late, margin = False, None
        elif met is not None:
            late, margin = met > due, (due - met).total_seconds() / 3600
        else:
            late = state == "missed" or (state == "running" and now > due)
            margin = (due - now).total_seconds() / 3600 if late or state == "running" else None
        rows.append({
            "id": d["id"], "incident_id": d["incident_id"], "rule_id": d.get("rule_id"),
            "name_zh": d.get("name_zh", ""),
            "owner_office": d.get("owner_office"), "opened_at": opened, "due_at": due, "met_at": met, "state": state,
            "late": late, "margin_h": margin, "missed_at": parse_ts(d.get("missed_at")),
            "evidence": d.get("evidence") or {},
        })
    return pd.DataFrame(rows, columns=["id", "incident_id", "rule_id", "name_zh", "owner_office", "opened_at",
                                       "due_at", "met_at", "state", "late", "margin_h", "missed_at", "evidence"])


def clocks_due(store: Store, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> pd.DataFrame:
    docs = store.scan("clocks", {"range": {"due_at": {"gte": iso(start), "lt": iso(end)}}})
    return clock_frame(docs, now).sort_values("due_at")


def latest_source_health(store: Store, end: dt.datetime) -> pd.DataFrame:
    """The last run of each source before ``end`` (``terms`` + ``top_hits``)."""
    resp = store.search("source_health", query={"range": {"finished_at": {"lt": iso(end)}}}, size=0, aggs={
        "src": {"terms": {"field": "source_id", "size": BUCKETS},
                "aggs": {"last": {"top_hits": {"size": 1, "sort": [{"finished_at": "desc"}]}}}},
    })
    rows = [dict(b["last"]["hits"]["hits"][0]["_source"]) for b in resp["aggregations"]["src"]["buckets"]]
    columns = ["source_id", "status", "finished_at", "last_success_at", "items_found", "items_new",
               "items_failed", "error_rate", "failure_reasons"]
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)


def run_totals(store: Store, start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """Crawl runs finished in the window: how many, and items found/new/failed."""
    resp = store.search("source_health", query={"range": {"finished_at": {"gte": iso(start), "lt": iso(end)}}},
                        size=0, aggs={"found": {"sum": {"field": "items_found"}},
                                      "new": {"sum": {"field": "items_new"}},
                                      "failed": {"sum": {"field": "items_failed"}}})
    a = resp["aggregations"]
    return {"runs": int(resp["hits"]["total"]["value"]), "items_found": int(a["found"]["value"]),
            "items_new": int(a["new"]["value"]), "items_failed": int(a["failed"]["value"])}


def place_sentiment(store: Store, query: Mapping[str, Any]) -> pd.DataFrame:
    """Per place (city, else province, else UNKNOWN_PLACE, as ``by_place``): negative and analysed mentions."""
    analysed = {"exists": {"field": "sentiment.label"}}
    resp = store.search("mentions", query=query, size=0, aggs={
        "province": {"terms": {"field": "place.province", "size": BUCKETS, "missing": ""},
                     "aggs": {"city": {"terms": {"field": "place.city", "size": BUCKETS, "missing": ""},
                                       "aggs": {"neg": {"filter": NEGATIVE}, "analysed": {"filter": analysed}}}}}})
    rows: dict[str, list[int]] = {}
    for prov in resp["aggregations"]["province"]["buckets"]:
        for city in prov["city"]["buckets"]:
            label = city["key"] or prov["key"] or UNKNOWN_PLACE
            row = rows.setdefault(label, [0, 0])
            row[0] += int(city["neg"]["doc_count"])
            row[1] += int(city["analysed"]["doc_count"])
    return pd.DataFrame([{"place": k, "negative": v[0], "analyzed": v[1]} for k, v in rows.items()],
                        columns=["place", "negative", "analyzed"]).set_index("place")


COUNTED_RELEASE = {"bool": {"should": [{"terms": {"status": ["matched", "confirmed"]}},
                                       {"bool": {"must_not": {"exists": {"field": "status"}}}}],
                            "minimum_should_match": 1}}


def counted_releases(store: Store, incident_ids: list[str]) -> pd.DataFrame:
    """The releases that count as an office's response (matched or confirmed; 待确认 ones do not)."""
    columns = ["id", "incident_id", "office", "channel", "published_at", "rebuts_rumour"]
    if not incident_ids:
        return pd.DataFrame(columns=columns)
    docs = store.scan("releases", both({"terms": {"incident_id": incident_ids}}, COUNTED_RELEASE),
                      source=columns)
    frame = pd.DataFrame([{c: d.get(c) for c in columns} for d in docs], columns=columns)
    frame["published_at"] = [parse_ts(v) for v in frame["published_at"]]
    frame["rebuts_rumour"] = frame["rebuts_rumour"].fillna(False).astype(bool)
    return frame
