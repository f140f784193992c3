"""The analysis entry points other layers call (the CLI, the DAG, the demo).

``analyze_pending`` scores every mention that has no analysis or an older ``analysis_version``,
assigns each to an incident (joining or opening one) and rewrites the analysis-owned fields of
every incident it touched, derived from the stored mentions only. Running it again changes
nothing: there is nothing pending, and an incident whose derived fields come out equal is not
written. Response-owned fields (state, routing, assignment, acknowledgement, closing) are never
written: existing incidents get partial updates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from typing import Any

from analysis.incidents import (
    Grouper,
    IncidentBuilder,
    Member,
    mention_time,
    new_incident_doc,
)
from analysis.pipeline import ANALYSIS_VERSION, Analyzer, TextAnalysis, TextInput, full_text
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.progress import batches
from yuqing.storage import Store

log = logging.getLogger(__name__)

BATCH = 500
GROUP_FIELDS = ["id", "title", "simhash", "keywords", "priorities", "place", "published_at", "crawled_at",
                "reprint_of", "incident_id"]


@dataclasses.dataclass
class AnalyzeStats:
    analyzed: int = 0
    failed: int = 0
    failure_reasons: dict[str, int] = dataclasses.field(default_factory=dict)
    joined: dict[str, int] = dataclasses.field(default_factory=dict)  # reprint / near_duplicate / similar
    incidents_created: int = 0
    incidents_updated: int = 0
    incidents_unchanged: int = 0
    set_aside: int = 0  # mentions that failed ``failures.max_attempts`` times: no longer retried

    def summary(self) -> str:
        return (f"analysed {self.analyzed} mentions ({self.failed} failed, {self.set_aside} set aside), incidents: "
                f"{self.incidents_created} created, {self.incidents_updated} updated, "
                f"{self.incidents_unchanged} unchanged")


_analyzers: dict[int, tuple[Config, Analyzer]] = {}


def analyzer_for(config: Config) -> Analyzer:
    """One analyzer per configuration object (term matchers and the gazetteer are built once)."""
    entry = _analyzers.get(id(config))
    if entry is None or entry[0] is not config:
        entry = (config, Analyzer(config))
        _analyzers[id(config)] = entry
    return entry[1]


def analyze_text(text: str, config: Config) -> dict[str, Any]:
    """What the pipeline decides for one text alone: sentiment, emotion, priorities with the
    false-information evidence, department, place, keywords; and the casualty figures it states with
    the level they alone imply (``casualties``, ``casualty_level``)."""
    out = analyzer_for(config).analyze_text(text).as_dict()
    out.update(_casualty_fields(text, config, _event_matchers(config)))
    return out


def _event_matchers(config: Config) -> dict[str, Any]:
    from analysis.matching import TermMatcher

    return {k: TermMatcher(v) for k, v in config.analysis.incidents.event_types.items()}


def _casualty_fields(text: str, config: Config, matchers: dict[str, Any]) -> dict[str, Any]:
    from analysis.severity import text_casualties

    return text_casualties(text, config.analysis.severity, matchers)


def analyze_texts(items: list[tuple[str, str]], config: Config) -> list[dict[str, Any]]:
    """The same for many ``(title, text)`` pairs, in batches of ``BATCH``."""
    analyzer = analyzer_for(config)
    matchers = _event_matchers(config)  # built once for all rows
    out: list[dict[str, Any]] = []
    for start in range(0, len(items), BATCH):
        chunk = [TextInput(title=t, text=x) for t, x in items[start:start + BATCH]]
        for item, result in zip(chunk, analyzer.analyze_many(chunk), strict=True):
            row = result.as_dict()
            row.update(_casualty_fields(full_text(item.title, item.text), config, matchers))
            out.append(row)
    return out


def text_input(doc: dict[str, Any]) -> TextInput:
    """What the analysis reads of a stored mention, with the crawler's segmentation when it has one."""
    stored = bool(doc.get("text_seg")) or (bool(doc.get("title_seg")) and not doc.get("text"))
    return TextInput(title=doc.get("title") or "", text=doc.get("text") or "",
                     doc_type=doc.get("doc_type") or "article", official=bool(doc.get("official")),
                     jurisdiction=doc.get("jurisdiction"), media_tier=doc.get("media_tier"),
                     title_tokens=tuple((doc.get("title_seg") or "").split()) if stored else None,
                     text_tokens=tuple((doc.get("text_seg") or "").split()) if stored else None)


