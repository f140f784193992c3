"""Releases (发布/回应): detected in the crawl of official sources, or recorded by hand; their kind,
their match to an incident, their review and what they state.

**Kind.** Each release has a kind (``config/releases.yaml: kinds``): 情况通报, 通告, 警情通报, an
account's statement, 辟谣, 新闻发布会, 政策解读, 答复 — classified from the headline, else (a
numbered document, 文号) a policy document, else from the text. Each clock rule names the kinds that
meet it (``clocks.yaml: release_kinds``); a policy document meets none, and the item that opened a
clock never meets it.

**Match.** A detected post answers an incident when it comes from an official source of the side
that must answer (the responsible government for incident clocks; the body that issued the document,
or a government above it, for the policy-interpretation clock), is published after the clock opened,
and refers to the incident: the analysis grouped it there, it shares the incident's keywords, it
cites the document's 文号 or names its title. The evidence is weighed into a score with its reasons.
At or above ``match.meet_at`` the release meets the clocks of its kind; between ``match.confirm_at``
and ``meet_at`` it is 待确认 (pending): the office confirms or rejects it (:func:`decide_release`),
and only a confirmation meets the clock — at the release's publication time, since the deadline is
about when the public was told, not when the office clicked.

**Review.** Publishing needs the three-step review (承办人初审 → 承办部门负责人审核 → 单位负责人审发,
002 (五)) by three different people, each holding the role for that step in ``offices.yaml:
reviewers`` of the publishing office, in that order and before publication (:func:`check_reviews`).
A release recorded by hand carries its review; a detected one is "已发布，未记录审核" until the
office records it (:func:`record_review`).

**Content.** Facts, measures, handling result and rebuttal are judged sentence by sentence from the
text with the cue lists of ``releases.yaml: content``; the sentences are kept as evidence.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import re
from typing import Any, Literal, TypedDict

from response import lifecycle
from response.urgency import sync_urgency
from yuqing import labels, places
from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.config.clocks import ClockRule
from yuqing.config.releases import CONTENT_PART_ZH, OTHER_KIND, POLICY_DOCUMENT_KIND
from yuqing.errors import InputError
from yuqing.models import (
    RELEASE_STATUS_ZH,
    REVIEW_NOT_RECORDED_ZH,
    AuditEvent,
    Clock,
    Incident,
    Mention,
    Release,
    ReviewStep,
    stable_id,
)
from yuqing.storage import ConflictError, Store

log = logging.getLogger(__name__)

DETECT_ACTOR = "system:release-detection"
CHANNELS_ZH = labels.RELEASE_CHANNEL_ZH
REVIEW_STEPS_ZH = labels.REVIEW_STEP_ZH
REQUIRED_REVIEW_STEPS = ("drafter", "office_head", "unit_head")
CONTENT_PARTS = ("facts", "measures", "result", "rebuttal")
# A release recorded by hand keeps its text; an index created before the field existed maps it as a
# keyword, whose values must stay under 32,766 bytes (3 bytes per Chinese character).
MAX_TEXT = 10_000
_ACCOUNT_CHANNELS = ("weibo", "wechat")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")
_HEADLINE = re.compile(r"^\s*【([^】]{2,80})】")
_DOC_TITLE = re.compile(r"关于(?:印发|公布|发布|转发)?(.+?)的(?:通知|意见|决定|公告|批复)$")
__all__ = ["REVIEW_NOT_RECORDED_ZH", "check_reviews", "classify", "decide_release", "detect_releases",
           "judge_content", "record_release", "record_review"]


# -- kind and content ----------------------------------------------------------------------------------


def headline(title: str, text: str) -> str:
    """The line a post is known by: a page's title; a microblog post's 【…】 headline or first sentence."""
    title, text = title.strip(), text.strip()
    is_post = not title or (text and text.startswith(title[:20]))
    if not is_post:
        return title
    body = text or title
    match = _HEADLINE.match(body)
    if match:
        return match.group(1)
    return re.split(r"[。！？!?\n]", body, maxsplit=1)[0][:80]


def classify(config: Config, *, title: str, text: str, doc_no: str | None = None,
             account: bool = False) -> tuple[str, str]:
    """The release kind of a post and the reason (the cue found, or the 文号)."""
    kinds = config.releases.kinds
    head = headline(title, text)
    for kind in kinds:
        for cue in kind.title_cues:
            if cue in head:
                return kind.id, f"标题含「{cue}」"
    if doc_no:
        return POLICY_DOCUMENT_KIND, f"带文号的政策文件（{doc_no}）"
    for kind in kinds:
        for cue in kind.text_cues:
            if cue in text:
                return kind.id, f"正文含「{cue}」"
    if account:
        for kind in kinds:
            if kind.default_for_accounts:
                return kind.id, "政务账号发布的说明"
    return OTHER_KIND, "未识别发布类型"


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]


def judge_content(config: Config, text: str, *, limit: int = 3) -> dict[str, list[str]]:
    """For each content part the release states, the sentences that state it (at most ``limit``)."""
    cues = config.releases.content
    found: dict[str, list[str]] = {}
    for sentence in sentences(text):
        for part in CONTENT_PARTS:
            if any(c in sentence for c in cues.cues(part)) and len(found.get(part, [])) < limit:
                found.setdefault(part, []).append(sentence[:160])
    return found


class _Flags(TypedDict):
    states_facts: bool
    states_measures: bool
    states_result: bool
    rebuts_rumour: bool


def _flags(content: dict[str, list[str]]) -> _Flags:
    return _Flags(states_facts="facts" in content, states_measures="measures" in content,
                  states_result="result" in content, rebuts_rumour="rebuttal" in content)


def missing_parts(config: Config, handling_kind: str | None, releases: list[Release]) -> list[str]:
    """The parts the incident's handling kind requires that none of its counted releases states."""
    stated = {part for r in releases if r.counts for part in r.content}
    return config.releases.missing_parts(handling_kind, stated)


