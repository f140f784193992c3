"""The post-incident response assessment (回应评估): indicators, weights and a score per incident.

Scores come from the configurable indicator system (``config/assessment.yaml``); each indicator
is scored 0–100 from stored documents (clocks, releases, deliveries, mentions) with the rule
written next to it, indicators that do not apply (e.g. ``rumour`` for a true story) are left out
and the remaining weights normalised, and the weights are printed with the scores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pandas as pd

from reports.daily import incident_link, level_zh
from reports.data import MENTION_FIELDS, Names, clock_frame, mention_frame, share
from reports.incident import CHANNEL_ZH, load_incident, release_rows
from reports.render.doc import Bullets, Document, Para, Span, Table
from reports.text import hours, pct, when
from yuqing.clock import Duration, iso, parse_ts
from yuqing.config import Config
from yuqing.config.assessment import AssessmentConfig, Indicator
from yuqing.config.releases import CONTENT_PART_ZH
from yuqing.handling import is_false_info
from yuqing.models import REVIEW_NOT_RECORDED_ZH, Assessment, stable_id
from yuqing.storage import Store

log = logging.getLogger(__name__)

OUTCOME_ZH = {"met": "按时完成", "late": "逾期完成", "missed": "超时未完成", "waived": "已豁免", "open": "未到期即办结"}


@dataclasses.dataclass
class AssessmentResult:
    assessment: Assessment
    title: str
    figures: dict[str, Any]
    document: Document


@dataclasses.dataclass
class Score:
    """One indicator's result: ``score`` is None when the indicator does not apply."""

    score: float | None
    detail: str


def linear(delay_h: float, full: Duration | None, zero: Duration | None) -> float:
    """100 up to ``full``, 0 from ``zero``, linear between (defaults 1h / 24h)."""
    full_h = full.as_timedelta().total_seconds() / 3600 if full else 1.0
    zero_h = zero.as_timedelta().total_seconds() / 3600 if zero else 24.0
    if delay_h <= full_h:
        return 100.0
    if delay_h >= zero_h:
        return 0.0
    return round(100 * (zero_h - delay_h) / (zero_h - full_h), 1)


def clock_outcomes(clocks: pd.DataFrame, end: dt.datetime, late_credit: float) -> list[dict[str, Any]]:
    """Each clock met, late or missed (and by how much, in hours) with its 0–100 score."""
    out = []
    for _, c in clocks.iterrows():
        due, opened = c["due_at"], c["opened_at"]
        met = c["met_at"] if isinstance(c["met_at"], dt.datetime) and c["met_at"] == c["met_at"] else None
        allowed_h = max((due - opened).total_seconds() / 3600, 1e-6)
        if c["state"] == "waived":
            outcome, by_h, score = "waived", None, None
        elif met is not None and met <= due:
            outcome, by_h, score = "met", (due - met).total_seconds() / 3600, 100.0
        elif met is not None:
            by_h = (met - due).total_seconds() / 3600
            outcome, score = "late", round(100 * late_credit * max(0.0, 1 - by_h / allowed_h), 1)
        elif c["state"] == "missed" or end > due:
            outcome, by_h, score = "missed", (end - due).total_seconds() / 3600, 0.0
        else:
            outcome, by_h, score = "open", None, None
        out.append({
            "id": c["id"], "rule_id": c["rule_id"], "name_zh": c["name_zh"], "owner_office": c["owner_office"],
            "opened_at": iso(opened), "due_at": iso(due), "met_at": iso(met), "state": c["state"],
            "outcome": outcome, "by_hours": None if by_h is None else round(by_h, 2), "score": score,
        })
    return out


def _outcome_text(c: dict[str, Any]) -> str:
    if c["outcome"] == "met":
        return f"按时完成（提前{hours(c['by_hours'])}）"
    if c["outcome"] == "late":
        return f"逾期完成（超时{hours(c['by_hours'])}）"
    if c["outcome"] == "missed":
        return f"超时未完成（截至评估超时{hours(c['by_hours'])}）"
    return OUTCOME_ZH[c["outcome"]]


