"""The daily sensitive-topic report (每日舆情简报) for one Asia/Shanghai day.

``build_daily`` reads everything from Elasticsearch (see :mod:`reports.data`) and returns the
figures (stored in the ``Report`` document) and the format-neutral document the renderers write.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pandas as pd

from reports import charts
from reports.data import (
    NEGATIVE,
    NO_PRIORITY,
    SENTIMENT_ZH,
    Names,
    active_incidents_query,
    as_dict,
    both,
    clock_frame,
    clocks_due,
    created_query,
    daily_trend,
    day_bounds,
    incident_figures,
    incident_frame,
    incident_mentions,
    latest_source_health,
    mention_figures,
    mention_window,
    mentions_per_incident,
    run_totals,
    share,
)
from reports.render.doc import Bullets, Document, Figure, Link, Para, Span, Table
from reports.text import change, clip, factual_summary, hours, pct, when
from yuqing import labels, links
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.models import CLOCK_STATE_ZH, EMOTION_ZH, SEVERITY_ZH, STATE_ZH, TIER_ZH, unresolved_clock_filter
from yuqing.storage import Store

log = logging.getLogger(__name__)

TABLE_LIMIT = 30  # rows per list table; the console has the full lists (a leader reads the top)

SOURCE_STATUS_ZH = labels.SOURCE_STATUS_ZH


@dataclasses.dataclass
class DailyReport:
    day: dt.date
    title: str
    figures: dict[str, Any]
    document: Document


def day_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def level_zh(level: str | None) -> str:
    return f"{SEVERITY_ZH[level]}（{level}级）" if level in SEVERITY_ZH else "未定级"


def clock_state_zh(row: pd.Series) -> str:
    """A clock's state with how early/late, e.g. ``已超时（超时3小时05分）``."""
    state = str(row["state"])
    margin = row["margin_h"]
    if state == "running":
        if row["late"]:
            return f"已超时未完成（超时{hours(margin)}）"
        return f"计时中（剩余{hours(margin)}）"
    if state == "met":
        return f"按时完成（提前{hours(margin)}）" if not row["late"] else f"逾期完成（超时{hours(margin)}）"
    if state == "missed":
        return f"已超时（截至{when(row['due_at'])}未完成）"
    return CLOCK_STATE_ZH.get(state, state)


def _console(config: Config) -> str:
    return links.console_home(config)


def incident_link(config: Config, incident_id: str, title: str) -> Link:
    return Link(clip(title, 60) or incident_id[:12], links.incident_url(config, incident_id))


def mention_links(mentions: list[dict[str, Any]], limit: int = 3) -> list[Span]:
    spans: list[Span] = []
    for n, m in enumerate(mentions[:limit]):
        if n:
            spans.append("；")
        spans.append(Link(f"《{clip(m.get('title', ''), 30)}》", str(m.get("url", ""))))
    return spans


def _late_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Late or unfinished clocks first, then by deadline (the order a duty officer acts in)."""
    if frame.empty:
        return frame
    order = frame["late"].astype(int) * 2 + (frame["state"] == "running").astype(int)
    return frame.assign(_order=order).sort_values(["_order", "due_at"], ascending=[False, True]).drop(columns="_order")


MISSED_NAMED = 5  # misses named in the overview; the 回应时限 section lists the rest


def missed_clocks(due_today: pd.DataFrame, owed_earlier: pd.DataFrame,
                  incidents: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The misses a leader must see: clocks due today that were missed (answered late or not at
    all), and earlier misses still unanswered on incidents not closed or dismissed; oldest first."""
    today = due_today[due_today["late"]] if not due_today.empty else due_today
    if not owed_earlier.empty:
        open_ = owed_earlier["incident_id"].map(
            lambda i: (incidents.get(i) or {}).get("state") not in ("closed", "dismissed"))
        owed_earlier = owed_earlier[owed_earlier["late"] & open_]
    frames = [f for f in (today, owed_earlier) if not f.empty]
    if not frames:
        return due_today.iloc[0:0]
    return pd.concat(frames).drop_duplicates("id").sort_values("due_at")


def _lateness(c: pd.Series) -> str:
    if c["met_at"] is not None and not pd.isna(c["met_at"]):
        return f"逾期{hours(c['margin_h'])}完成"
    return f"已超时{hours(c['margin_h'])}，仍未完成"