def missing_parts_zh(config: Config, handling_kind: str | None, releases: list[Release]) -> str:
    missing = missing_parts(config, handling_kind, releases)
    return "、".join(CONTENT_PART_ZH[p] for p in missing)


# -- who may publish -----------------------------------------------------------------------------------


def channel_of(mention: Mention) -> str:
    probe = f"{mention.source_id} {mention.url}".lower()
    if "weibo" in probe:
        return "weibo"
    if "weixin" in probe or "wechat" in probe:
        return "wechat"
    return "website"


def responsible_offices(config: Config, incident: Incident) -> set[str]:
    """Offices whose official posts count as the responsible side's release for ``incident``."""
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


def issuer_offices(config: Config, issuer: str | None) -> set[str]:
    """The body that issued a document and the governments above it (a department's own government
    and every government above its jurisdiction)."""
    if not issuer:
        return set()
    try:
        office = config.offices.office(issuer)
    except KeyError:
        return {issuer}
    chain = places.ancestors(config.offices, office.jurisdiction)
    if office.kind == "government":
        chain = chain[1:]  # above the issuing government itself
    result = {issuer}
    for other in config.offices.offices:
        if other.kind == "government" and other.jurisdiction in chain:
            result.add(other.id)
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


# -- the match score -------------------------------------------------------------------------------------


def document_title(title: str) -> str:
    """The name of a policy document inside its notice title (关于印发《X》的通知 → X)."""
    core = title.strip()
    match = _DOC_TITLE.search(core)
    if match:
        core = match.group(1)
    return core.strip("《》 ")


