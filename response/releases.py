"""Releases (发布/回应): detected in the crawl of official sources, or recorded by hand.

Detection: a mention from an official source (``official: true``) whose office is the responsible
government — the incident's lead or current office, or a government office at or above one of the
incident's places — and that belongs to the incident (``incident_id`` from the analysis) or, when
the analysis did not tie it, shares keywords with it within ``clocks.yaml: release_match.window``.
A board message's office reply (in ``mention.extra``) is the release for a board-message incident.
Each release meets the incident's running clocks it satisfies, with the release as evidence.

Recording by hand requires the three-step review (承办人初审 → 承办部门负责人审核 → 单位负责人审发);
the confidentiality check (保密审查) is recorded when given.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from typing import Any, TypedDict

from response import lifecycle
from response.urgency import sync_urgency
from yuqing import places
from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import AuditEvent, Clock, Incident, Mention, Release, ReviewStep, stable_id
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

DETECT_ACTOR = "system:release-detection"
CHANNELS_ZH = {
    "website": "政府网站", "weibo": "政务微博", "wechat": "政务微信", "press_conference": "新闻发布会",
    "briefing": "媒体吹风会", "interview": "接受采访", "online_interview": "在线访谈", "hotline": "12345热线",
    "message_board": "留言板答复",
}
REVIEW_STEPS_ZH = {"drafter": "承办人初审", "office_head": "承办部门负责人审核", "unit_head": "单位负责人审发",
                   "confidentiality": "保密审查"}
REQUIRED_REVIEW_STEPS = ("drafter", "office_head", "unit_head")

# Simple cue terms: does the text state the facts, the measures, the result, and rebut a rumour?
FACT_CUES = ("经查", "经核实", "经调查", "据调查", "事件经过", "据了解", "发生", "现场", "情况通报", "通报如下")
MEASURE_CUES = ("措施", "已责成", "责令", "部署", "立即", "启动", "应急预案", "应急响应", "救援", "安置",
                "整改", "排查", "成立", "工作组", "专班", "要求", "将")
RESULT_CUES = ("处理结果", "已处理", "查处", "问责", "处分", "已解决", "已恢复", "已完成", "已移交", "立案",
               "已追回", "已发放", "已全部", "结果")
RUMOUR_CUES = ("辟谣", "谣言", "不实", "不属实", "纯属虚构", "虚假信息", "系谣传", "网传", "并非", "没有发生")


class Cues(TypedDict):
    states_facts: bool
    states_measures: bool
    states_result: bool
    rebuts_rumour: bool


def cues(text: str) -> Cues:
    """Which of the three content requirements a release text meets, and whether it rebuts a rumour."""
    rebuts = any(c in text for c in RUMOUR_CUES) and bool(re.search(r"不实|不属实|谣|虚构|虚假|并非|没有发生", text))
    return Cues(
        states_facts=any(c in text for c in FACT_CUES),
        states_measures=any(c in text for c in MEASURE_CUES),
        states_result=any(c in text for c in RESULT_CUES),
        rebuts_rumour=rebuts,
    )


def channel_of(mention: Mention) -> str:
    probe = f"{mention.source_id} {mention.url}".lower()
    if "weibo" in probe:
        return "weibo"
    if "weixin" in probe or "wechat" in probe:
        return "wechat"
    return "website"


def responsible_offices(config: Config, incident: Incident) -> set[str]:
    """Offices whose official posts count as the responsible government's release for ``incident``."""
    result = {places.root_government(config.offices).id}
    if incident.routing:
        result.add(incident.routing.lead_office)
    if incident.assigned_office:
        result.add(incident.assigned_office)
    codes = list(incident.place_codes) or [p.code for p in incident.places if p.code]
    above: set[str] = set()
    for code in codes:
        above.update(places.ancestors(config.offices, code))
    for office in config.offices.offices:
        if office.kind == "government" and office.jurisdiction in above:
            result.add(office.id)
    return result