def _pending_query() -> dict[str, Any]:
    return {"bool": {"must_not": [{"term": {"analysis_version": ANALYSIS_VERSION}},
                                  {"term": {"analysis_failed": True}}]}}


FAILED_FIELDS = ["id", "source_id", "title", "url", "crawled_at", "analysis_attempts", "analysis_error",
                 "analysis_failed_at"]


def failed_mentions(store: Store, *, size: int = 100) -> list[dict[str, Any]]:
    """Mentions set aside after failing analysis ``failures.max_attempts`` times, newest failure first:
    what operators look at (``yuqing analyze --failed``, the console's 分析失败 list)."""
    resp = store.search("mentions", query={"term": {"analysis_failed": True}}, size=size,
                        sort=[{"analysis_failed_at": "desc"}], source=FAILED_FIELDS, track_total_hits=False)
    return [dict(h["_source"]) for h in resp["hits"]["hits"]]


def _record_failures(store: Store, config: Config, failures: list[tuple[dict[str, Any], str]], now: dt.datetime,
                     stats: AnalyzeStats) -> None:
    """Count a failed attempt on each mention with its reason; set aside those out of attempts."""
    limit = config.analysis.failures.max_attempts
    updates: list[tuple[str, dict[str, Any]]] = []
    for doc, reason in failures:
        attempts = int(doc.get("analysis_attempts") or 0) + 1
        update: dict[str, Any] = {"analysis_attempts": attempts, "analysis_error": reason[:300],
                                  "analysis_failed_at": iso(now)}
        if attempts >= limit:
            update["analysis_failed"] = True
            stats.set_aside += 1
            log.error("mention %s set aside after %d failed analysis attempts: %s", doc["id"], attempts, reason)
        updates.append((doc["id"], update))
    if updates:
        store.bulk("mentions", updates, op="update", refresh=True)


def _analysis_fields(result: TextAnalysis, now: dt.datetime) -> dict[str, Any]:
    return {
        "analyzed_at": iso(now), "analysis_version": ANALYSIS_VERSION,
        "sentiment": result.sentiment.model_dump(mode="json"),
        "priorities": [h.model_dump(mode="json", exclude_none=True) for h in result.priorities],
        "place": result.place.model_dump(mode="json", exclude_none=True) if result.place else None,
        "keywords": result.keywords, "handling_kind": result.handling_kind,
        "emotion": result.emotion.model_dump(mode="json"),
        "false_info": result.false_info.model_dump(mode="json", exclude_none=True),
        "department": result.department.model_dump(mode="json"),
    }


