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
    BUCKETS,
    NEGATIVE,
    NO_PRIORITY,
    SENTIMENT_ZH,
    UNKNOWN_PLACE,
    Names,
    active_incidents_query,
    as_dict,
    both,
    buckets,
    clock_frame,
    clocks_due,
    counted_releases,
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
    place_sentiment,
    run_totals,
    share,
)
from reports.render.doc import Bullets, Document, Figure, Link, Masthead, Para, Span, Table, plain
from reports.text import change, clip, factual_summary, hours, pct, when
from yuqing import labels, links
from yuqing.clock import iso
from yuqing.config import Config
from yuqing.handling import is_false_info
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


# --- periods ----------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Period:
    """The span a report covers: one day, an ISO week (Monday–Sunday) or a calendar month."""

    kind: str  # daily | weekly | monthly
    first: dt.date
    last: dt.date  # inclusive

    @classmethod
    def daily(cls, day: dt.date) -> Period:
        return cls("daily", day, day)

    @classmethod
    def weekly(cls, day: dt.date) -> Period:
        monday = day - dt.timedelta(days=day.weekday())
        return cls("weekly", monday, monday + dt.timedelta(days=6))

    @classmethod
    def monthly(cls, day: dt.date) -> Period:
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return cls("monthly", first, nxt - dt.timedelta(days=1))

    @classmethod
    def of(cls, kind: str, day: dt.date) -> Period:
        return {"daily": cls.daily, "weekly": cls.weekly, "monthly": cls.monthly}[kind](day)

    @property
    def start(self) -> dt.datetime:
        return day_bounds(self.first)[0]

    @property
    def end(self) -> dt.datetime:
        return day_bounds(self.last)[1]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        return Period.of(self.kind, self.first - dt.timedelta(days=1))

    @property
    def subject(self) -> str:
        """The stored subject and file-name part: ``2026-11-20``, ``2026-W47``, ``2026-11``."""
        if self.kind == "weekly":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "monthly":
            return f"{self.first:%Y-%m}"
        return self.first.isoformat()

    @property
    def issue(self) -> str:
        """期号, sequential within the year and fixed by the date: the day of the year (daily), the ISO
        week (weekly), the month (monthly) — a re-run or a late run gets the same number."""
        if self.kind == "weekly":
            year, week, _ = self.first.isocalendar()
            return f"{year}年第{week}期"
        if self.kind == "monthly":
            return f"{self.first.year}年第{self.first.month}期"
        return f"{self.first.year}年第{self.first.timetuple().tm_yday}期"

    @property
    def words(self) -> tuple[str, str]:
        """How the text names this period and the one before."""
        return {"daily": ("当日", "前一日"), "weekly": ("本周", "上周"), "monthly": ("本月", "上月")}[self.kind]

    @property
    def name_zh(self) -> str:
        return {"daily": "每日舆情简报", "weekly": "每周舆情综述", "monthly": "每月舆情综述"}[self.kind]

    @property
    def span_zh(self) -> str:
        if self.kind == "daily":
            return day_zh(self.first)
        if self.kind == "monthly":
            return f"{self.first.year}年{self.first.month}月"
        return f"{day_zh(self.first)}至{self.last.month}月{self.last.day}日"


# --- 处置情况 and 研判建议 ------------------------------------------------------------------------


def clock_outcome(row: pd.Series) -> str:
    """One of met (on time), met_late, missed (late and not met: missed, or running past due),
    running (not yet due), waived — how 处置情况 counts a clock."""
    state = str(row["state"])
    if state == "waived":
        return "waived"
    if state == "met":
        return "met_late" if row["late"] else "met"
    return "missed" if row["late"] else "running"


OUTCOME_ZH = {"met": "按时", "met_late": "逾期完成", "missed": "超时未完成", "running": "计时中", "waived": "已豁免"}