def _office_id(config: Config, name_or_id: str | None) -> str | None:
    if not name_or_id:
        return None
    text = name_or_id.strip()
    for office in config.offices.offices:
        if text in (office.id, office.name):
            return office.id
    for office in config.offices.offices:
        if office.name in text or text in office.name:
            return office.id
    return None


def _has_press_conference(config: Config, text: str) -> bool:
    return any(t in text for t in config.clocks.release_match.press_conference_terms)


def release_from_mention(config: Config, incident: Incident, mention: Mention, *, now: dt.datetime) -> Release | None:
    """The release a mention represents for ``incident``, or None when it is not one."""
    if mention.doc_type == "board_message":
        reply_text = str(mention.extra.get("reply_text") or mention.extra.get("reply") or "").strip()
        reply_at = parse_ts(mention.extra.get("reply_at") or mention.extra.get("replied_at") or None)
        if not reply_text or reply_at is None:
            return None
        office = (_office_id(config, mention.extra.get("reply_office"))
                  or incident.assigned_office or (incident.routing.lead_office if incident.routing else None))
        if office is None:
            return None
        flags = cues(reply_text)
        return Release(id=stable_id("release", incident.id, mention.id), incident_id=incident.id, office=office,
                       channel="message_board", url=mention.url, title=f"答复：{mention.title}"[:200],
                       published_at=reply_at, detected=True, mention_id=mention.id, recorded_by=DETECT_ACTOR,
                       recorded_at=now, **flags)
    if not mention.official or mention.office not in responsible_offices(config, incident):
        return None
    text = f"{mention.title}\n{mention.text}"
    flags = cues(text)
    return Release(
        id=stable_id("release", incident.id, mention.id), incident_id=incident.id, office=mention.office,
        channel=channel_of(mention), url=mention.url, title=mention.title[:200],
        published_at=mention.published_at or mention.crawled_at, detected=True, mention_id=mention.id,
        press_conference=_has_press_conference(config, text), recorded_by=DETECT_ACTOR, recorded_at=now, **flags,
    )


def _satisfies(clock: Clock, release: Release) -> bool:
    if clock.met_by == "press_conference":
        return release.press_conference or release.channel == "press_conference"
    if clock.met_by == "reply":
        return release.channel in ("message_board", "hotline") or release.detected is False
    return True