def match_score(config: Config, incident: Incident, mention: Mention,
                document: Mention | None) -> tuple[float, list[str]]:
    """How sure it is that ``mention`` refers to ``incident`` (0–1), with the reasons."""
    rule = config.releases.match
    text = f"{mention.title}\n{mention.text}"
    score, reasons = 0.0, []
    if mention.incident_id == incident.id:
        score += rule.tied_weight
        reasons.append(f"分析已将其归入该事件（+{rule.tied_weight:g}）")
    shared = [k for k in incident.keywords if k in mention.keywords or k in text]
    if shared:
        gain = min(rule.keyword_cap, rule.keyword_weight * len(shared))
        score += gain
        reasons.append(f"共有关键词{len(shared)}个：{'、'.join(shared[:8])}（+{gain:g}）")
    if document is not None and document.id != mention.id:
        doc_no = str(document.extra.get("doc_no") or "").strip()
        if doc_no and doc_no in text:
            score += rule.doc_no_weight
            reasons.append(f"引用文号{doc_no}（+{rule.doc_no_weight:g}）")
        name = document_title(document.title)
        if len(name) >= 6 and name in text:
            score += rule.doc_title_weight
            reasons.append(f"提及文件《{name}》（+{rule.doc_title_weight:g}）")
    return round(min(1.0, score), 3), reasons


def _status(config: Config, score: float) -> Literal["matched", "pending"] | None:
    rule = config.releases.match
    if score >= rule.meet_at:
        return "matched"
    if score >= rule.confirm_at:
        return "pending"
    return None


def release_from_mention(config: Config, incident: Incident, mention: Mention, *, now: dt.datetime,
                         document: Mention | None = None) -> Release | None:
    """The release a mention represents for ``incident``, or None when it is not one.

    ``document`` is the item that opened the incident's trigger clock (the policy document), when
    there is one: its issuer may publish the interpretation and its 文号/title count as references.
    """
    if mention.doc_type == "board_message":
        reply_text = str(mention.extra.get("reply_text") or mention.extra.get("reply") or "").strip()
        reply_at = parse_ts(mention.extra.get("reply_at") or mention.extra.get("replied_at") or None)
        if not reply_text or reply_at is None or mention.incident_id != incident.id:
            return None
        office = (_office_id(config, mention.extra.get("reply_office"))
                  or incident.assigned_office or (incident.routing.lead_office if incident.routing else None))
        if office is None:
            return None
        content = judge_content(config, reply_text)
        return Release(id=stable_id("release", incident.id, mention.id), incident_id=incident.id, office=office,
                       channel="message_board", url=mention.url, title=f"答复：{mention.title}"[:200],
                       published_at=reply_at, detected=True, mention_id=mention.id, recorded_by=DETECT_ACTOR,
                       recorded_at=now, release_kind="reply", kind_cue="留言板答复", status="matched", match_score=1.0,
                       match_reasons=["同一留言的办理答复"], content=content, **_flags(content))
    if not mention.official or not mention.office:
        return None
    allowed = responsible_offices(config, incident)
    if document is not None:
        allowed |= issuer_offices(config, document.office)
    if mention.office not in allowed:
        return None
    if document is not None and mention.id == document.id:
        return None  # the document that opened the clock is not an answer to itself
    channel = channel_of(mention)
    text = f"{mention.title}\n{mention.text}"
    kind, cue = classify(config, title=mention.title, text=mention.text,
                         doc_no=str(mention.extra.get("doc_no") or "") or None, account=channel in _ACCOUNT_CHANNELS)
    if kind == POLICY_DOCUMENT_KIND:
        return None  # a policy document opens clocks; it answers none
    score, reasons = match_score(config, incident, mention, document)
    status = _status(config, score)
    if status is None:
        return None
    content = judge_content(config, text)
    return Release(
        id=stable_id("release", incident.id, mention.id), incident_id=incident.id, office=mention.office,
        channel=channel, url=mention.url, title=mention.title[:200],
        published_at=mention.published_at or mention.crawled_at, detected=True, mention_id=mention.id,
        press_conference=kind == "press_conference", recorded_by=DETECT_ACTOR, recorded_at=now, release_kind=kind,
        kind_cue=cue, status=status, match_score=score, match_reasons=reasons, content=content, **_flags(content),
    )


# -- meeting clocks ----------------------------------------------------------------------------------------


def _rule_kinds(config: Config, clock: Clock) -> tuple[ClockRule | None, list[str]]:
    rule = config.clocks.rule(clock.rule_id)
    if rule is not None:
        return rule, rule.release_kinds
    return None, [k for k in clock.met_by.split(",") if k]