def handling_rows(inc: pd.DataFrame, clocks: pd.DataFrame, releases: pd.DataFrame) -> list[dict[str, Any]]:
    """Per incident: lead and supporting offices, counted releases (and the first), clock outcomes."""
    outcomes: dict[str, dict[str, int]] = {}
    for _, c in clocks.iterrows():
        own = outcomes.setdefault(str(c["incident_id"]), dict.fromkeys(OUTCOME_ZH, 0))
        own[clock_outcome(c)] += 1
    released = releases.groupby("incident_id")["published_at"].agg(["size", "min"]) if len(releases) else None
    rows = []
    for _, r in inc.iterrows():
        count, first = 0, None
        if released is not None and r["id"] in released.index:
            count, first = int(released.at[r["id"], "size"]), released.at[r["id"], "min"]
        rows.append({"id": r["id"], "office": r["office"], "supporting": list(r["supporting"]), "releases": count,
                     "first_release_at": first.isoformat() if first is not None and first == first else None,
                     **outcomes.get(str(r["id"]), dict.fromkeys(OUTCOME_ZH, 0))})
    return rows


def _growth(current: int, previous: int) -> float | None:
    return None if not previous else (current - previous) / previous


def rising_topics(cur: pd.Series, prev: pd.Series, config: Config) -> list[dict[str, Any]]:
    a = config.reports.advice
    out = []
    for key, n in cur.items():
        before = int(prev.get(key, 0))
        growth = _growth(int(n), before)
        if int(n) >= a.rising_min_mentions and (growth is None or growth >= a.rising_ratio):
            out.append({"id": str(key), "current": int(n), "previous": before,
                        "growth": round(growth, 4) if growth is not None else None})
    return sorted(out, key=lambda t: (-(t["growth"] if t["growth"] is not None else 1e9), -t["current"]))


def negative_surges(cur: pd.DataFrame, prev: pd.DataFrame, config: Config) -> list[dict[str, Any]]:
    a = config.reports.advice
    out = []
    for place, r in cur.iterrows():
        neg, analysed = int(r["negative"]), int(r["analyzed"])
        now_share = share(neg, analysed)
        before = prev.loc[place] if place in prev.index else None
        prev_share = share(int(before["negative"]), int(before["analyzed"])) if before is not None else 0.0
        if (place != UNKNOWN_PLACE and neg >= a.surge_min_negative and now_share >= a.surge_share
                and now_share - prev_share >= a.surge_rise):
            out.append({"place": str(place), "negative": neg, "analyzed": analysed, "share": now_share,
                        "previous_share": prev_share,
                        "previous_negative": int(before["negative"]) if before is not None else 0})
    return sorted(out, key=lambda p: (-(p["share"] - p["previous_share"]), -p["negative"]))


def rumours_to_rebut(inc: pd.DataFrame, per_incident: pd.DataFrame, releases: pd.DataFrame,
                     config: Config) -> list[dict[str, Any]]:
    rebutted = set(releases.loc[releases["rebuts_rumour"], "incident_id"]) if len(releases) else set()
    out = []
    for _, r in inc.iterrows():
        if not is_false_info(r["handling_kind"], r["priorities"]) or r["id"] in rebutted:
            continue
        n = int(per_incident["mentions"].get(r["id"], 0)) if len(per_incident) else 0
        if n >= config.reports.advice.rumour_min_mentions:
            out.append({"id": r["id"], "title": r["title"], "mentions": n, "office": r["office"],
                        "first_seen_at": r["first_seen_at"].isoformat() if r["first_seen_at"] is not None else None})
    return sorted(out, key=lambda t: -t["mentions"])


def _labelled(series: pd.Series, names: dict[str, str]) -> pd.Series:
    out = series.copy()
    out.index = [names.get(str(k), str(k)) for k in series.index]
    return out.groupby(level=0).sum().sort_values(ascending=False) if not out.empty else out


def _topic_counts(store: Store, query: dict[str, Any]) -> pd.Series:
    resp = store.search("mentions", query=query, size=0,
                        aggs={"p": {"terms": {"field": "priorities.id", "size": BUCKETS}}})
    return buckets(resp["aggregations"]["p"])