def meet_clocks(store: Store, release: Release, *, actor: str, now: dt.datetime) -> list[Clock]:
    """Mark the incident's clocks that ``release`` satisfies: met when on time, else missed with the
    late release as evidence. A clock the sweep marked missed while the release (published before
    the deadline) waited to be detected is corrected to met."""
    docs = store.find("clocks", {"bool": {"filter": [{"term": {"incident_id": release.incident_id}},
                                                      {"terms": {"state": ["running", "missed"]}}]}}, size=100)
    changed = []
    for doc in docs:
        clock = Clock.from_doc(doc)
        if clock.met_at is not None or not _satisfies(clock, release):
            continue
        on_time = release.published_at <= clock.due_at
        if clock.state == "missed" and not on_time:
            continue
        evidence: dict[str, Any] = {"release_id": release.id, "url": release.url, "channel": release.channel,
                    "office": release.office, "title": release.title, "published_at": iso(release.published_at),
                    "mention_id": release.mention_id, "detected": release.detected}
        if not on_time:
            late = release.published_at - clock.due_at
            evidence["late_by_minutes"] = int(late.total_seconds() // 60)
        partial: dict[str, Any] = {"state": "met" if on_time else "missed", "met_at": iso(release.published_at),
                                   "evidence": evidence}
        if not on_time:
            partial["missed_at"] = iso(clock.due_at)
        if _conditional_update(store, clock.id, partial, expect_states=("running", "missed")):
            changed.append(clock.model_copy(update={"state": partial["state"], "met_at": release.published_at}))
            event = AuditEvent(
                id=stable_id("clock", clock.id, "met" if on_time else "met_late", actor, iso(now)), entity="clock",
                entity_id=clock.id, action="met" if on_time else "met_late", actor=actor, at=now,
                reason=f"{clock.name_zh}：由发布「{release.title}」"
                       f"（{CHANNELS_ZH.get(release.channel, release.channel)}）"
                       + ("按时完成" if on_time else f"完成，超时{evidence['late_by_minutes']}分钟"),
                before={"state": clock.state}, after={"state": partial["state"], "release_id": release.id})
            store.put("audit", event.id, event.to_doc())
    if changed:
        store.refresh("clocks")
        sync_urgency(store, [release.incident_id])
    return changed


def _conditional_update(store: Store, clock_id: str, partial: dict[str, Any], *,
                        expect_states: tuple[str, ...]) -> bool:
    for _ in range(5):
        got = store.get_versioned("clocks", clock_id)
        if got is None:
            return False
        doc, seq_no, term = got
        if doc.get("state") not in expect_states or doc.get("met_at"):
            return False
        try:
            store.put("clocks", clock_id, {**doc, **partial}, if_seq_no=seq_no, if_primary_term=term)
            return True
        except ConflictError:
            continue
    return False


def store_release(store: Store, config: Config, incident: Incident, release: Release, *, actor: str,
                  now: dt.datetime, created_action: str) -> tuple[bool, list[Clock]]:
    """Write ``release`` (once), meet the clocks it satisfies and move the incident to released."""
    created = store.create("releases", release.id, release.to_doc())
    if created:
        event = AuditEvent(id=stable_id("release", release.id, created_action, actor, iso(now)), entity="release",
                           entity_id=release.id, action=created_action, actor=actor, at=now,
                           reason=f"{CHANNELS_ZH.get(release.channel, release.channel)}：{release.title}",
                           after={"incident_id": release.incident_id, "office": release.office,
                                  "url": release.url, "published_at": iso(release.published_at)})
        store.put("audit", event.id, event.to_doc())
    met = meet_clocks(store, release, actor=actor, now=now)
    store.refresh("releases", "clocks", "audit")
    current = store.get("incidents", incident.id)
    state = current.get("state") if current else None
    if state in lifecycle.TRANSITIONS["record_release"][0] and state != "released":
        lifecycle.apply(store, config, incident.id, "record_release", actor=actor, now=now,
                        reason=f"已发布回应：{release.title}")
    return created, met


def record_release(store: Store, config: Config, incident_id: str, *, actor: str, now: dt.datetime, office: str,
                   channel: str, url: str | None, title: str, published_at: dt.datetime, reviews: list[ReviewStep],
                   states_facts: bool = False, states_measures: bool = False, states_result: bool = False,
                   rebuts_rumour: bool = False, press_conference: bool | None = None) -> Release:
    """Record a release made by hand; rejected unless the three review steps were all approved."""
    missing = [REVIEW_STEPS_ZH[s] for s in REQUIRED_REVIEW_STEPS
               if not any(r.step == s and r.reviewer.strip() and r.approved for r in reviews)]
    if missing:
        raise InputError("发布前须完成三级审核（先审查、后公开）：缺少" + "、".join(missing)
                         + " / a release needs the three review steps before publication")
    if channel not in CHANNELS_ZH:
        raise InputError(f"未知发布渠道：{channel}（可选：{'、'.join(CHANNELS_ZH)}）/ unknown channel {channel!r}")
    if url and not url.startswith(("http://", "https://")):
        raise InputError("发布链接须以 http:// 或 https:// 开头 / the URL must start with http:// or https://")
    try:
        config.offices.office(office)
    except KeyError as exc:
        raise InputError(f"未知处置单位：{office} / unknown office {office!r}") from exc
    doc = store.get("incidents", incident_id)
    if doc is None:
        raise InputError(f"事件不存在：{incident_id} / no incident {incident_id!r}")
    incident = Incident.from_doc(doc)
    lifecycle.check(incident, "record_release")
    ordered = sorted(reviews, key=lambda r: r.at)
    for earlier, later in itertools.pairwise(ordered):
        if earlier.step == "unit_head" and later.step in ("drafter", "office_head"):
            raise InputError("审核顺序应为承办人初审 → 承办部门负责人审核 → 单位负责人审发 / review steps out of order")
    if any(r.at > published_at for r in reviews):
        raise InputError("审核须在发布之前完成（先审查、后公开）/ reviews must precede publication")
    release = Release(
        id=stable_id("release", incident_id, channel, url or "", iso(published_at)), incident_id=incident_id,
        office=office, channel=channel, url=url, title=title, published_at=published_at, detected=False,
        reviews=reviews, states_facts=states_facts, states_measures=states_measures, states_result=states_result,
        rebuts_rumour=rebuts_rumour,
        press_conference=channel == "press_conference" if press_conference is None else press_conference,
        recorded_by=actor, recorded_at=now,
    )
    store_release(store, config, incident, release, actor=actor, now=now, created_action="record")
    return release


def detect_releases(store: Store, config: Config, incidents: list[Incident], *, now: dt.datetime) -> tuple[int, int]:
    """Link official posts (and board replies) to open incidents; returns (releases new, clocks met)."""
    if not incidents:
        return 0, 0
    by_id = {i.id: i for i in incidents}
    candidates: dict[str, list[Mention]] = {}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        query = {"bool": {"filter": [{"terms": {"incident_id": chunk}}],
                          "should": [{"term": {"official": True}}, {"term": {"doc_type": "board_message"}}],
                          "minimum_should_match": 1}}
        for doc in store.scan("mentions", query):
            m = _mention(doc)
            if m is not None and m.incident_id:
                candidates.setdefault(m.incident_id, []).append(m)
    _match_untied(store, config, incidents, now, candidates)
    new_releases = clocks_met = 0
    for incident_id, mentions in candidates.items():
        incident = by_id[incident_id]
        for mention in sorted(mentions, key=lambda m: (m.published_at or m.crawled_at, m.id)):
            release = release_from_mention(config, incident, mention, now=now)
            if release is None:
                continue
            created, met = store_release(store, config, incident, release, actor=DETECT_ACTOR, now=now,
                                         created_action="detect")
            new_releases += int(created)
            clocks_met += len(met)
    return new_releases, clocks_met


def _mention(doc: dict[str, Any]) -> Mention | None:
    try:
        return Mention.from_doc(doc)
    except ValueError:
        log.warning("skipping unreadable mention %s", doc.get("id"))
        return None


def _match_untied(store: Store, config: Config, incidents: list[Incident], now: dt.datetime,
                  candidates: dict[str, list[Mention]]) -> None:
    """Official posts the analysis did not tie to an incident, matched by shared keywords in the window."""
    rm = config.clocks.release_match
    window = rm.window.as_timedelta() if not rm.window.is_working_days else dt.timedelta(days=rm.window.amount * 2)
    live = [i for i in incidents if i.keywords and i.first_seen_at + window >= now]
    if not live:
        return
    since = min(i.first_seen_at for i in live) - dt.timedelta(days=1)
    query = {"bool": {"filter": [{"term": {"official": True}}, {"range": {"published_at": {"gte": iso(since)}}}],
                      "must_not": [{"exists": {"field": "incident_id"}}]}}
    for doc in store.scan("mentions", query):
        mention = _mention(doc)
        if mention is None or mention.published_at is None:
            continue
        text = f"{mention.title}\n{mention.text}"
        for incident in live:
            if not (incident.first_seen_at - dt.timedelta(days=1) <= mention.published_at
                    <= incident.first_seen_at + window):
                continue
            shared = {k for k in incident.keywords if k in mention.keywords or k in text}
            if len(shared) >= rm.min_shared_keywords:
                candidates.setdefault(incident.id, []).append(mention)