def content_evidence(releases: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per content part, the sentences of the counted releases that state it (at most three)."""
    out: dict[str, list[str]] = {part: [] for part in CONTENT_PART_ZH}
    for r in releases:
        for part, sentences in (r.get("content") or {}).items():
            if part in out:
                out[part] += [s for s in sentences if s not in out[part]][: max(0, 3 - len(out[part]))]
    return out


def score_indicators(cfg: AssessmentConfig, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """Score every configured indicator from ``facts``; weights normalised over applicable ones."""
    results: dict[str, Score] = {}
    ind = {i.id: i for i in cfg.indicators}

    scored = [c for c in facts["clocks"] if c["score"] is not None]
    if scored:
        met = sum(1 for c in scored if c["outcome"] == "met")
        results["timeliness"] = Score(round(sum(c["score"] for c in scored) / len(scored), 1),
                                      f"{len(scored)}项时限中按时完成{met}项")
    else:
        results["timeliness"] = Score(None, "无适用时限")

    det = facts["detection_delay_h"]
    results["detection"] = (Score(None, "缺少首发时间") if det is None else
                            Score(_time(ind.get("detection"), det), f"首发后{hours(det)}发现"))
    ack = facts["acknowledgement_delay_h"]
    results["acknowledgement"] = (Score(0.0, "未签收") if ack is None else
                                  Score(_time(ind.get("acknowledgement"), ack), f"告警后{hours(ack)}签收"))

    releases = facts["releases"]
    if releases:
        stated = [label for key, label in (("facts", "事实真相"), ("measures", "政策措施"), ("result", "处置结果"))
                  if facts["content"][key]]
        results["content"] = Score(round(100 * len(stated) / 3, 1),
                                   ("讲清了" + "、".join(stated)) if stated else "未讲清事实、措施和结果")
        channels = facts["channels"]
        target = (ind["channels"].target if "channels" in ind and ind["channels"].target else 3)
        results["channels"] = Score(round(100 * min(1.0, len(channels) / target), 1),
                                    f"使用{len(channels)}个渠道（满分需{target:g}个）："
                                    + "、".join(CHANNEL_ZH.get(c, c) for c in channels))
    else:
        results["content"] = Score(0.0, "未发布回应")
        results["channels"] = Score(0.0, "未发布回应")

    if releases:
        unreviewed = facts.get("releases_unreviewed", 0)
        reviewed = releases - unreviewed
        results["review"] = Score(round(100 * reviewed / releases, 1),
                                  f"{releases}次发布中{reviewed}次记录了三级审核"
                                  + (f"，{unreviewed}次{REVIEW_NOT_RECORDED_ZH}" if unreviewed else ""))
    else:
        results["review"] = Score(None, "未发布回应")

    if facts["is_rumour"]:
        rebutted = facts["rumour_rebutted"]
        results["rumour"] = Score(100.0 if rebutted else 0.0, "已发布辟谣" if rebutted else "涉不实信息但未辟谣")
    else:
        results["rumour"] = Score(None, "不涉不实信息")

    ba = facts["before_after"]
    if not releases:
        results["sentiment"] = Score(0.0, "未发布回应，无法改善舆情")
    elif ba["before"]["analyzed"] == 0:
        results["sentiment"] = Score(None, "回应前无已分析信息")
    elif ba["after"]["analyzed"] == 0:
        results["sentiment"] = Score(100.0, "回应后无新增负面讨论")
    else:
        swing = ind["sentiment"].swing if "sentiment" in ind and ind["sentiment"].swing else 0.2
        drop = ba["before"]["negative_share"] - ba["after"]["negative_share"]
        value = max(0.0, min(1.0, 0.5 + drop / (2 * swing)))
        results["sentiment"] = Score(round(100 * value, 1), f"负面占比由{pct(ba['before']['negative_share'])}"
                                     f"变为{pct(ba['after']['negative_share'])}")

    applicable = sum(i.weight for i in cfg.indicators if results[i.id].score is not None)
    rows = []
    for i in cfg.indicators:
        r = results[i.id]
        norm = (i.weight / applicable) if (r.score is not None and applicable) else 0.0
        rows.append({"id": i.id, "name_zh": i.name_zh, "weight": i.weight, "weight_normalised": round(norm, 4),
                     "score": r.score, "weighted": None if r.score is None else round(r.score * norm, 2),
                     "applicable": r.score is not None, "detail": r.detail})
    return rows


def _time(indicator: Indicator | None, delay_h: float) -> float:
    return linear(max(0.0, delay_h), indicator.full_within if indicator else None,
                  indicator.zero_after if indicator else None)


def _split(frame: pd.DataFrame, at: dt.datetime | None, start: dt.datetime | None,
           end: dt.datetime) -> dict[str, Any]:
    """Volume and negative share before and after the first release."""
    def part(rows: pd.DataFrame, span_h: float) -> dict[str, Any]:
        analyzed = int(rows["sentiment_label"].notna().sum())
        negative = int((rows["sentiment_label"] == "negative").sum())
        return {"mentions": len(rows), "analyzed": analyzed, "negative": negative,
                "negative_share": share(negative, analyzed), "hours": round(span_h, 2),
                "per_hour": round(len(rows) / span_h, 2) if span_h > 0 else float(len(rows))}

    if frame.empty or at is None:
        empty = frame.iloc[0:0] if not frame.empty else frame
        return {"split_at": None, "before": part(frame, 0.0) if not frame.empty else part(empty, 0.0),
                "after": part(empty, 0.0)}
    before, after = frame[frame["time"] < at], frame[frame["time"] >= at]
    before_h = max(0.0, (at - start).total_seconds() / 3600) if start else 0.0
    after_h = max(0.0, (end - at).total_seconds() / 3600)
    return {"split_at": iso(at), "before": part(before, before_h), "after": part(after, after_h)}


def build_assessment(store: Store, config: Config, incident_id: str, *, now: dt.datetime) -> AssessmentResult:
    names = Names.from_config(config)
    cfg = config.assessment
    inc = load_incident(store, incident_id)
    query = {"term": {"incident_id": incident_id}}
    closed_at = parse_ts(inc.get("closed_at"))
    end = closed_at or now
    frame = mention_frame(store.scan("mentions", query, source=MENTION_FIELDS))
    frame = frame.sort_values("time") if not frame.empty else frame
    clocks = clock_frame(store.scan("clocks", query), end).sort_values("due_at")
    found = sorted(store.find("releases", query), key=lambda r: str(r.get("published_at")))
    # Only releases that answer the incident count: matched, or confirmed by the office (待确认 ones wait).
    releases = [r for r in found if r.get("status", "matched") in ("matched", "confirmed")]
    pending = [r for r in found if r.get("status") == "pending"]
    unreviewed = [r for r in releases if not r.get("reviews")]
    deliveries = store.find("deliveries", query)

    first_mention = frame["time"].iloc[0].to_pydatetime() if not frame.empty else parse_ts(inc.get("first_seen_at"))
    created = parse_ts(inc.get("created_at"))
    routing = inc.get("routing") or {}
    alert_times = [t for d in deliveries if (t := parse_ts(d.get("sent_at") or d.get("created_at")))]
    alerted = min(alert_times) if alert_times else (parse_ts(routing.get("routed_at")) or created)
    acknowledged = parse_ts(inc.get("acknowledged_at"))
    first_release = parse_ts(releases[0]["published_at"]) if releases else None
    handling = inc.get("handling_kind")
    is_rumour = is_false_info(handling, inc.get("priorities") or [])
    evidence = content_evidence(releases)
    stated = {part for part, sentences in evidence.items() if sentences} | {
        part for r in releases for part, key in (("facts", "states_facts"), ("measures", "states_measures"),
                                                 ("result", "states_result"), ("rebuttal", "rebuts_rumour"))
        if r.get(key)}
    requirement_kind = handling or ("false_info" if is_rumour else None)
    requirement = config.releases.handling.get(requirement_kind) if requirement_kind else None

    facts: dict[str, Any] = {
        "clocks": clock_outcomes(clocks, end, cfg.late_credit),
        "detection_delay_h": None if not (created and first_mention)
        else round(max(0.0, (created - first_mention).total_seconds() / 3600), 2),
        "acknowledgement_delay_h": None if not (acknowledged and alerted)
        else round(max(0.0, (acknowledged - alerted).total_seconds() / 3600), 2),
        "alerted_at": iso(alerted), "acknowledged_at": iso(acknowledged),
        "releases": len(releases),
        "first_release_at": iso(first_release),
        "channels": sorted({str(r.get("channel")) for r in releases if r.get("channel")}
                           | {"press_conference" for r in releases if r.get("press_conference")}),
        "content": {k: k in stated for k in ("facts", "measures", "result")},
        "content_evidence": evidence,
        "handling_requirement": None if requirement is None else {
            "kind": requirement_kind, "description_zh": requirement.description_zh, "parts": list(requirement.parts),
            "missing": config.releases.missing_parts(requirement_kind, stated)},
        "releases_unreviewed": len(unreviewed),
        "releases_pending": len(pending),
        "is_rumour": is_rumour,
        "rumour_rebutted": "rebuttal" in stated,
        "before_after": _split(frame, first_release, first_mention, end),
        "first_mention_at": iso(first_mention), "created_at": iso(created), "closed_at": iso(closed_at),
    }
    indicators = score_indicators(cfg, facts)
    score = round(sum(r["weighted"] for r in indicators if r["weighted"] is not None), 1)
    grade = cfg.grade(score)
    office = inc.get("assigned_office") or routing.get("lead_office")
    assessment = Assessment(
        id=stable_id("assessment", incident_id), incident_id=incident_id, office=office, score=score,
        indicators=indicators, clocks=facts["clocks"], generated_at=now, grade=grade, closed_at=closed_at,
        figures={k: v for k, v in facts.items() if k != "clocks"},
    )

    # ---- document --------------------------------------------------------------------------------
    title = f"回应评估：{inc.get('title', '')}"
    doc = Document(title="舆情回应评估报告", subtitle=inc.get("title", ""),
                   meta=[f"事件编号：{incident_id}", f"评估时间：{when(now)}"])
    s = doc.section("一、评估结论")
    s.add(Table(["项目", "内容"], widths=[1, 4], rows=[
        ["事件", incident_link(config, incident_id, inc.get("title", ""))],
        ["级别", level_zh((inc.get("severity") or {}).get("level"))],
        ["责任单位", names.office(office)],
        ["办结时间", when(closed_at) if closed_at else "尚未办结（按评估时间计）"],
        ["综合得分", f"{score:.1f}分（{grade}）"],
    ]))
    met = sum(1 for c in facts["clocks"] if c["outcome"] == "met")
    missed = sum(1 for c in facts["clocks"] if c["outcome"] in ("late", "missed"))
    s.add(Para([f"该事件共设回应时限{len(facts['clocks'])}项，按时完成{met}项，超时{missed}项；"
                f"发布回应{len(releases)}次，使用渠道{len(facts['channels'])}个。综合得分{score:.1f}分，评定为“{grade}”。"],
               style="lead"))

    s = doc.section("二、指标得分")
    s.add(Table(["指标", "配置权重", "实际权重", "得分", "加权得分", "说明"], widths=[3, 1, 1, 1, 1, 3], rows=[
        [r["name_zh"], f"{r['weight']:g}", pct(r["weight_normalised"]) if r["applicable"] else "不适用",
         "—" if r["score"] is None else f"{r['score']:.1f}", "—" if r["weighted"] is None else f"{r['weighted']:.2f}",
         r["detail"]]
        for r in indicators
    ] + [["合计", f"{sum(i.weight for i in cfg.indicators):g}", "100.0%", "", f"{score:.1f}", grade]]))
    s.add(Para(["实际权重为配置权重在适用指标间归一化后的结果；不适用的指标不计分。"], style="note"))

    s = doc.section("三、回应时限")
    s.add(Table(["时限", "责任单位", "起算", "截止", "完成", "结果", "得分"],
                widths=[3, 1.4, 1.2, 1.2, 1.2, 2.2, 0.8], rows=[
        [c["name_zh"], names.office(c["owner_office"]), when(c["opened_at"]), when(c["due_at"]), when(c["met_at"]),
         _outcome_text(c), "—" if c["score"] is None else f"{c['score']:.0f}"]
        for c in facts["clocks"]
    ]) if facts["clocks"] else Para(["未设回应时限。"]))

    s = doc.section("四、发现与响应")
    s.add(Bullets([
        [f"首发时间：{when(first_mention)}；系统发现（建立事件）：{when(created)}；发现延迟："
         f"{hours(facts['detection_delay_h']) if facts['detection_delay_h'] is not None else '—'}。"],
        [f"告警/交办时间：{when(alerted)}；签收时间：{when(acknowledged)}；响应延迟："
         f"{hours(facts['acknowledgement_delay_h']) if facts['acknowledgement_delay_h'] is not None else '未签收'}。"],
    ]))

    s = doc.section("五、信息发布与回应内容")
    if releases:
        s.add(Table(["时间", "渠道", "发布单位", "标题", "讲清", "辟谣"], release_rows(releases, names),
                    widths=[1.2, 1.2, 1.4, 3.5, 1.3, 0.7]))
    else:
        s.add(Para(["未发布回应。"]))
    rumour_text = ("是，已辟谣" if facts["rumour_rebutted"] else "是，未辟谣") if facts["is_rumour"] else "否"
    s.add(Table(["内容", "是否讲清", "依据（发布原文语句）"], widths=[1.2, 0.8, 5], rows=[
        [CONTENT_PART_ZH[part], "是" if part in stated else "否",
         "；".join(f"“{sentence}”" for sentence in evidence[part]) or ("—" if part in stated else "未见相关语句")]
        for part in ("facts", "measures", "result", "rebuttal")
    ]))
    bullets: list[list[Span]] = [
        ["涉不实信息：" + rumour_text],
        ["使用渠道：" + ("、".join(CHANNEL_ZH.get(c, c) for c in facts["channels"]) or "无")],
        [f"三级审核：{len(releases) - len(unreviewed)}次发布已记录审核；"
         + (f"{len(unreviewed)}次{REVIEW_NOT_RECORDED_ZH}：" + "、".join(f"“{r.get('title', '')}”" for r in unreviewed)
            if unreviewed else "无未记录审核的发布")],
    ]
    if requirement is not None:
        need = "、".join(CONTENT_PART_ZH[p] for p in requirement.parts)
        lacking = facts["handling_requirement"]["missing"]
        bullets.append([f"处置类型要求：须{requirement.description_zh}（应讲清{need}）；"
                        + ("尚缺：" + "、".join(CONTENT_PART_ZH[p] for p in lacking) if lacking else "已满足")])
    if pending:
        bullets.append([f"另有{len(pending)}条疑似回应待处置单位确认，未计入："
                        + "、".join(f"“{r.get('title', '')}”" for r in pending)])
    s.add(Bullets(bullets))

    s = doc.section("六、回应前后舆情变化")
    ba = facts["before_after"]
    if ba["split_at"] is None:
        s.add(Para(["未发布回应，无法比较回应前后变化。"]))
    else:
        b, a = ba["before"], ba["after"]
        s.add(Para([f"以首次回应时间{when(first_release)}为界："]))
        s.add(Table(["", "回应前", "回应后"], [
            ["信息（条）", str(b["mentions"]), str(a["mentions"])],
            ["时长（小时）", f"{b['hours']:.1f}", f"{a['hours']:.1f}"],
            ["每小时信息（条）", f"{b['per_hour']:.2f}", f"{a['per_hour']:.2f}"],
            ["负面信息（条）", str(b["negative"]), str(a["negative"])],
            ["负面占比", pct(b["negative_share"]), pct(a["negative_share"])],
        ]))
    log.info("assessed %s: %.1f (%s)", incident_id, score, grade)
    figures = {"score": score, "grade": grade, "office": office, "indicators": indicators, **assessment.figures,
               "clocks": facts["clocks"]}
    return AssessmentResult(assessment=assessment, title=title, figures=figures, document=doc)