def meets(config: Config, clock: Clock, release: Release, incident: Incident | None,
          document: Mention | None) -> tuple[bool, str]:
    """Whether ``release`` can meet ``clock`` (kind, publisher, time window, not the opening item), and why not."""
    rule, kinds = _rule_kinds(config, clock)
    zh = config.releases.kind_zh
    if release.release_kind not in kinds:
        return False, f"发布类型为{zh(release.release_kind)}，该时限须{'/'.join(zh(k) for k in kinds)}"
    # The window opens with the event: for a document or board item, its publication (the clock's
    # start); for an incident, its first appearance — a clock opened later (say after a level
    # upgrade) is still met by a release published since the incident began.
    start = clock.opened_at
    if rule is not None and rule.applies.trigger == "incident" and incident is not None:
        start = min(start, incident.first_seen_at)
    if release.published_at < start:
        return False, "发布早于事件发生或文件公开"
    opener = document.id if document is not None else (incident.first_mention_id if incident else None)
    if release.mention_id and release.mention_id == opener and release.channel != "message_board":
        return False, "引发时限的信息本身不能完成该时限"
    if release.detected and rule is not None:
        if rule.publisher == "issuer":
            if release.office not in issuer_offices(config, document.office if document is not None else None):
                return False, "非文件制发机关或其上级机关发布"
        elif incident is not None and release.office not in responsible_offices(config, incident):
            return False, "非负有回应责任的属地政府或处置单位发布"
    return True, ""