def analyze_pending(store: Store, config: Config, *, now: dt.datetime) -> AnalyzeStats:
    stats = AnalyzeStats()
    analyzer = analyzer_for(config)
    pending = sorted(store.scan("mentions", _pending_query()), key=lambda d: (mention_time(d), d["id"]))
    if not pending:
        log.info("analysis: nothing pending")
        return stats
    # 1. score
    scored: list[dict[str, Any]] = []
    failures: list[tuple[dict[str, Any], str]] = []
    for batch in batches(pending, BATCH, "研判"):
        inputs = [text_input(d) for d in batch]
        try:
            results: list[TextAnalysis | None] = list(analyzer.analyze_many(inputs))
        except Exception as exc:  # one bad batch must not hide the rest: retry item by item
            log.warning("analysis batch failed (%s); retrying one by one", type(exc).__name__)
            results = []
            for doc, item in zip(batch, inputs, strict=True):
                try:
                    results.append(analyzer.analyze_many([item])[0])
                except Exception as item_exc:  # counted with its reason, never dropped silently
                    log.warning("mention %s not analysed: %s", doc["id"], item_exc)
                    stats.failed += 1
                    reason = type(item_exc).__name__
                    stats.failure_reasons[reason] = stats.failure_reasons.get(reason, 0) + 1
                    failures.append((doc, f"{reason}: {item_exc}"))
                    results.append(None)
        for doc, result in zip(batch, results, strict=True):
            if result is None:
                continue
            doc.update(_analysis_fields(result, now))
            scored.append(doc)
    _record_failures(store, config, failures, now, stats)
    # 2. group
    grouper = Grouper(config, analyzer.places)
    _load_candidates(store, grouper, scored, config)
    reprints = _ReprintLookup(store, grouper, scored)
    touched: set[str] = set()
    joined: Counter[str] = Counter()
    for doc in scored:
        # A mention already in an incident stays there; one a person placed (``grouping.manual``:
        # opened, attached, merged or split in the console) is never regrouped, whatever the analysis
        # would decide now.
        if doc.get("incident_id") or is_manually_grouped(doc):
            if doc.get("incident_id"):
                touched.add(doc["incident_id"])
                grouper.load(doc["incident_id"], [grouper.member(doc)])
            continue
        gid, how = grouper.assign(grouper.member(doc), reprints.targets(doc))
        if gid is not None:
            doc["incident_id"] = gid
            touched.add(gid)
            joined[how] += 1
    stats.joined = dict(joined)
    # 3. write mentions
    fields = ["analyzed_at", "analysis_version", "sentiment", "priorities", "place", "keywords", "handling_kind",
              "emotion", "false_info", "department", "incident_id"]
    written = store.bulk("mentions", ((d["id"], {f: d.get(f) for f in fields}) for d in scored), op="update",
                         refresh=True)
    stats.analyzed = written.ok
    stats.failed += len(written.failed)
    for _id, reason in written.failed:
        stats.failure_reasons[reason[:80]] = stats.failure_reasons.get(reason[:80], 0) + 1
    # 4. derive incidents
    _update_incidents(store, config, analyzer, sorted(touched), now, stats)
    log.info("analysis: %s; joined %s", stats.summary(), dict(joined))
    return stats


def is_manually_grouped(doc: dict[str, Any]) -> bool:
    """Whether a person chose this mention's incident (the console's open/attach/merge/split)."""
    return bool((doc.get("grouping") or {}).get("manual"))


def rebuild_incidents(store: Store, config: Config, incident_ids: list[str], *, now: dt.datetime) -> AnalyzeStats:
    """Recompute the analysis-owned fields of these incidents from their stored mentions, as
    ``analyze`` does after grouping: for the console after a person moved mentions (open, attach,
    merge, split). An incident that does not exist yet is created (state ``new``); one left without
    mentions is not touched; response-owned fields are never written. Idempotent."""
    stats = AnalyzeStats()
    store.refresh("mentions")
    _update_incidents(store, config, analyzer_for(config), sorted(set(incident_ids)), now, stats)
    return stats