def missed_overview(missed: pd.DataFrame, incidents: dict[str, dict[str, Any]], names: Names) -> str:
    """One sentence naming the missed clocks: which deadline, of which incident, how late, whose."""
    if missed.empty:
        return "无超时的回应时限。"
    named = [f"「{clip((incidents.get(c['incident_id']) or {}).get('title', c['incident_id'][:12]), 30)}」"
             f"{c['name_zh']}（{_lateness(c)}，责任单位：{names.office(c['owner_office'])}）"
             for _, c in missed.head(MISSED_NAMED).iterrows()]
    more = "等，详见“回应时限”部分" if len(missed) > MISSED_NAMED else ""
    return f"超时的回应时限{len(missed)}项：" + "；".join(named) + more + "。"


def _labelled(series: pd.Series, names: dict[str, str]) -> pd.Series:
    out = series.copy()
    out.index = [names.get(str(k), str(k)) for k in series.index]
    return out.groupby(level=0).sum().sort_values(ascending=False) if not out.empty else out


def build_daily(store: Store, config: Config, day: dt.date, *, now: dt.datetime, top: int = 10) -> DailyReport:
    names = Names.from_config(config)
    start, end = day_bounds(day)
    prev_start, _ = day_bounds(day - dt.timedelta(days=1))
    window, prev_window = mention_window(start, end), mention_window(prev_start, start)

    m = mention_figures(store, window, config)
    prev_total = store.count("mentions", prev_window)
    prev_negative = store.count("mentions", both(prev_window, NEGATIVE))
    prev_analyzed = store.count("mentions", both(prev_window, {"exists": {"field": "sentiment.label"}}))
    trend = daily_trend(store, day)

    inc = incident_figures(store, active_incidents_query(start, end))
    prev_incidents = store.count("incidents", active_incidents_query(prev_start, start))
    new = incident_frame(store.scan("incidents", created_query(start, end))).sort_values(
        ["rank", "created_at"], ascending=[False, True])

    per_incident = mentions_per_incident(store, window)
    ranked = inc.frame.set_index("id").join(per_incident, how="left").fillna({"mentions": 0, "negative": 0})
    ranked = ranked.sort_values(["rank", "mentions", "severity_score"], ascending=False).head(top)

    # clocks of the top incidents, today's due clocks, and yesterday's misses
    top_ids = list(ranked.index)
    top_clocks = clock_frame(store.scan("clocks", {"terms": {"incident_id": top_ids}}), now) if top_ids else None
    due_today = _late_first(clocks_due(store, start, end, now))
    yesterday = clocks_due(store, prev_start, start, now)
    missed_yesterday = yesterday[yesterday["late"]] if not yesterday.empty else yesterday
    owed_earlier = clock_frame(store.scan("clocks", {"bool": {"filter": [
        {"range": {"due_at": {"lt": iso(start)}}}, unresolved_clock_filter()]}}), now)
    clock_incidents = store.mget("incidents", list(due_today["incident_id"]) + list(missed_yesterday["incident_id"])
                                 + list(owed_earlier["incident_id"]))
    missed = missed_clocks(due_today, owed_earlier, clock_incidents)

    health = latest_source_health(store, end)
    runs = run_totals(store, start, end)

    # ---- figures (stored with the report; every number printed below comes from here) ----------
    figures: dict[str, Any] = {
        "day": day.isoformat(),
        "window": {"start": iso(start), "end": iso(end)},
        "mentions": {
            "total": m.total, "previous": prev_total, "change": m.total - prev_total,
            "analyzed": m.analyzed, "negative": m.negative, "negative_share": m.negative_share,
            "previous_negative_share": share(prev_negative, prev_analyzed),
            "by_priority": as_dict(m.by_priority), "by_subtopic": as_dict(m.by_subtopic),
            "no_priority": m.no_priority, "by_tier": as_dict(m.by_tier), "by_place": as_dict(m.by_place),
            "by_sentiment": as_dict(m.by_sentiment), "by_source": as_dict(m.by_source),
            "by_emotion": as_dict(m.by_emotion), "incidents": m.incidents,
        },
        "incidents": {
            "active": inc.total, "previous_active": prev_incidents, "new": len(new),
            "by_priority": as_dict(inc.by_priority), "by_severity": as_dict(inc.by_severity),
            "by_place": as_dict(inc.by_place), "by_state": as_dict(inc.by_state), "by_tier": as_dict(inc.by_tier),
        },
        "top_incidents": [
            {"id": iid, "title": r["title"], "level": r["level"], "office": r["office"], "state": r["state"],
             "mentions_today": int(r["mentions"]), "negative_today": int(r["negative"])}
            for iid, r in ranked.iterrows()
        ],
        "new_incidents": list(new["id"]),
        "clocks": {
            "due_today": len(due_today), "due_today_ids": list(due_today["id"]),
            "missed_yesterday": len(missed_yesterday), "missed_yesterday_ids": list(missed_yesterday["id"]),
            "missed": len(missed), "missed_ids": list(missed["id"]),
        },
        "sources": {
            "reporting": len(health), "by_status": as_dict(health["status"].value_counts()) if len(health) else {},
            **runs,
        },
        "trend": [{"day": d, "total": int(r["信息总量"]), "negative": int(r["负面信息"])} for d, r in trend.iterrows()],
    }

    title = f"每日舆情简报（{day_zh(day)}）"
    doc = Document(title=title, subtitle="舆情监测与回应 · 每日敏感舆情简报",
                   meta=[f"统计时段：{day_zh(day)} 0时至24时（北京时间）", f"生成时间：{when(now)}"])

    # 一、总体情况
    s = doc.section("一、总体情况")
    s.add(Para([
        f"{day_zh(day)}共监测到相关舆情信息{m.total}条，{change(m.total, prev_total)}；"
        f"已完成情感分析{m.analyzed}条，其中负面信息{m.negative}条，负面占比{pct(m.negative_share)}。"
        f"涉及舆情事件{inc.total}起（前一日{prev_incidents}起），其中当日新增{len(new)}起；"
        f"今日到期回应时限{len(due_today)}项，昨日超时{len(missed_yesterday)}项。"
    ], style="lead"))
    s.add(Para([missed_overview(missed, clock_incidents, names)], style="lead"))
    s.add(Table(["指标", "当日", "前一日", "变化"], [
        ["舆情信息（条）", str(m.total), str(prev_total), f"{m.total - prev_total:+d}"],
        ["负面占比", pct(m.negative_share), pct(share(prev_negative, prev_analyzed)),
         f"{(m.negative_share - share(prev_negative, prev_analyzed)) * 100:+.1f}个百分点"],
        ["舆情事件（起）", str(inc.total), str(prev_incidents), f"{inc.total - prev_incidents:+d}"],
    ]))
    if not m.by_emotion.empty:
        emotions = _labelled(m.by_emotion, EMOTION_ZH)
        felt = int(m.by_emotion.sum())
        s.add(Para(["情绪分布：" + "、".join(f"{label}{pct(share(int(n), felt))}" for label, n in emotions.items())
                    + "。"]))
    s.add(Figure(charts.trend_chart(trend, "近七日舆情信息走势"), "图1 近七日舆情信息走势"))

    # 二、信息分布
    s = doc.section("二、信息分布")
    by_priority = _labelled(m.by_priority, names.priorities)
    if m.no_priority:
        by_priority[NO_PRIORITY] = m.no_priority
    inc_priority = _labelled(inc.by_priority, names.priorities)
    s.add(Table(["收集重点", "信息（条）", "占比", "事件（起）"], [
        [label, str(int(n)), pct(share(int(n), m.total)), str(int(inc_priority.get(label, 0)))]
        for label, n in by_priority.items()
    ], caption="按收集重点"))
    subtopics = _labelled(m.by_subtopic, names.priorities)
    if not subtopics.empty:
        s.add(Para(["细分话题：" + "、".join(f"{k}{int(v)}条" for k, v in subtopics.head(12).items()) + "。"]))
    s.add(Figure(charts.bar_chart(by_priority, "按收集重点分布"), "图2 按收集重点分布"))
    by_tier = _labelled(m.by_tier, TIER_ZH)
    inc_tier = _labelled(inc.by_tier, TIER_ZH)
    s.add(Table(["媒体层级", "信息（条）", "占比", "涉及事件（起）"], [
        [label, str(int(n)), pct(share(int(n), m.total)), str(int(inc_tier.get(label, 0)))]
        for label, n in by_tier.items()
    ], caption="按媒体层级"))
    sentiment = _labelled(m.by_sentiment, SENTIMENT_ZH)
    if m.total - m.analyzed:
        sentiment["未分析"] = m.total - m.analyzed
    s.add(Figure(charts.sentiment_pie(sentiment, "情感倾向"), "图3 情感倾向分布", width_cm=9))
    inc_place = _labelled(inc.by_place, {**inc.place_names, **names.places})
    s.add(Table(["地区", "信息（条）", "占比"], [
        [label, str(int(n)), pct(share(int(n), m.total))] for label, n in m.by_place.head(20).items()
    ], caption="按地区（信息所涉地区，前20）"))
    if not inc_place.empty:
        s.add(Para(["事件所涉地区：" + "、".join(f"{k}{int(v)}起" for k, v in inc_place.head(15).items()) + "。"]))
    s.add(Figure(charts.bar_chart(m.by_place, "按地区分布（前15）"), "图4 按地区分布"))

    # 三、重点舆情事件
    s = doc.section("三、重点舆情事件")
    if ranked.empty:
        s.add(Para(["当日无活跃舆情事件。"]))
    for n, (iid, r) in enumerate(ranked.iterrows(), start=1):
        mentions = incident_mentions(store, str(iid), size=5)
        clocks = top_clocks[top_clocks["incident_id"] == iid] if top_clocks is not None else pd.DataFrame()
        clock_text = "；".join(f"{c['name_zh']}：{clock_state_zh(c)}" for _, c in clocks.iterrows()) or "未设时限"
        s.add(Para([f"{n}. ", incident_link(config, str(iid), str(r["title"])),
                    f"　{level_zh(r['level'])} · {STATE_ZH.get(str(r['state']), r['state'])}"
                    f" · 责任单位：{names.office(r['office'])}"], style="lead"))
        s.add(Para([factual_summary(mentions, names.sources, mentions_today=int(r["mentions"]),
                                    negative_today=int(r["negative"]))]))
        s.add(Para([f"回应时限：{clock_text}"], style="note"))
        if mentions:
            s.add(Para(["原文链接：", *mention_links(mentions)], style="note"))

    # 四、新增事件
    s = doc.section("四、当日新增事件")
    if new.empty:
        s.add(Para(["当日无新增舆情事件。"]))
    else:
        s.add(Table(["事件", "级别", "首发时间", "发现时间", "收集重点", "责任单位"], [
            [incident_link(config, r["id"], r["title"]), level_zh(r["level"]), when(r["first_seen_at"]),
             when(r["created_at"]), "、".join(names.priority(p) for p in r["priorities"]) or "—",
             names.office(r["office"])]
            for _, r in new.head(TABLE_LIMIT).iterrows()
        ]))
        if len(new) > TABLE_LIMIT:
            s.add(Para([f"另有{len(new) - TABLE_LIMIT}起较低级别新增事件未列出，详见", Link("处置台", _console(config)),
                        "。"], style="note"))

    # 五、回应时限
    s = doc.section("五、回应时限")

    def clock_rows(frame: pd.DataFrame) -> list[list[Any]]:
        rows = []
        for _, c in frame.head(TABLE_LIMIT).iterrows():
            title = (clock_incidents.get(c["incident_id"]) or {}).get("title", c["incident_id"][:12])
            rows.append([incident_link(config, c["incident_id"], title), c["name_zh"],
                         names.office(c["owner_office"]), when(c["due_at"]), clock_state_zh(c)])
        return rows

    columns = ["事件", "时限", "责任单位", "截止时间", "状态"]
    s.add(Table(columns, clock_rows(due_today), caption=f"今日到期（{len(due_today)}项）") if len(due_today)
          else Para(["今日无到期时限。"]))
    s.add(Table(columns, clock_rows(missed_yesterday), caption=f"昨日超时（{len(missed_yesterday)}项）")
          if len(missed_yesterday) else Para(["昨日无超时时限。"]))
    if max(len(due_today), len(missed_yesterday)) > TABLE_LIMIT:
        s.add(Para([f"各表仅列前{TABLE_LIMIT}项（未完成的在前），完整清单见", Link("处置台", _console(config)), "。"],
                   style="note"))

    # 六、信息源运行情况
    s = doc.section("六、信息源运行情况")
    by_status = figures["sources"]["by_status"]
    s.add(Para([
        f"当日完成采集{runs['runs']}次，发现条目{runs['items_found']}条，新增{runs['items_new']}条，"
        f"失败{runs['items_failed']}条。共{len(health)}个信息源报告状态："
        + ("、".join(f"{SOURCE_STATUS_ZH.get(k, k)}{v}个" for k, v in by_status.items()) or "无") + "。"
    ]))
    if len(health):
        order = {"failing": 0, "silent": 1, "degraded": 2, "ok": 3}
        health = health.assign(order=health["status"].map(order).fillna(4)).sort_values(["order", "source_id"])
        s.add(Table(["信息源", "状态", "最近运行", "最近成功", "新增", "失败率"], [
            [names.source(r["source_id"]), SOURCE_STATUS_ZH.get(str(r["status"]), str(r["status"])),
             when(r["finished_at"]), when(r["last_success_at"]), str(int(r["items_new"] or 0)),
             pct(float(r["error_rate"] or 0))]
            for _, r in health.iterrows()
        ]))

    s = doc.section("说明")
    s.add(Bullets([
        ["信息时间以发布时间为准，无发布时间的以采集时间计。"],
        ["负面占比 = 负面信息 ÷ 已完成情感分析的信息。"],
        ["事件摘要摘自首发及相关报道的标题和首句，未作改写；点击事件标题可进入处置台查看详情。"],
    ]))
    log.info("daily report %s: %d mentions, %d incidents, %d top", day, m.total, inc.total, len(ranked))
    return DailyReport(day=day, title=title, figures=figures, document=doc)
