"""Fixing the analysis' grouping by hand: open an incident from a mention, attach a mention to an
incident, merge two incidents, split mentions out of one into a new one.

The console composes the domain packages here (``console -> analysis | response`` is allowed; they
never import each other):

- mentions move by a partial update of ``incident_id`` plus ``grouping`` (a :class:`ManualGrouping`:
  who, when, which action, from which incident). ``analysis.api.analyze_pending`` never regroups a
  mention that carries it, so a person's decision survives the next ``analyze`` run;
- every incident that gained or lost mentions gets its analysis-owned fields recomputed from its
  stored mentions by ``analysis.api.rebuild_incidents`` (title, counts, places, priorities,
  severity, trend…), exactly as the analysis would derive them;
- the response record stays truthful: a **merge** keeps the incident that appeared first (earlier
  ``first_seen_at``) with its state, routing, assignment and clocks, and ends the other through
  ``response.lifecycle`` as 已合并 (``state: merged``, ``merged_into`` the survivor, its running clocks
  waived with the reason, missed ones left on record); a **split** or an incident **opened** from a
  mention is a new incident (state 新发现) routed at once by ``response.api.route_one`` (its clocks
  open on the next ``route`` run, as for any new incident), while the incident it came out of keeps
  its record. Should a merged incident's level rise, the next ``route`` re-routes it and opens the
  clocks of the new level, counted from the survivor's (earlier) first appearance;
- only open incidents change grouping (a closed, dismissed or merged one is the record of work done);
- every action is audited on each incident it touches; ids are deterministic and a repeated
  request finds the work done and changes nothing (``changed=False``).

Role and visibility checks happen before this layer (``console.auth``: the ``regroup`` action).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from analysis.api import rebuild_incidents
from response import lifecycle
from response.api import RouteStats, route_one
from yuqing import audit
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.errors import InputError, StorageUnavailable, TransitionError, YuqingError
from yuqing.models import STATE_ZH, Incident, ManualGrouping, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)

GROUPING_ACTIONS_ZH = {
    "open_from_mention": "由信息新建事件", "attach_mention": "归入信息", "detach_mention": "移出信息",
    "absorb": "合并事件", "split": "拆分事件", "split_from": "拆分新建",
}
MAX_MOVE = 2000  # mentions one split may move (a page of checkboxes is far below)


class NotFound(YuqingError):
    """An incident or mention that does not exist (404)."""


@dataclasses.dataclass
class GroupingResult:
    incident_id: str  # where the mentions are now: the new incident, the target or the survivor
    moved: list[str]  # mention ids moved by this call (empty on a repeat)
    changed: bool
    message: str  # Chinese, for the flash / API answer
    absorbed: str | None = None  # merge: the incident that ended as 已合并


def manual_incident_id(mention_id: str) -> str:
    """The id of the incident opened by hand from a mention (distinct from the analysis' own ids)."""
    return stable_id("incident", "manual", mention_id)


def split_incident_id(source_id: str, mention_ids: list[str]) -> str:
    return stable_id("incident", "split", source_id, *sorted(set(mention_ids)))


def _incident(store: Store, incident_id: str) -> Incident:
    doc = store.get("incidents", incident_id)
    if doc is None:
        raise NotFound("未找到该舆情事件")
    return Incident.from_doc(doc)


def _require_open(incident: Incident, what: str = "事件") -> None:
    if incident.state not in lifecycle.OPEN_STATES:
        raise TransitionError(f"{what}「{incident.title}」处于「{STATE_ZH[incident.state]}」状态，不能再调整归并"
                              "（已办结、已排除或已合并的事件是处置记录）")


def _mention(store: Store, mention_id: str) -> dict[str, Any]:
    doc = store.get("mentions", mention_id)
    if doc is None:
        raise NotFound("未找到该信息")
    return doc


def _members(store: Store, incident_id: str) -> list[dict[str, Any]]:
    return list(store.scan("mentions", {"term": {"incident_id": incident_id}},
                           source=["id", "reprint_of", "incident_id", "title"]))


def _with_reprints(ids: set[str], members: list[dict[str, Any]]) -> set[str]:
    """The mentions and their reprints (转载) in the same incident: a text moves with its copies."""
    out = set(ids)
    changed = True
    while changed:
        changed = False
        for m in members:
            if m["id"] not in out and m.get("reprint_of") in out:
                out.add(m["id"])
                changed = True
    return out


def _move(store: Store, mention_ids: list[str], target: str, *, action: str, actor: str, now: dt.datetime,
          from_incident: str | None) -> None:
    flag = ManualGrouping(action=action, actor=actor, at=now,  # type: ignore[arg-type]
                          from_incident=from_incident).model_dump(mode="json", exclude_none=True)
    result = store.bulk("mentions", [(mid, {"incident_id": target, "grouping": flag}) for mid in mention_ids],
                        op="update", refresh=True)
    if result.failed:
        raise InputError(f"{len(result.failed)} 条信息未能移动（{result.failed[0][1]}），请重试")


def _rebuild(store: Store, config: Config, ids: list[str], now: dt.datetime) -> None:
    rebuild_incidents(store, config, [i for i in ids if i], now=now)
    store.refresh("incidents")


def _route_new(store: Store, config: Config, incident_id: str, now: dt.datetime) -> None:
    """Route a hand-made incident at once (the next ``route`` run would otherwise do it)."""
    try:
        route_one(store, config, incident_id, now=now, stats=RouteStats())
    except StorageUnavailable:
        raise
    except YuqingError as exc:  # left for the next route run, which retries it
        log.warning("routing hand-made incident %s failed: %s", incident_id, exc)
    store.refresh("incidents", "audit")


def _record(store: Store, incident_id: str, action: str, *, actor: str, now: dt.datetime, reason: str,
            before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    audit.record(store, entity="incident", entity_id=incident_id, action=action, actor=actor, at=now,
                 reason=reason, before=before, after=after)


def _leave_one(source: Incident, members: list[dict[str, Any]], moving: set[str], hint: str) -> None:
    if not [m for m in members if m["id"] not in moving]:
        raise TransitionError(f"这些信息是事件「{source.title}」的全部信息，{hint}")


def open_incident(store: Store, config: Config, mention_id: str, *, actor: str, now: dt.datetime,
                  reason: str = "") -> GroupingResult:
    """A new incident from one mention (with its reprints), e.g. one the analysis did not group or
    grouped wrongly. Routed at once; the incident it came out of (if any) keeps its record."""
    mention = _mention(store, mention_id)
    new_id = manual_incident_id(mention_id)
    old_id = mention.get("incident_id")
    if old_id == new_id and store.get("incidents", new_id) is not None:
        return GroupingResult(new_id, [], False, "该信息已单独立为事件")
    if old_id == new_id:  # an earlier call moved it and stopped before the incident was written
        old_id = (mention.get("grouping") or {}).get("from_incident")
    moving = {mention_id}
    if old_id:
        source = _incident(store, old_id)
        _require_open(source, "信息所在事件")
        members = _members(store, old_id)
        moving = _with_reprints(moving, members)
        _leave_one(source, members, moving, "无需另立事件")
    ids = sorted(moving)
    _move(store, ids, new_id, action="open", actor=actor, now=now, from_incident=old_id)
    _rebuild(store, config, [new_id, old_id or ""], now)
    store.update("incidents", new_id, {"created_by": actor, **({"split_from": old_id} if old_id else {})},
                 upsert=False, refresh=True)
    title = str(mention.get("title") or "（无标题）")[:60]
    _record(store, new_id, "open_from_mention", actor=actor, now=now,
            reason=reason or f"由信息「{title}」新建事件（{len(ids)} 条信息）",
            after={"mentions": ids, "from_incident": old_id})
    if old_id:
        _record(store, old_id, "detach_mention", actor=actor, now=now,
                reason=reason or f"信息「{title}」移出，另立新事件", after={"mentions": ids, "to_incident": new_id})
    _route_new(store, config, new_id, now)
    return GroupingResult(new_id, ids, True, f"已由该信息新建事件（{len(ids)} 条信息）")


def attach_mention(store: Store, config: Config, mention_id: str, incident_id: str, *, actor: str,
                   now: dt.datetime, reason: str = "") -> GroupingResult:
    """Put a mention (with its reprints in the same incident) into an open incident."""
    target = _incident(store, incident_id)
    mention = _mention(store, mention_id)
    old_id = mention.get("incident_id")
    if old_id == incident_id:
        return GroupingResult(incident_id, [], False, f"该信息已在事件「{target.title}」中")
    _require_open(target)
    moving = {mention_id}
    if old_id:
        source = _incident(store, old_id)
        _require_open(source, "信息所在事件")
        members = _members(store, old_id)
        moving = _with_reprints(moving, members)
        _leave_one(source, members, moving, "请改用「合并事件」")
    ids = sorted(moving)
    _move(store, ids, incident_id, action="attach", actor=actor, now=now, from_incident=old_id)
    _rebuild(store, config, [incident_id, old_id or ""], now)
    title = str(mention.get("title") or "（无标题）")[:60]
    _record(store, incident_id, "attach_mention", actor=actor, now=now,
            reason=reason or f"归入信息「{title}」（{len(ids)} 条）", after={"mentions": ids, "from_incident": old_id})
    if old_id:
        _record(store, old_id, "detach_mention", actor=actor, now=now,
                reason=reason or f"信息「{title}」移至事件「{target.title}」",
                after={"mentions": ids, "to_incident": incident_id})
    store.refresh("incidents", "audit")
    return GroupingResult(incident_id, ids, True, f"已归入事件「{target.title}」（{len(ids)} 条信息）")


def merge_incidents(store: Store, config: Config, incident_id: str, other_id: str, *, actor: str,
                    now: dt.datetime, reason: str = "") -> GroupingResult:
    """Merge two open incidents: the one that appeared first survives with its clocks and record;
    the other's mentions move to it and it ends as 已合并 pointing to the survivor."""
    if incident_id == other_id:
        raise InputError("请选择另一个事件进行合并")
    a, b = _incident(store, incident_id), _incident(store, other_id)
    for x, y in ((a, b), (b, a)):
        if x.state == "merged" and x.merged_into == y.id:
            return GroupingResult(y.id, [], False, f"事件已合并至「{y.title}」", absorbed=x.id)
    _require_open(a)
    _require_open(b)
    survivor, absorbed = sorted((a, b), key=lambda i: (i.first_seen_at, i.created_at, i.id))
    ids = sorted(m["id"] for m in _members(store, absorbed.id))
    if ids:
        _move(store, ids, survivor.id, action="merge", actor=actor, now=now, from_incident=absorbed.id)
    _rebuild(store, config, [survivor.id], now)
    store.update("incidents", survivor.id,
                 {"merged_from": list(dict.fromkeys([*survivor.merged_from, absorbed.id]))}, upsert=False,
                 refresh=True)
    lifecycle.apply(store, config, absorbed.id, "merge", actor=actor, now=now, merged_into=survivor.id,
                    reason=reason or f"并入事件「{survivor.title}」，时限由该事件承担")
    _record(store, survivor.id, "absorb", actor=actor, now=now,
            reason=reason or f"并入事件「{absorbed.title}」（{len(ids)} 条信息），保留本事件的时限与处置记录",
            after={"absorbed": absorbed.id, "mentions": len(ids)})
    store.refresh("incidents", "audit")
    return GroupingResult(survivor.id, ids, True,
                          f"已合并：「{absorbed.title}」并入较早发现的「{survivor.title}」（{len(ids)} 条信息）",
                          absorbed=absorbed.id)


def split_incident(store: Store, config: Config, incident_id: str, mention_ids: list[str], *, actor: str,
                   now: dt.datetime, reason: str = "") -> GroupingResult:
    """Move the chosen mentions (with their reprints) out of an open incident into a new one."""
    requested = sorted({m for m in mention_ids if m})
    if not requested:
        raise InputError("请选择要拆分出去的信息")
    if len(requested) > MAX_MOVE:
        raise InputError(f"一次最多拆分 {MAX_MOVE} 条信息")
    source = _incident(store, incident_id)
    new_id = split_incident_id(incident_id, requested)
    found = store.mget("mentions", requested)
    missing = [m for m in requested if m not in found]
    if missing:
        raise NotFound(f"未找到 {len(missing)} 条所选信息")
    if all(d.get("incident_id") == new_id for d in found.values()):
        if store.get("incidents", new_id) is None:  # an earlier call stopped before writing it: finish
            _rebuild(store, config, [incident_id, new_id], now)
            store.update("incidents", new_id, {"split_from": incident_id, "created_by": actor}, upsert=False,
                         refresh=True)
            _route_new(store, config, new_id, now)
        return GroupingResult(new_id, [], False, "这些信息已拆分为新事件")
    _require_open(source)
    strangers = [m for m, d in found.items() if d.get("incident_id") != incident_id]
    if strangers:
        raise InputError(f"所选信息中有 {len(strangers)} 条不属于该事件")
    members = _members(store, incident_id)
    moving = _with_reprints(set(requested), members)
    _leave_one(source, members, moving, "不能全部拆出（如需另立请直接处理原事件）")
    ids = sorted(moving)
    _move(store, ids, new_id, action="split", actor=actor, now=now, from_incident=incident_id)
    _rebuild(store, config, [incident_id, new_id], now)
    store.update("incidents", new_id, {"split_from": incident_id, "created_by": actor}, upsert=False, refresh=True)
    new = _incident(store, new_id)
    _record(store, incident_id, "split", actor=actor, now=now,
            reason=reason or f"拆出 {len(ids)} 条信息，另立事件「{new.title}」",
            after={"mentions": ids, "to_incident": new_id})
    _record(store, new_id, "split_from", actor=actor, now=now,
            reason=reason or f"由事件「{source.title}」拆出 {len(ids)} 条信息", after={"mentions": ids,
                                                                               "from_incident": incident_id})
    _route_new(store, config, new_id, now)
    return GroupingResult(new_id, ids, True, f"已拆出 {len(ids)} 条信息，另立事件「{new.title}」")


def merge_candidates(store: Store, incident: Incident, *, size: int = 20) -> list[Incident]:
    """Open incidents one might merge with this one: sharing its keywords or title words first, then
    the newest open ones."""
    should: list[dict[str, Any]] = [{"match": {"title": {"query": incident.title}}}]
    if incident.keywords:
        should.append({"terms": {"keywords": incident.keywords[:20], "boost": 2}})
    query = {"bool": {"filter": [{"terms": {"state": list(lifecycle.OPEN_STATES)}}],
                      "must_not": [{"ids": {"values": [incident.id]}}], "should": should}}
    resp = store.search("incidents", query=query, size=size,
                        sort=["_score", {"last_seen_at": "desc"}], source=None, track_total_hits=False)
    return [Incident.from_doc(h["_source"]) for h in resp["hits"]["hits"]]


def attach_candidates(store: Store, mention: dict[str, Any], *, size: int = 20) -> list[Incident]:
    """Open incidents a mention might belong to: sharing its keywords or title words first."""
    should: list[dict[str, Any]] = []
    if mention.get("title"):
        should.append({"match": {"title": {"query": str(mention["title"])[:200]}}})
    if mention.get("keywords"):
        should.append({"terms": {"keywords": list(mention["keywords"])[:20], "boost": 2}})
    must_not = [{"ids": {"values": [mention["incident_id"]]}}] if mention.get("incident_id") else []
    query = {"bool": {"filter": [{"terms": {"state": list(lifecycle.OPEN_STATES)}}], "must_not": must_not,
                      "should": should}}
    resp = store.search("incidents", query=query, size=size,
                        sort=["_score", {"last_seen_at": "desc"}], track_total_hits=False)
    return [Incident.from_doc(h["_source"]) for h in resp["hits"]["hits"]]


__all__ = ["GROUPING_ACTIONS_ZH", "GroupingResult", "NotFound", "attach_mention", "iso", "merge_incidents",
           "open_incident", "split_incident"]
