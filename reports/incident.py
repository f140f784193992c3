"""The special report (专报) on one incident: timeline, spread, sentiment, sources, routing, clocks, releases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pandas as pd

from reports import charts, spread
from reports.daily import clock_state_zh, incident_link, level_zh
from reports.data import (
    MENTION_FIELDS,
    SENTIMENT_ZH,
    UNKNOWN_PLACE,
    Names,
    as_dict,
    buckets,
    clock_frame,
    mention_frame,
    share,
)
from reports.render.doc import Document, Figure, Link, Masthead, Para, Span, Table
from reports.text import clip, hours, pct, when
from yuqing import labels
from yuqing.clock import parse_ts
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import HANDLING_ZH, STATE_ZH, TIER_ZH
from yuqing.storage import Store

log = logging.getLogger(__name__)

CHANNEL_ZH = labels.RELEASE_CHANNEL_ZH
AUDIT_ZH = labels.AUDIT_ACTION_ZH


@dataclasses.dataclass
class IncidentReport:
    incident_id: str
    title: str
    figures: dict[str, Any]
    document: Document


def load_incident(store: Store, incident_id: str) -> dict[str, Any]:
    doc = store.get("incidents", incident_id)
    if doc is None:
        raise InputError(f"事件不存在：{incident_id!r}")
    return doc


def sentiment_over_time(frame: pd.DataFrame) -> pd.DataFrame:
    """Mentions per time bucket and sentiment (hourly for short incidents, daily for long ones)."""
    if frame.empty:
        return pd.DataFrame()
    span = frame["time"].max() - frame["time"].min()
    freq, fmt = ("h", "%m-%d %H时") if span <= pd.Timedelta(days=3) else ("D", "%m-%d")
    labelled = frame.assign(label=frame["sentiment_label"].map(SENTIMENT_ZH).fillna("未分析"))
    table = labelled.groupby([pd.Grouper(key="time", freq=freq), "label"]).size().unstack(fill_value=0)
    table = table.reindex(columns=[c for c in ["负面", "中性", "正面", "未分析"] if c in table.columns])
    table.index = [t.strftime(fmt) for t in table.index]
    return table


def release_rows(releases: list[dict[str, Any]], names: Names) -> list[list[Any]]:
    rows = []
    for r in releases:
        text = clip(r.get("title", ""), 50) or "（无标题）"
        title: Span = Link(text, r["url"]) if r.get("url") else text
        rows.append([when(r.get("published_at")), CHANNEL_ZH.get(r.get("channel", ""), r.get("channel", "")),
                     names.office(r.get("office")), title,
                     "、".join(label for key, label in (("states_facts", "事实"), ("states_measures", "措施"),
                                                       ("states_result", "结果")) if r.get(key)) or "—",
                     "是" if r.get("rebuts_rumour") else "否"])
    return rows


def build_incident_report(store: Store, config: Config, incident_id: str, *, now: dt.datetime,
                          issue: str = "") -> IncidentReport:
    names = Names.from_config(config)
    inc = load_incident(store, incident_id)
    query = {"term": {"incident_id": incident_id}}
    frame = mention_frame(store.scan("mentions", query, source=MENTION_FIELDS)).sort_values("time")
    aggs = {
        "tier": {"terms": {"field": "media_tier", "size": 20}},
        "sentiment": {"terms": {"field": "sentiment.label", "size": 10}},
        "source": {"terms": {"field": "source_id", "size": 20}},
        "publisher": {"terms": {"field": "publisher", "size": 20}},
        "reprinted": {"terms": {"field": "reprint_of", "size": 10}},
        "reprints": {"filter": {"exists": {"field": "reprint_of"}}},
    }
    a = store.search("mentions", query=query, size=0, aggs=aggs)["aggregations"]
    by_tier, by_sentiment = buckets(a["tier"]), buckets(a["sentiment"])
    by_source, by_publisher = buckets(a["source"]), buckets(a["publisher"])
    originals = buckets(a["reprinted"])
    original_docs = store.mget("mentions", list(originals.index))
    by_place = frame["place"].value_counts() if not frame.empty else pd.Series(dtype="int64")
    clocks = clock_frame(store.scan("clocks", query), now).sort_values("due_at")
    # A 待确认 (pending) or rejected match is not a response of the office.
    counted = [r for r in store.find("releases", query) if r.get("status", "matched") in ("matched", "confirmed")]
    releases = sorted(counted, key=lambda r: str(r.get("published_at")))
    audit = sorted(store.find("audit", {"term": {"entity_id": incident_id}}), key=lambda e: str(e.get("at")))

    path = spread.spread(store, incident_id, names=names)
    total = len(frame)
    negative = int(by_sentiment.get("negative", 0))
    analyzed = int(by_sentiment.sum())
    routing = inc.get("routing") or {}
    office = inc.get("assigned_office") or routing.get("lead_office")
    first_release = parse_ts(releases[0]["published_at"]) if releases else None

    # ---- timeline ----------------------------------------------------------------------------------
    events: list[tuple[dt.datetime, list[Span]]] = []
    if not frame.empty:
        first = frame.iloc[0]
        who = first["publisher"] if isinstance(first["publisher"], str) else names.source(first["source_id"])
        events.append((first["time"], ["首发：", who + " ",
                                       Link(f"《{clip(first['title'], 40)}》", first["url"])]))
        for _, row in frame.groupby("media_tier").head(1).iterrows():
            if row["id"] != first["id"]:
                events.append((row["time"], [f"{TIER_ZH.get(row['media_tier'], row['media_tier'])}首次报道：",
                                             Link(f"《{clip(row['title'], 40)}》", row["url"])]))
        per_hour = frame.groupby(pd.Grouper(key="time", freq="h")).size()
        if len(per_hour):
            peak = per_hour.idxmax()
            in_peak = frame[(frame["time"] >= peak) & (frame["time"] < peak + pd.Timedelta(hours=1))]
            until = peak + pd.Timedelta(hours=1)
            events.append((in_peak["time"].max().to_pydatetime(),
                           [f"传播峰值：{peak:%H}时至{until:%H}时新增信息{int(per_hour.max())}条"]))
    if created := parse_ts(inc.get("created_at")):
        events.append((created, [f"系统发现并建立事件（{level_zh((inc.get('severity') or {}).get('level'))}）"]))
    if routed := parse_ts(routing.get("routed_at")):
        lead = names.office(routing.get("lead_office"))
        events.append((routed, [f"交办{lead}牵头处置：{routing.get('reason_zh', '')}"]))
    if acked := parse_ts(inc.get("acknowledged_at")):
        events.append((acked, [f"{inc.get('acknowledged_by') or names.office(office)}签收"]))
    for _, c in clocks.iterrows():
        if c["met_at"] is not None and c["met_at"] == c["met_at"]:
            events.append((c["met_at"], [f"时限“{c['name_zh']}”完成（{clock_state_zh(c)}）"]))
        elif c["state"] == "missed" or c["late"]:
            events.append((c["due_at"], [f"时限“{c['name_zh']}”到期未完成"]))
    for r in releases:
        quoted = f"《{clip(r.get('title', ''), 40)}》"
        title: Span = Link(quoted, r["url"]) if r.get("url") else quoted
        channel = CHANNEL_ZH.get(r.get("channel", ""), r.get("channel", ""))
        published = parse_ts(r["published_at"])
        if published is not None:
            events.append((published, [f"{names.office(r.get('office'))}通过{channel}发布", title]))
    for e in audit:
        at = parse_ts(e.get("at"))
        if at is None or e.get("action") == "create":
            continue
        label = AUDIT_ZH.get(str(e.get("action")), str(e.get("action")))
        reason = f"：{e['reason']}" if e.get("reason") else ""
        events.append((at, [f"{label}（{labels.actor(str(e.get('actor', '')))}）{reason}"]))
    if closed := parse_ts(inc.get("closed_at")):
        events.append((closed, ["事件办结"]))
    events.sort(key=lambda ev: ev[0])

    figures: dict[str, Any] = {
        "incident_id": incident_id, "title": inc.get("title", ""), "level": (inc.get("severity") or {}).get("level"),
        "state": inc.get("state"), "office": office,
        "mentions": {"total": total, "analyzed": analyzed, "negative": negative,
                     "negative_share": share(negative, analyzed), "by_tier": as_dict(by_tier),
                     "by_sentiment": as_dict(by_sentiment), "by_place": as_dict(by_place),
                     "by_source": as_dict(by_source), "reprints": int(a["reprints"]["doc_count"]),
                     "first_at": str(frame["time"].iloc[0].isoformat()) if total else None},
        "clocks": {"total": len(clocks), "met": int((clocks["state"] == "met").sum()),
                   "late": int(clocks["late"].sum()) if len(clocks) else 0,
                   "ids": list(clocks["id"])},
        "releases": len(releases),
        "spread": path.figures(),
        "first_release_at": first_release.isoformat() if first_release else None,
    }

    title = f"舆情专报：{clip(inc.get('title', ''), 40)}"
    masthead = Masthead(issue=issue or f"{now.year}年", issuer=config.reports.issuing_unit,
                        date=f"{now.year}年{now.month}月{now.day}日", signer=config.reports.signer,
                        distribution=config.reports.distribution)
    doc = Document(title="舆情专报", subtitle=inc.get("title", ""), masthead=masthead,
                   meta=[f"事件编号：{incident_id}", f"生成时间：{when(now)}"])
    first_at = when(frame["time"].iloc[0]) if total else when(inc.get("first_seen_at"))
    figures["issue"] = issue
    on_time = int(((clocks["state"] == "met") & ~clocks["late"].astype(bool)).sum()) if len(clocks) else 0
    late = int(clocks["late"].sum()) if len(clocks) else 0
    figures["summary_zh"] = (
        f"「{clip(inc.get('title', ''), 40)}」{level_zh((inc.get('severity') or {}).get('level'))}，"
        f"首发于{first_at}，相关信息{total}条（负面{negative}条），责任单位{names.office(office)}；"
        f"回应时限{len(clocks)}项（按时完成{on_time}项，超时{late}项），已发布回应{len(releases)}条。")

    s = doc.section("一、事件概况")
    s.add(Table(["项目", "内容"], widths=[1, 4], rows=[
        ["事件", incident_link(config, incident_id, inc.get("title", ""))],
        ["级别", level_zh((inc.get("severity") or {}).get("level"))],
        ["状态", STATE_ZH.get(str(inc.get("state")), str(inc.get("state")))],
        ["收集重点", "、".join(names.priority(p) for p in inc.get("priorities", [])) or "—"],
        ["处置类别", HANDLING_ZH.get(str(inc.get("handling_kind")), "—")],
        ["所涉地区", "、".join(names.place(c) for c in inc.get("place_codes", [])) or "—"],
        ["首发时间", when(frame["time"].iloc[0]) if total else when(inc.get("first_seen_at"))],
        ["发现时间", when(inc.get("created_at"))],
        ["相关信息", f"{total}条（负面{negative}条，负面占比{pct(share(negative, analyzed))}；"
                     f"转载{figures['mentions']['reprints']}条）"],
        ["互动量", f"转发、评论、点赞共{int(inc.get('interactions') or 0)}次，"
                   f"近期每小时新增{float(inc.get('spread_per_hour') or 0.0):.0f}次"],
        ["责任单位", names.office(office)],
    ]))
    if inc.get("summary"):
        s.add(Para([f"事件摘要：{inc['summary']}"]))

    s = doc.section("二、事件时间线")
    s.add(Table(["时间", "经过"], [[when(t), spans] for t, spans in events], widths=[1, 5]) if events
          else Para(["暂无记录。"]))

    s = doc.section("三、传播情况")
    tier_zh = by_tier.rename(index=lambda k: TIER_ZH.get(k, k))
    s.add(Table(["媒体层级", "信息（条）", "占比"],
                [[k, str(int(v)), pct(share(int(v), total))] for k, v in tier_zh.items()], caption="按媒体层级"))
    s.add(Table(["地区", "信息（条）", "占比"], [[str(k) or UNKNOWN_PLACE, str(int(v)), pct(share(int(v), total))]
                                          for k, v in by_place.head(15).items()], caption="按地区"))
    s.add(Figure(charts.bar_chart(by_place, "信息所涉地区"), "图1 信息所涉地区分布"))
    trend = sentiment_over_time(frame)
    s.add(Figure(charts.stacked_sentiment(trend, "情感倾向随时间变化"), "图2 情感倾向随时间变化"))
    spread.add_to_section(s, path, figure_no=3)  # first appearance, reprint chain, tiers over time, carriers

    s = doc.section("四、主要信源与转载")
    first_by_source = frame.groupby("source_id")["time"].min() if total else pd.Series(dtype="object")
    s.add(Table(["信息源", "信息（条）", "首条时间"], [
        [names.source(k), str(int(v)), when(first_by_source.get(k))] for k, v in by_source.items()
    ], caption="主要信息源"))
    if not by_publisher.empty:
        named = "、".join(f"{k}（{int(v)}条）" for k, v in by_publisher.head(10).items())
        s.add(Para([f"页面标注来源：{named}。"]))
    if originals.empty:
        s.add(Para(["未发现转载关系。"]))
    else:
        s.add(Table(["被转载原文", "转载（条）"], [
            [Link(f"《{clip((original_docs.get(k) or {}).get('title', k), 50)}》",
                  str((original_docs.get(k) or {}).get("url", ""))), str(int(v))]
            for k, v in originals.items()
        ], caption="转载最多的原文"))

    s = doc.section("五、交办与回应时限")
    if routing:
        s.add(Para([f"牵头单位：{names.office(routing.get('lead_office'))}；配合单位："
                    + ("、".join(names.office(o) for o in routing.get("supporting_offices", [])) or "无")
                    + f"；交办依据：{routing.get('reason_zh', '')}"
                    + ("；已提请重大政务舆情会商" if routing.get("consultation") else "") + "。"]))
    else:
        s.add(Para(["尚未交办。"]))
    s.add(Table(["时限", "责任单位", "起算", "截止", "状态"], [
        [c["name_zh"], names.office(c["owner_office"]), when(c["opened_at"]), when(c["due_at"]), clock_state_zh(c)]
        for _, c in clocks.iterrows()
    ]) if len(clocks) else Para(["未设回应时限。"]))

    s = doc.section("六、信息发布与回应")
    if releases:
        s.add(Table(["时间", "渠道", "发布单位", "标题", "讲清", "辟谣"], release_rows(releases, names)))
        if first_release is not None and total:
            before = frame[frame["time"] < first_release]
            after = frame[frame["time"] >= first_release]
            s.add(Para([f"首次回应前相关信息{len(before)}条，回应后{len(after)}条；"
                        f"首次回应距首发{hours((first_release - frame['time'].iloc[0]).total_seconds() / 3600)}。"]))
    else:
        s.add(Para(["尚无发布或回应记录。"]))

    s = doc.section("附：相关信息（按时间，前50条）")
    s.add(Table(["时间", "信息源", "标题", "情感"], [
        [when(r["time"]), names.source(r["source_id"]), Link(clip(r["title"], 50) or "（无标题）", r["url"]),
         SENTIMENT_ZH.get(str(r["sentiment_label"]), "未分析")]
        for _, r in frame.head(50).iterrows()
    ]) if total else Para(["暂无相关信息。"]))
    log.info("special report on %s: %d mentions, %d events", incident_id, total, len(events))
    return IncidentReport(incident_id=incident_id, title=title, figures=figures, document=doc)