def _mentions_of(store: Store, incident_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The mentions of these incidents, by incident: one scan per 200 incidents."""
    out: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(incident_ids), 200):
        for m in store.scan("mentions", {"terms": {"incident_id": incident_ids[start:start + 200]}}):
            out.setdefault(m["incident_id"], []).append(m)
    return out


class _ReprintLookup:
    """The incidents of the mentions this batch reprints, read up front in two requests (the
    targets, then the members of their incidents) instead of two per reprint; an incident is
    loaded into the grouper when a reprint first needs it, as before."""

    def __init__(self, store: Store, grouper: Grouper, scored: list[dict[str, Any]]) -> None:
        self.grouper = grouper
        wanted = {d["reprint_of"] for d in scored if d.get("reprint_of") and not d.get("incident_id")
                  and not is_manually_grouped(d)}
        self.found = store.mget("mentions", sorted(wanted)) if wanted else {}
        gids = sorted({f["incident_id"] for f in self.found.values() if f.get("incident_id")} - set(grouper.groups))
        self.members = _mentions_of(store, gids)

    def targets(self, doc: dict[str, Any]) -> dict[str, str]:
        target = doc.get("reprint_of")
        if not target or target in self.grouper.member_group:
            return {}
        found = self.found.get(target)
        if not found or not found.get("incident_id"):
            return {}
        gid = found["incident_id"]
        if gid not in self.grouper.groups:
            self.grouper.load(gid, [self.grouper.member(m) for m in self.members.get(gid, [])])
        return {target: gid}


def _load_candidates(store: Store, grouper: Grouper, scored: list[dict[str, Any]], config: Config) -> None:
    if not scored:
        return
    window = config.analysis.incidents.window.as_timedelta()
    lo = min(mention_time(d) for d in scored) - window
    hi = max(mention_time(d) for d in scored) + window
    query = {"bool": {"filter": [{"range": {"last_seen_at": {"gte": iso(lo)}}},
                                 {"range": {"first_seen_at": {"lte": iso(hi)}}}]}}
    ids = [d["id"] for d in store.scan("incidents", query, source=["id"])]
    pending_ids = {d["id"] for d in scored}
    for start in range(0, len(ids), 200):
        chunk = ids[start:start + 200]
        members: dict[str, list[Member]] = {}
        for m in store.scan("mentions", {"terms": {"incident_id": chunk}}, source=GROUP_FIELDS):
            if m["id"] not in pending_ids:
                members.setdefault(m["incident_id"], []).append(grouper.member(m))
        for gid in chunk:
            if gid in members:
                grouper.load(gid, sorted(members[gid], key=lambda x: (x.at, x.id)))


def _link_rebuttal(store: Store, mentions: list[dict[str, Any]], rebuttal: str | None) -> None:
    """Flagged members of an incident with an official rebuttal carry its id in their evidence."""
    if not rebuttal:
        return
    for m in mentions:
        info = m.get("false_info") or {}
        if info.get("flagged") and info.get("rebuttal") != rebuttal and m["id"] != rebuttal:
            store.update("mentions", m["id"], {"false_info": {**info, "rebuttal": rebuttal}}, upsert=False)


def _update_incidents(store: Store, config: Config, analyzer: Analyzer, ids: list[str], now: dt.datetime,
                      stats: AnalyzeStats) -> None:
    """Rebuild these incidents from their mentions: the mentions read in one scan per 200
    incidents, the new incidents created and the changed ones updated in one bulk request each."""
    builder = IncidentBuilder(config, analyzer.places, analyzer.negation)
    existing = store.mget("incidents", ids)
    by_incident = _mentions_of(store, ids)
    created: list[tuple[str, dict[str, Any]]] = []
    updated: list[tuple[str, dict[str, Any]]] = []
    for gid in ids:
        mentions = by_incident.get(gid)
        if not mentions:
            continue
        fields = builder.build(gid, mentions)
        _link_rebuttal(store, mentions, (fields.get("false_info") or {}).get("rebuttal"))
        old = existing.get(gid)
        _audit_upgrades(store, gid, (old or {}).get("severity"), fields.get("severity"))
        if old is None:
            created.append((gid, new_incident_doc(gid, fields, now)))
            continue
        changed = {k: v for k, v in fields.items() if old.get(k) != v}
        if not changed:
            stats.incidents_unchanged += 1
            continue
        updated.append((gid, {**changed, "updated_at": iso(now)}))
    if created:  # create only: an incident someone created meanwhile is left as it is
        result = store.bulk("incidents", created, op="create")
        stats.incidents_created += result.ok - len(result.existing)
    if updated:
        result = store.bulk("incidents", updated, op="update", upsert=False)
        stats.incidents_updated += result.ok
    if ids:
        store.refresh("incidents")


UPGRADE_ACTOR = "system:analysis"


def _audit_upgrades(store: Store, incident_id: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """Audit each rise of the level a later mention's figures brought, once: the event's time is the
    mention's, so a re-run writes nothing new."""
    from yuqing import audit
    from yuqing.models import SEVERITY_RANK, SEVERITY_ZH, LevelChange

    known = {(h.get("level"), h.get("mention_id")) for h in (old or {}).get("history") or []}
    for raw in (new or {}).get("history") or []:
        change = LevelChange.model_validate(raw)
        if change.previous is None or SEVERITY_RANK[change.level] <= SEVERITY_RANK[change.previous]:
            continue
        if (change.level, change.mention_id) in known:
            continue
        audit.record(store, entity="incident", entity_id=incident_id, action="upgrade", actor=UPGRADE_ACTOR,
                     at=change.at,
                     reason=f"事件级别由{SEVERITY_ZH[change.previous]}（{change.previous}级）升为"
                            f"{SEVERITY_ZH[change.level]}（{change.level}级）：{change.reason}",
                     before={"level": change.previous},
                     after={"level": change.level, "mention_id": change.mention_id})