def meet_clocks(store: Store, config: Config, release: Release, *, actor: str, now: dt.datetime,
                incident: Incident | None = None, document: Mention | None = None) -> list[Clock]:
    """Mark the incident's clocks that ``release`` meets: met when on time, else missed with the late
    release as evidence. A clock the sweep marked missed while the release (published before the
    deadline) waited to be detected or confirmed is corrected to met. Only a counted release
    (matched, or confirmed by the office) meets anything."""
    if not release.counts:
        return []
    docs = store.find("clocks", {"bool": {"filter": [{"term": {"incident_id": release.incident_id}},
                                                      {"terms": {"state": ["running", "missed"]}}]}}, size=100)
    changed = []
    for doc in docs:
        clock = Clock.from_doc(doc)
        if clock.met_at is not None:
            continue
        ok, _ = meets(config, clock, release, incident, document)
        if not ok:
            continue
        on_time = release.published_at <= clock.due_at
        if clock.state == "missed" and not on_time:
            continue
        evidence: dict[str, Any] = {
            "release_id": release.id, "url": release.url, "channel": release.channel, "office": release.office,
            "title": release.title, "published_at": iso(release.published_at), "mention_id": release.mention_id,
            "detected": release.detected, "kind": release.release_kind,
            "kind_zh": config.releases.kind_zh(release.release_kind),
            "kind_cue": release.kind_cue, "score": release.match_score, "reasons": release.match_reasons,
            "status": release.status,
        }
        if release.status == "confirmed":
            evidence["confirmed_by"] = release.decided_by
            evidence["confirmed_at"] = iso(release.decided_at)
        if not on_time:
            late = release.published_at - clock.due_at
            evidence["late_by_minutes"] = int(late.total_seconds() // 60)
        partial: dict[str, Any] = {"state": "met" if on_time else "missed", "met_at": iso(release.published_at),
                                   "evidence": evidence}
        if not on_time:
            partial["missed_at"] = iso(clock.due_at)
        if _conditional_update(store, clock.id, partial, expect_states=("running", "missed")):
            changed.append(clock.model_copy(update={"state": partial["state"], "met_at": release.published_at}))
            how = "按时完成" if on_time else f"完成，超时{evidence['late_by_minutes']}分钟"
            via = (f"（{config.releases.kind_zh(release.release_kind)}，"
                   f"{CHANNELS_ZH.get(release.channel, release.channel)}")
            via += f"，匹配度{release.match_score:g}）" if release.match_score is not None else "）"
            event = AuditEvent(
                id=stable_id("clock", clock.id, "met" if on_time else "met_late", actor, iso(now)), entity="clock",
                entity_id=clock.id, action="met" if on_time else "met_late", actor=actor, at=now,
                reason=f"{clock.name_zh}：由发布「{release.title}」{via}{how}",
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


def _release_audit(store: Store, release: Release, action: str, *, actor: str, now: dt.datetime, reason: str,
                   before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    event = AuditEvent(id=stable_id("release", release.id, action, actor, iso(now)), entity="release",
                       entity_id=release.id, action=action, actor=actor, at=now, reason=reason,
                       before=before or {}, after=after or {})
    store.put("audit", event.id, event.to_doc())


def _mark_released(store: Store, config: Config, incident_id: str, release: Release, *, actor: str,
                   now: dt.datetime) -> None:
    current = store.get("incidents", incident_id)
    state = current.get("state") if current else None
    if state in lifecycle.TRANSITIONS["record_release"][0] and state != "released":
        lifecycle.apply(store, config, incident_id, "record_release", actor=actor, now=now,
                        reason=f"已发布回应：{release.title}")


def store_release(store: Store, config: Config, incident: Incident, release: Release, *, actor: str,
                  now: dt.datetime, created_action: str, document: Mention | None = None) -> tuple[bool, list[Clock]]:
    """Write ``release`` (once; an office's decision on a stored one is kept), meet the clocks it
    satisfies and move the incident to released. A pending release waits for the office."""
    created = store.create("releases", release.id, release.to_doc())
    stored = release
    if created:
        kind_zh = config.releases.kind_zh(release.release_kind)
        score = f"，匹配度{release.match_score:g}" if release.match_score is not None else ""
        pending = "，待处置单位确认" if release.status == "pending" else ""
        _release_audit(store, release, created_action if release.status != "pending" else "detect_pending",
                       actor=actor, now=now,
                       reason=f"{kind_zh}（{CHANNELS_ZH.get(release.channel, release.channel)}）：{release.title}"
                              f"{score}{pending}",
                       after={"incident_id": release.incident_id, "office": release.office, "url": release.url,
                              "published_at": iso(release.published_at), "kind": release.release_kind,
                              "status": release.status, "score": release.match_score,
                              "reasons": release.match_reasons})
    else:
        doc = store.get("releases", release.id)
        stored = Release.from_doc(doc) if doc else release
        if stored.status == "pending" and release.status == "matched":
            # Stronger evidence since (e.g. the analysis tied the post): it no longer needs confirming.
            stored = stored.model_copy(update={"status": "matched", "match_score": release.match_score,
                                               "match_reasons": release.match_reasons})
            store.put("releases", stored.id, stored.to_doc())
            _release_audit(store, stored, "match", actor=actor, now=now,
                           reason=f"匹配度升至{release.match_score:g}，不再需要确认", before={"status": "pending"},
                           after={"status": "matched"})
    met = meet_clocks(store, config, stored, actor=actor, now=now, incident=incident, document=document)
    store.refresh("releases", "clocks", "audit")
    if stored.counts:
        _mark_released(store, config, incident.id, stored, actor=actor, now=now)
    return created, met


# -- the office's decisions -----------------------------------------------------------------------------


def _load_release(store: Store, release_id: str) -> tuple[Release, int, int]:
    got = store.get_versioned("releases", release_id)
    if got is None:
        raise InputError(f"发布记录不存在：{release_id} / no release {release_id!r}")
    doc, seq_no, term = got
    return Release.from_doc(doc), seq_no, term


def _document_for(store: Store, incident: Incident) -> Mention | None:
    if not (incident.policy_document or incident.board_message):
        return None
    doc = store.get("mentions", incident.first_mention_id)
    return _mention(doc) if doc else None


def decide_release(store: Store, config: Config, release_id: str, decision: str, *, actor: str, now: dt.datetime,
                   reason: str = "") -> Release:
    """The office confirms (``confirm``) or rejects (``reject``) a pending (待确认) release. Only a
    confirmation meets clocks, at the release's own publication time; both are audited."""
    if decision not in ("confirm", "reject"):
        raise InputError(f"未知操作：{decision}（可选 confirm 确认 / reject 否认）")
    release, seq_no, term = _load_release(store, release_id)
    if release.status != "pending":
        raise InputError(f"该发布不是待确认状态（当前：{RELEASE_STATUS_ZH.get(release.status, release.status)}），"
                         f"无需确认 / release {release_id} is {release.status}, not pending")
    doc = store.get("incidents", release.incident_id)
    if doc is None:
        raise InputError(f"事件不存在：{release.incident_id}")
    incident = Incident.from_doc(doc)
    if decision == "confirm":
        lifecycle.check(incident, "record_release")
    status = "confirmed" if decision == "confirm" else "rejected"
    updated = release.model_copy(update={"status": status, "decided_by": actor, "decided_at": now,
                                         "decision_reason": reason.strip() or None})
    try:
        store.put("releases", release.id, updated.to_doc(), if_seq_no=seq_no, if_primary_term=term)
    except ConflictError as exc:
        raise InputError("该发布刚被他人处理，请刷新后重试 / the release changed meanwhile") from exc
    word = "确认" if decision == "confirm" else "否认"
    _release_audit(store, updated, decision, actor=actor, now=now,
                   reason=f"{word}「{release.title}」回应该事件" + (f"：{reason.strip()}" if reason.strip() else ""),
                   before={"status": "pending"}, after={"status": status})
    if decision == "confirm":
        meet_clocks(store, config, updated, actor=actor, now=now, incident=incident,
                    document=_document_for(store, incident))
        store.refresh("releases", "clocks", "audit")
        _mark_released(store, config, incident.id, updated, actor=actor, now=now)
    store.refresh("releases", "audit")
    return updated


def check_reviews(config: Config, office_id: str, reviews: list[ReviewStep], *, published_at: dt.datetime,
                  now: dt.datetime) -> list[ReviewStep]:
    """The three-step review, checked: each step once and approved, three different people, each
    holding that step's role for ``office_id`` (offices.yaml reviewers), in order, and none later
    than publication or than now. Returns the steps in order; raises InputError with the reason."""
    try:
        office = config.offices.office(office_id)
    except KeyError as exc:
        raise InputError(f"未知处置单位：{office_id} / unknown office {office_id!r}") from exc
    by_step: dict[str, ReviewStep] = {}
    for r in reviews:
        person = r.reviewer.strip()
        if not person:
            continue
        if r.step in by_step:
            raise InputError(f"「{REVIEW_STEPS_ZH[r.step]}」只能登记一次 / step {r.step} given twice")
        by_step[r.step] = r.model_copy(update={"reviewer": person})
    missing = [REVIEW_STEPS_ZH[s] for s in REQUIRED_REVIEW_STEPS if s not in by_step]
    if missing:
        raise InputError("发布前须完成三级审核（先审查、后公开）：缺少" + "、".join(missing)
                         + " / a release needs the three review steps before publication")
    refused = [REVIEW_STEPS_ZH[s] for s, r in by_step.items() if not r.approved]
    if refused:
        raise InputError("、".join(refused) + "未通过，不能发布 / a review step was not approved")
    seen: dict[str, str] = {}
    for step, r in by_step.items():
        if r.reviewer in seen:
            raise InputError(f"三级审核须由三名不同人员分别完成：「{r.reviewer}」同时登记为{seen[r.reviewer]}和"
                             f"{REVIEW_STEPS_ZH[step]} / each review step needs a different person")
        seen[r.reviewer] = REVIEW_STEPS_ZH[step]
    if not office.reviewers:
        raise InputError(f"处置单位「{office.name}」未配置审核人员（config/offices.yaml "
                         f"offices({office.id}).reviewers），无法登记审核 / office {office.id} has no reviewers")
    for step, r in by_step.items():
        if not office.may_review(step, r.reviewer):
            holders = "、".join(office.reviewers.get(step, [])) or "无"  # type: ignore[call-overload]
            raise InputError(f"「{r.reviewer}」不具有{office.name}「{REVIEW_STEPS_ZH[step]}」的审核权限"
                             f"（可承担该步骤的人员：{holders}）/ {r.reviewer} may not sign step {step}")
    order = [by_step[s] for s in REQUIRED_REVIEW_STEPS]
    for earlier, later in itertools.pairwise(order):
        if later.at < earlier.at:
            raise InputError(f"审核顺序应为承办人初审 → 承办部门负责人审核 → 单位负责人审发："
                             f"{REVIEW_STEPS_ZH[later.step]}（{iso(later.at)}）早于{REVIEW_STEPS_ZH[earlier.step]}"
                             f"（{iso(earlier.at)}）/ review steps out of order")
    for r in by_step.values():
        if r.at > published_at:
            raise InputError(f"审核须在发布之前完成（先审查、后公开）：{REVIEW_STEPS_ZH[r.step]}时间{iso(r.at)}晚于"
                             f"发布时间{iso(published_at)} / reviews must precede publication")
        if r.at > now:
            raise InputError(f"{REVIEW_STEPS_ZH[r.step]}时间{iso(r.at)}晚于当前时间 / a review time is in the future")
    rest = [by_step[s] for s in by_step if s not in REQUIRED_REVIEW_STEPS]
    return order + rest


def record_review(store: Store, config: Config, release_id: str, *, reviews: list[ReviewStep], actor: str,
                  now: dt.datetime) -> Release:
    """Record the review of a detected release (published, review not recorded); checked as for a
    release recorded by hand. A review once recorded is not replaced."""
    release, seq_no, term = _load_release(store, release_id)
    if release.reviews:
        raise InputError("该发布的审核已登记，不能重复登记 / the review of this release is already recorded")
    ordered = check_reviews(config, release.office, reviews, published_at=release.published_at, now=now)
    updated = release.model_copy(update={"reviews": ordered, "review_recorded_by": actor, "review_recorded_at": now})
    try:
        store.put("releases", release.id, updated.to_doc(), if_seq_no=seq_no, if_primary_term=term)
    except ConflictError as exc:
        raise InputError("该发布刚被他人修改，请刷新后重试 / the release changed meanwhile") from exc
    _release_audit(store, updated, "record_review", actor=actor, now=now,
                   reason="登记三级审核：" + "，".join(f"{REVIEW_STEPS_ZH[r.step]} {r.reviewer}（{iso(r.at)}）"
                                                  for r in ordered),
                   after={"reviews": [r.model_dump(mode="json") for r in ordered]})
    store.refresh("releases", "audit")
    return updated


# -- recording by hand --------------------------------------------------------------------------------


def record_release(store: Store, config: Config, incident_id: str, *, actor: str, now: dt.datetime, office: str,
                   channel: str, url: str | None, title: str, published_at: dt.datetime, reviews: list[ReviewStep],
                   text: str = "", kind: str | None = None) -> Release:
    """Record a release made by hand with its three-step review (see :func:`check_reviews`). Its kind
    is given, or the channel's (press conference, message-board reply), or classified from the title
    and text; what it states is judged from ``text``."""
    if channel not in CHANNELS_ZH:
        raise InputError(f"未知发布渠道：{channel}（可选：{'、'.join(CHANNELS_ZH)}）/ unknown channel {channel!r}")
    if url and not url.startswith(("http://", "https://")):
        raise InputError("发布链接须以 http:// 或 https:// 开头 / the URL must start with http:// or https://")
    try:
        config.offices.office(office)
    except KeyError as exc:
        raise InputError(f"未知处置单位：{office} / unknown office {office!r}") from exc
    if len(text) > MAX_TEXT:
        raise InputError(f"发布内容过长（{len(text)}字，最多{MAX_TEXT}字）/ release text too long")
    known = config.releases.kind_ids()
    if kind and kind not in known:
        raise InputError(f"未知发布类型：{kind}（可选：{'、'.join(known)}）/ unknown release kind {kind!r}")
    doc = store.get("incidents", incident_id)
    if doc is None:
        raise InputError(f"事件不存在：{incident_id} / no incident {incident_id!r}")
    incident = Incident.from_doc(doc)
    lifecycle.check(incident, "record_release")
    ordered = check_reviews(config, office, reviews, published_at=published_at, now=now)
    if kind:
        cue = "登记时选择"
    elif channel == "press_conference":
        kind, cue = "press_conference", "渠道为新闻发布会"
    elif channel in ("message_board", "hotline"):
        kind, cue = "reply", f"渠道为{CHANNELS_ZH[channel]}"
    else:
        kind, cue = classify(config, title=title, text=text, account=channel in _ACCOUNT_CHANNELS)
    content = judge_content(config, f"{title}\n{text}")
    release = Release(
        id=stable_id("release", incident_id, channel, url or "", iso(published_at)), incident_id=incident_id,
        office=office, channel=channel, url=url, title=title, published_at=published_at, detected=False,
        reviews=ordered, press_conference=kind == "press_conference", recorded_by=actor, recorded_at=now,
        release_kind=kind, kind_cue=cue, status="matched", match_reasons=["处置单位登记"], content=content, text=text,
        review_recorded_by=actor, review_recorded_at=now, **_flags(content),
    )
    store_release(store, config, incident, release, actor=actor, now=now, created_action="record",
                  document=_document_for(store, incident))
    return release


# -- detection ---------------------------------------------------------------------------------------------


def detect_releases(store: Store, config: Config, incidents: list[Incident], *, now: dt.datetime) -> tuple[int, int]:
    """Link official posts (and board replies) to open incidents; returns (releases new, clocks met)."""
    if not incidents:
        return 0, 0
    by_id = {i.id: i for i in incidents}
    candidates: dict[str, dict[str, Mention]] = {}
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        query = {"bool": {"filter": [{"terms": {"incident_id": chunk}}],
                          "should": [{"term": {"official": True}}, {"term": {"doc_type": "board_message"}}],
                          "minimum_should_match": 1}}
        for doc in store.scan("mentions", query):
            m = _mention(doc)
            if m is not None and m.incident_id:
                candidates.setdefault(m.incident_id, {})[m.id] = m
    first_ids = [i.first_mention_id for i in incidents if i.policy_document]
    documents = {k: m for k, d in (store.mget("mentions", first_ids) if first_ids else {}).items()
                 if (m := _mention(d)) is not None}
    _match_untied(store, config, incidents, now, candidates, documents)
    new_releases = clocks_met = 0
    for incident_id, mentions in candidates.items():
        incident = by_id[incident_id]
        document = documents.get(incident.first_mention_id) if incident.policy_document else None
        for mention in sorted(mentions.values(), key=lambda m: (m.published_at or m.crawled_at, m.id)):
            release = release_from_mention(config, incident, mention, now=now, document=document)
            if release is None:
                continue
            created, met = store_release(store, config, incident, release, actor=DETECT_ACTOR, now=now,
                                         created_action="detect", document=document)
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
                  candidates: dict[str, dict[str, Mention]], documents: dict[str, Mention]) -> None:
    """Official posts the analysis did not tie to an incident, within the window, that share enough
    keywords with it or cite its policy document's 文号 or title."""
    rm = config.releases.match
    window = rm.window.as_timedelta() if not rm.window.is_working_days else dt.timedelta(days=rm.window.amount * 2)
    live = [i for i in incidents if (i.keywords or i.policy_document) and i.first_seen_at + window >= now]
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
            document = documents.get(incident.first_mention_id) if incident.policy_document else None
            cites = False
            if document is not None:
                doc_no = str(document.extra.get("doc_no") or "").strip()
                name = document_title(document.title)
                cites = bool(doc_no and doc_no in text) or (len(name) >= 6 and name in text)
            if len(shared) >= rm.min_shared_keywords or cites:
                candidates.setdefault(incident.id, {})[mention.id] = mention