def build_daily(store: Store, config: Config, day: dt.date, *, now: dt.datetime, top: int = 10) -> DailyReport:
    return build_period(store, config, Period.daily(day), now=now, top=top)


def build_period(store: Store, config: Config, period: Period, *, now: dt.datetime, top: int = 10) -> DailyReport:
    names = Names.from_config(config)
    cur_word, prev_word = period.words
    before = period.previous()
    start, end = period.start, period.end
    prev_start = before.start
    window, prev_window = mention_window(start, end), mention_window(prev_start, start)

    m = mention_figures(store, window, config)
    prev_total = store.count("mentions", prev_window)
    prev_negative = store.count("mentions", both(prev_window, NEGATIVE))
    prev_analyzed = store.count("mentions", both(prev_window, {"exists": {"field": "sentiment.label"}}))
    trend_days = max(7, period.days)
    trend = daily_trend(store, period.last, days=trend_days)

    inc = incident_figures(store, active_incidents_query(start, end))
    prev_incidents = store.count("incidents", active_incidents_query(prev_start, start))
    new = incident_frame(store.scan("incidents", created_query(start, end))).sort_values(
        ["rank", "created_at"], ascending=[False, True])

    per_incident = mentions_per_incident(store, window)
    ranked_all = inc.frame.set_index("id").join(per_incident, how="left").fillna({"mentions": 0, "negative": 0})
    ranked_all = ranked_all.sort_values(["rank", "mentions", "severity_score"], ascending=False)
    ranked = ranked_all.head(top)

    # clocks and releases of every incident the report covers (处置情况), due clocks, misses
    active_ids = list(inc.frame["id"])
    active_clocks = clock_frame(store.scan("clocks", {"terms": {"incident_id": active_ids}}), now) \
        if active_ids else clock_frame([], now)
    releases = counted_releases(store, active_ids)
    due_today = _late_first(clocks_due(store, start, end, now))
    yesterday = clocks_due(store, prev_start, start, now)
    missed_yesterday = yesterday[yesterday["late"]] if not yesterday.empty else yesterday
    owed_earlier = clock_frame(store.scan("clocks", {"bool": {"filter": [
        {"range": {"due_at": {"lt": iso(start)}}}, unresolved_clock_filter()]}}), now)
    clock_incidents = store.mget("incidents", list(due_today["incident_id"]) + list(missed_yesterday["incident_id"])
                                 + list(owed_earlier["incident_id"]))
    missed = missed_clocks(due_today, owed_earlier, clock_incidents)

    handling = handling_rows(ranked_all.reset_index(), active_clocks, releases)
    outcome_totals = {k: sum(r[k] for r in handling) for k in OUTCOME_ZH}

    # 研判建议: the figures that cross the configured thresholds
    topics_now = pd.concat([m.by_priority, m.by_subtopic])
    topics_before = _topic_counts(store, prev_window)
    rising = rising_topics(topics_now, topics_before, config)
    surges = negative_surges(place_sentiment(store, window), place_sentiment(store, prev_window), config)
    rumours = rumours_to_rebut(ranked_all.reset_index(), per_incident, releases, config)

    health = latest_source_health(store, end)
    runs = run_totals(store, start, end)
    priority_sum = int(m.by_priority.sum()) + m.no_priority

    # ---- figures (stored with the report; every number printed below comes from here) ----------
    figures: dict[str, Any] = {
        "kind": period.kind, "day": period.first.isoformat(), "last_day": period.last.isoformat(),
        "subject": period.subject, "issue": period.issue,
        "window": {"start": iso(start), "end": iso(end)},
        "previous_window": {"start": iso(prev_start), "end": iso(start)},
        "mentions": {
            "total": m.total, "previous": prev_total, "change": m.total - prev_total,
            "analyzed": m.analyzed, "negative": m.negative, "negative_share": m.negative_share,
            "previous_negative": prev_negative, "previous_analyzed": prev_analyzed,
            "previous_negative_share": share(prev_negative, prev_analyzed),
            "by_priority": as_dict(m.by_priority), "by_subtopic": as_dict(m.by_subtopic),
            "no_priority": m.no_priority, "priority_labels": priority_sum,
            "priority_multi_label": priority_sum > m.total,
            "by_tier": as_dict(m.by_tier), "by_place": as_dict(m.by_place),
            "by_sentiment": as_dict(m.by_sentiment), "by_source": as_dict(m.by_source),
            "by_emotion": as_dict(m.by_emotion), "incidents": m.incidents,
        },
        "incidents": {
            "active": inc.total, "previous_active": prev_incidents, "new": len(new),
            "continuing": inc.total - len(new),
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
        "handling": {
            "incidents": len(handling), "with_release": sum(1 for r in handling if r["releases"]),
            "releases": len(releases), "clocks": outcome_totals, "rows": handling,
        },
        "advice": {
            "rising": rising, "negative_surge": surges, "overdue": list(missed["id"]), "rumours": rumours,
        },
        "sources": {
            "reporting": len(health), "by_status": as_dict(health["status"].value_counts()) if len(health) else {},
            **runs,
        },
        "trend": [{"day": d, "total": int(r["信息总量"]), "negative": int(r["负面信息"])} for d, r in trend.iterrows()],
    }

    title = f"{period.name_zh}（{period.span_zh}）"
    masthead = Masthead(issue=period.issue, issuer=config.reports.issuing_unit, date=day_zh(now.date()),
                        signer=config.reports.signer, distribution=config.reports.distribution)
    span_text = (f"{day_zh(period.first)} 0时至24时（北京时间）" if period.kind == "daily"
                 else f"{day_zh(period.first)} 0时至{day_zh(period.last)} 24时（北京时间）")
    doc = Document(title=title, subtitle=f"舆情监测与回应 · {period.name_zh}", masthead=masthead,
                   meta=[f"统计时段：{span_text}", f"生成时间：{when(now)}"])

    # 一、总体情况
    s = doc.section("一、总体情况")
    lead = (f"{period.span_zh}共监测到相关舆情信息{m.total}条，{change(m.total, prev_total, prev_word)}；"
            f"已完成情感分析{m.analyzed}条，其中负面信息{m.negative}条，负面占比{pct(m.negative_share)}。"
            f"涉及舆情事件{inc.total}起（{prev_word}{prev_incidents}起），其中{cur_word}新增{len(new)}起、"
            f"此前延续{inc.total - len(new)}起；{cur_word}到期回应时限{len(due_today)}项，"
            f"{prev_word}到期超时{len(missed_yesterday)}项。")
    s.add(Para([lead], style="lead"))
    s.add(Para([missed_overview(missed, clock_incidents, names)], style="lead"))
    s.add(Table(["指标", cur_word, prev_word, "变化"], [
        ["舆情信息（条）", str(m.total), str(prev_total), f"{m.total - prev_total:+d}"],
        ["负面占比", pct(m.negative_share), pct(share(prev_negative, prev_analyzed)),
         f"{(m.negative_share - share(prev_negative, prev_analyzed)) * 100:+.1f}个百分点"],
        ["涉及舆情事件（起）", str(inc.total), str(prev_incidents), f"{inc.total - prev_incidents:+d}"],
    ]))
    if not m.by_emotion.empty:
        emotions = _labelled(m.by_emotion, EMOTION_ZH)
        felt = int(m.by_emotion.sum())
        s.add(Para(["情绪分布（占识别出情绪的信息）：" + "、".join(
            f"{label}{pct(share(int(n), felt))}" for label, n in emotions.items()) + "。"]))
    s.add(Figure(charts.trend_chart(trend, f"近{trend_days}日舆情信息走势"), f"图1 近{trend_days}日舆情信息走势"))

    # 二、研判建议
    s = doc.section("二、研判建议")
    advice = advice_items(config, names, period, rising, surges, missed, clock_incidents, rumours, ranked_all)
    s.add(Bullets(advice) if advice else Para([f"{cur_word}各项指标未达到研判提示标准，建议保持常态监测。"]))
    figures["summary_zh"] = lead + missed_overview(missed, clock_incidents, names)
    figures["advice_zh"] = [plain(item) for item in advice]

    # 三、信息分布
    s = doc.section("三、信息分布")
    by_priority = _labelled(m.by_priority, names.priorities)
    if m.no_priority:
        by_priority[NO_PRIORITY] = m.no_priority
    inc_priority = _labelled(inc.by_priority, names.priorities)
    s.add(Table(["收集重点", "信息（条）", "占比", "事件（起）"], [
        [label, str(int(n)), pct(share(int(n), m.total)), str(int(inc_priority.get(label, 0)))]
        for label, n in by_priority.items()
    ], caption="按收集重点"))
    if priority_sum > m.total:
        s.add(Para([f"注：一条信息可同时命中多个收集重点，一起事件也可涉及多个收集重点，故各项合计"
                    f"（信息{priority_sum}条次，占比合计{pct(share(priority_sum, m.total))}）超过信息总量，"
                    f"占比之和超过100%。"], style="note"))
    subtopics = _labelled(m.by_subtopic, names.priorities)
    if not subtopics.empty:
        s.add(Para(["细分话题：" + "、".join(f"{k}{int(v)}条" for k, v in subtopics.head(12).items()) + "。"]))
    s.add(Figure(charts.bar_chart(by_priority, "按收集重点分布"), "图2 按收集重点分布"))
    by_tier = _labelled(m.by_tier, TIER_ZH)
    inc_tier = _labelled(inc.by_tier, TIER_ZH)
    s.add(Table(["媒体层级", "信息（条）", "占比", "涉及事件（起）"], [
        [label, str(int(n)), pct(share(int(n), m.total)), str(int(inc_tier.get(label, 0)))]
        for label, n in by_tier.items()
    ], caption="按媒体层级（每条信息属于一个层级；一起事件可被多个层级报道）"))
    sentiment = _labelled(m.by_sentiment, SENTIMENT_ZH)
    if m.total - m.analyzed:
        sentiment["未分析"] = m.total - m.analyzed
    s.add(Figure(charts.sentiment_pie(sentiment, "情感倾向"), "图3 情感倾向分布", width_cm=9))
    inc_place = _labelled(inc.by_place, {**inc.place_names, **names.places})
    s.add(Table(["地区", "信息（条）", "占比"], [
        [label, str(int(n)), pct(share(int(n), m.total))] for label, n in m.by_place.head(20).items()
    ], caption="按地区（信息所涉地区，前20）"))
    if not inc_place.empty:
        s.add(Para(["事件所涉地区（一起事件可涉及多个地区）：" + "、".join(
            f"{k}{int(v)}起" for k, v in inc_place.head(15).items()) + "。"]))
    s.add(Figure(charts.bar_chart(m.by_place, "按地区分布（前15）"), "图4 按地区分布"))

    # 四、重点舆情事件
    s = doc.section("四、重点舆情事件")
    if ranked.empty:
        s.add(Para([f"{cur_word}无活跃舆情事件。"]))
    for n, (iid, r) in enumerate(ranked.iterrows(), start=1):
        mentions = incident_mentions(store, str(iid), size=5)
        clocks = active_clocks[active_clocks["incident_id"] == iid]
        clock_text = "；".join(f"{c['name_zh']}：{clock_state_zh(c)}" for _, c in clocks.iterrows()) or "未设时限"
        s.add(Para([f"{n}. ", incident_link(config, str(iid), str(r["title"])),
                    f"　{level_zh(r['level'])} · {STATE_ZH.get(str(r['state']), r['state'])}"
                    f" · 责任单位：{names.office(r['office'])}"], style="lead"))
        s.add(Para([factual_summary(mentions, names.sources, mentions_today=int(r["mentions"]),
                                    negative_today=int(r["negative"]), label=cur_word)]))
        s.add(Para([f"回应时限：{clock_text}"], style="note"))
        if mentions:
            s.add(Para(["原文链接：", *mention_links(mentions)], style="note"))

    # 五、处置情况
    s = doc.section("五、处置情况")
    with_release = figures["handling"]["with_release"]
    s.add(Para([
        f"{cur_word}涉及的{len(handling)}起事件中，{with_release}起已有发布回应（共{len(releases)}条）；"
        f"回应时限按时完成{outcome_totals['met']}项、逾期完成{outcome_totals['met_late']}项、"
        f"超时未完成{outcome_totals['missed']}项、计时中{outcome_totals['running']}项"
        + (f"、已豁免{outcome_totals['waived']}项" if outcome_totals["waived"] else "") + "（截至生成时）。"
    ]))
    if handling:
        by_id = ranked_all["title"].to_dict()
        s.add(Table(["事件", "牵头单位", "配合单位", "发布回应", "回应时限"], [
            [incident_link(config, r["id"], str(by_id.get(r["id"], r["id"]))), names.office(r["office"]),
             "、".join(names.office(o) for o in r["supporting"]) or "—",
             f"{r['releases']}条（首次{when(r['first_release_at'])}）" if r["releases"] else "尚未发布",
             "；".join(f"{OUTCOME_ZH[k]}{r[k]}项" for k in OUTCOME_ZH if r[k]) or "未设时限"]
            for r in handling[:TABLE_LIMIT]
        ], widths=[3, 1.4, 1.6, 1.6, 1.8]))
        if len(handling) > TABLE_LIMIT:
            s.add(Para([f"仅列前{TABLE_LIMIT}起（按级别和{cur_word}信息量），其余见", Link("处置台", _console(config)),
                        "。"], style="note"))

    # 六、新增事件
    s = doc.section(f"六、{cur_word}新增事件")
    if new.empty:
        s.add(Para([f"{cur_word}无新增舆情事件。"]))
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

    # 七、回应时限
    s = doc.section("七、回应时限")

    def clock_rows(frame: pd.DataFrame) -> list[list[Any]]:
        rows = []
        for _, c in frame.head(TABLE_LIMIT).iterrows():
            title = (clock_incidents.get(c["incident_id"]) or {}).get("title", c["incident_id"][:12])
            rows.append([incident_link(config, c["incident_id"], title), c["name_zh"],
                         names.office(c["owner_office"]), when(c["due_at"]), clock_state_zh(c)])
        return rows

    columns = ["事件", "时限", "责任单位", "截止时间", "状态"]
    s.add(Table(columns, clock_rows(due_today), caption=f"{cur_word}到期（{len(due_today)}项）") if len(due_today)
          else Para([f"{cur_word}无到期时限。"]))
    s.add(Table(columns, clock_rows(missed_yesterday), caption=f"{prev_word}到期超时（{len(missed_yesterday)}项）")
          if len(missed_yesterday) else Para([f"{prev_word}无超时时限。"]))
    if max(len(due_today), len(missed_yesterday)) > TABLE_LIMIT:
        s.add(Para([f"各表仅列前{TABLE_LIMIT}项（未完成的在前），完整清单见", Link("处置台", _console(config)), "。"],
                   style="note"))

    # 八、信息源运行情况
    s = doc.section("八、信息源运行情况")
    by_status = figures["sources"]["by_status"]
    s.add(Para([
        f"{cur_word}完成采集{runs['runs']}次，发现条目{runs['items_found']}条，新增{runs['items_new']}条，"
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
    s.add(Bullets([[line] for line in definitions(period)]))
    log.info("%s report %s: %d mentions, %d incidents, %d top", period.kind, period.subject, m.total, inc.total,
             len(ranked))
    return DailyReport(day=period.first, title=title, figures=figures, document=doc)


def definitions(period: Period) -> list[str]:
    """How each figure is counted (printed in the report's 说明)."""
    cur, prev = period.words
    return [
        "舆情信息：发布时间在统计时段内的信息；无发布时间的以采集时间计。",
        "负面占比 = 负面信息 ÷ 已完成情感分析的信息。",
        f"涉及舆情事件：{cur}有相关信息（首条信息早于时段结束、最近一条不早于时段开始）或{cur}建立的事件，不含已排除的事件；"
        f"其中“新增”为{cur}建立的事件，“此前延续”为此前建立、{cur}仍有信息的事件，两者之和等于涉及事件数。",
        "收集重点、事件地区为多选：一条信息可命中多个收集重点，一起事件可涉及多个地区，相应各项之和可超过总数；"
        "媒体层级、信息地区、情感倾向为单选，各项之和等于总数（未分析的信息单列）。",
        f"到期回应时限：截止时间在{cur}的时限；{prev}到期超时：截止时间在{prev}、逾期完成或仍未完成的时限；"
        "超时的回应时限另含此前到期、至今未完成且事件未办结的时限。",
        "处置情况：发布回应只计已匹配或已确认的发布（待确认的不计）；时限状态截至报告生成时。",
        "事件摘要摘自首发及相关报道的标题和首句，未作改写；点击事件标题可进入处置台查看详情。",
    ]


def advice_items(config: Config, names: Names, period: Period, rising: list[dict[str, Any]],
                 surges: list[dict[str, Any]], missed: pd.DataFrame, clock_incidents: dict[str, dict[str, Any]],
                 rumours: list[dict[str, Any]], ranked: pd.DataFrame) -> list[list[Span]]:
    """The 研判建议: each names the figures and the items behind it."""
    limit = config.reports.advice.limit
    cur, prev = period.words
    items: list[list[Span]] = []
    for t in rising[:limit]:
        grow = f"增长{t['growth'] * 100:.0f}%" if t["growth"] is not None else f"{prev}无相关信息"
        related = ranked[[t["id"] in p for p in ranked["priorities"]]].head(2) if len(ranked) else ranked
        spans: list[Span] = [f"关注上升话题「{names.priority(t['id'])}」：{cur}相关信息{t['current']}条，"
                             f"{prev}{t['previous']}条，{grow}。"]
        if len(related):
            spans.append("主要涉及")
            for n, (iid, r) in enumerate(related.iterrows()):
                spans += (["、"] if n else []) + [incident_link(config, str(iid), str(r["title"]))]
            spans.append("。")
        spans.append("建议加强研判，提前准备回应口径。")
        items.append(spans)
    for p in surges[:limit]:
        items.append([f"关注{p['place']}负面舆情上升：{cur}负面信息{p['negative']}条，占该地区已分析信息"
                      f"{p['analyzed']}条的{pct(p['share'])}，{prev}为{pct(p['previous_share'])}"
                      f"（上升{(p['share'] - p['previous_share']) * 100:.1f}个百分点）。建议督促属地及时核实回应。"])
    if len(missed):
        by_office = missed.groupby("owner_office")
        for office, group in list(by_office)[:limit]:
            spans = [f"督促{names.office(str(office))}完成超时回应{len(group)}项："]
            for n, (_, c) in enumerate(group.iterrows()):
                title = (clock_incidents.get(c["incident_id"]) or {}).get("title", c["incident_id"][:12])
                spans += (["；"] if n else []) + [incident_link(config, c["incident_id"], str(title)),
                                                  f"{c['name_zh']}（{_lateness(c)}）"]
            spans.append("。")
            items.append(spans)
    for r in rumours[:limit]:
        items.append(["及时辟谣：", incident_link(config, r["id"], r["title"]),
                      f"属不实信息，{cur}相关信息{r['mentions']}条，尚无辟谣发布。建议{names.office(r['office'])}"
                      "尽快发布权威信息澄清，涉嫌违法的通报公安机关和网信部门。"])
    hidden = (max(0, len(rising) - limit) + max(0, len(surges) - limit) + max(0, len(rumours) - limit)
              + max(0, missed["owner_office"].nunique() - limit if len(missed) else 0))
    if hidden:
        items.append([f"另有{hidden}项提示未列出，详见", Link("处置台", _console(config)), "。"])
    return items
