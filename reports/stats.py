"""Periodic response statistics per office (for evaluators): clocks met on time, response times, scores.

The period is a range of Asia/Shanghai dates (inclusive). Clocks count in the period their
deadline falls in; incidents in the period they were created; assessments in the period the
incident closed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import pandas as pd

from reports import charts
from reports.data import Names, clock_frame, day_bounds, share
from reports.render.doc import Bullets, Document, Figure, Para, Table
from reports.text import hours, pct, when
from yuqing.clock import iso, parse_ts
from yuqing.config import Config
from yuqing.errors import InputError
from yuqing.models import UNCOUNTED_STATES
from yuqing.storage import Store

log = logging.getLogger(__name__)

COLUMNS = ["office", "incidents", "clocks", "met", "late", "missed", "open", "on_time_rate", "ack_hours",
           "response_hours", "response_median", "response_p90", "responded", "assessments", "avg_score"]


@dataclasses.dataclass
class OfficeStats:
    title: str
    figures: dict[str, Any]
    frame: pd.DataFrame  # one row per office, COLUMNS
    document: Document


def office_frame(store: Store, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> pd.DataFrame:
    """One row per office with clock outcomes, mean acknowledgement/response hours and mean score."""
    window = {"gte": iso(start), "lt": iso(end)}
    clocks = clock_frame(store.scan("clocks", {"range": {"due_at": window}}), min(now, end))
    if not clocks.empty:
        clocks = clocks[clocks["state"] != "waived"]
        met_in_time = (clocks["met_at"].notna()) & (~clocks["late"])
        clocks = clocks.assign(
            met=met_in_time, late_met=clocks["met_at"].notna() & clocks["late"],
            missed=clocks["met_at"].isna() & clocks["late"], open=clocks["met_at"].isna() & ~clocks["late"])
        by_clock = clocks.groupby("owner_office").agg(clocks=("id", "size"), met=("met", "sum"),
                                                      late=("late_met", "sum"), missed=("missed", "sum"),
                                                      open=("open", "sum"))
    else:
        by_clock = pd.DataFrame(columns=["clocks", "met", "late", "missed", "open"])

    incidents = list(store.scan("incidents", {"bool": {"filter": [{"range": {"created_at": window}}],
                                                       "must_not": [{"terms": {"state": list(UNCOUNTED_STATES)}}]}},
                                source=["id", "created_at", "acknowledged_at", "assigned_office", "routing"]))
    rows = []
    for d in incidents:
        routing = d.get("routing") or {}
        created = parse_ts(d.get("created_at"))
        routed = parse_ts(routing.get("routed_at")) or created
        acked = parse_ts(d.get("acknowledged_at"))
        rows.append({"id": d["id"], "office": d.get("assigned_office") or routing.get("lead_office") or "",
                     "created": created,
                     "ack_hours": (acked - routed).total_seconds() / 3600 if acked and routed else None})
    inc = pd.DataFrame(rows, columns=["id", "office", "created", "ack_hours"])
    first_release: dict[str, dt.datetime] = {}
    if not inc.empty:
        # Only releases that answer the incident: a 待确认 (pending) or rejected match is not a response.
        counted = {"bool": {"filter": [{"terms": {"incident_id": list(inc["id"])}}],
                            "must_not": [{"terms": {"status": ["pending", "rejected"]}}]}}
        for r in store.scan("releases", counted, source=["incident_id", "published_at"]):
            t = parse_ts(r.get("published_at"))
            if t is not None and (r["incident_id"] not in first_release or t < first_release[r["incident_id"]]):
                first_release[r["incident_id"]] = t
        inc["response_hours"] = [
            (first_release[i] - c).total_seconds() / 3600 if i in first_release and c is not None else None
            for i, c in zip(inc["id"], inc["created"], strict=True)
        ]
        inc["ack_hours"] = pd.to_numeric(inc["ack_hours"])
        inc["response_hours"] = pd.to_numeric(inc["response_hours"])
        by_incident = inc.groupby("office").agg(incidents=("id", "size"), ack_hours=("ack_hours", "mean"),
                                                response_hours=("response_hours", "mean"),
                                                responded=("response_hours", "count"),
                                                response_median=("response_hours", "median"),
                                                response_p90=("response_hours", lambda h: h.quantile(0.9)))
    else:
        by_incident = pd.DataFrame(columns=["incidents", "ack_hours", "response_hours", "responded",
                                            "response_median", "response_p90"])

    scores = pd.DataFrame([
        {"office": a.get("office") or "", "score": float(a["score"])}
        for a in store.scan("assessments", {"range": {"closed_at": window}}, source=["office", "score"])
    ], columns=["office", "score"])
    by_score = (scores.groupby("office").agg(assessments=("score", "size"), avg_score=("score", "mean"))
                if not scores.empty else pd.DataFrame(columns=["assessments", "avg_score"]))

    frame = by_clock.join(by_incident, how="outer").join(by_score, how="outer")
    for column in ["clocks", "met", "late", "missed", "open", "incidents", "responded", "assessments"]:
        frame[column] = pd.to_numeric(frame[column]).fillna(0).astype(int)
    frame["on_time_rate"] = [share(m, c - o) for m, c, o in zip(frame["met"], frame["clocks"], frame["open"],
                                                                strict=True)]
    frame = frame.reset_index(names="office")
    return frame.reindex(columns=COLUMNS).sort_values(["on_time_rate", "clocks"], ascending=[False, False])


def _num(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def office_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of :func:`office_frame` as plain figures (stored with the report, shown by the console)."""
    return [
        {"office": r["office"], "incidents": int(r["incidents"]), "clocks": int(r["clocks"]), "met": int(r["met"]),
         "late": int(r["late"]), "missed": int(r["missed"]), "open": int(r["open"]),
         "on_time_rate": float(r["on_time_rate"]), "ack_hours": _num(r["ack_hours"]),
         "response_hours": _num(r["response_hours"]), "response_median": _num(r["response_median"]),
         "response_p90": _num(r["response_p90"]), "responded": int(r["responded"]),
         "assessments": int(r["assessments"]),
         "avg_score": _num(r["avg_score"])}
        for _, r in frame.iterrows()
    ]


def build_office_stats(store: Store, config: Config, first: dt.date, last: dt.date, *,
                       now: dt.datetime) -> OfficeStats:
    if last < first:
        raise InputError(f"--to {last} 早于 --from {first}")
    names = Names.from_config(config)
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    frame = office_frame(store, start, end, now)

    figures = {"from": first.isoformat(), "to": last.isoformat(), "offices": office_rows(frame)}
    period = f"{first.year}年{first.month}月{first.day}日至{last.year}年{last.month}月{last.day}日"
    title = f"各单位舆情回应情况统计（{period}）"
    doc = Document(title="各单位舆情回应情况统计", subtitle=period, meta=[f"生成时间：{when(now)}"])
    s = doc.section("一、总体情况")
    total_clocks, total_met = int(frame["clocks"].sum()), int(frame["met"].sum())
    closed = total_clocks - int(frame["open"].sum())
    s.add(Para([f"统计期内到期回应时限{total_clocks}项，按时完成{total_met}项，逾期完成{int(frame['late'].sum())}项，"
                f"超时未完成{int(frame['missed'].sum())}项，按时完成率{pct(share(total_met, closed))}；"
                f"新建舆情事件{int(frame['incidents'].sum())}起，完成回应评估{int(frame['assessments'].sum())}次。"],
               style="lead"))
    s = doc.section("二、分单位统计")
    s.add(Table(["单位", "事件", "时限", "按时", "逾期完成", "超时未完成", "按时率", "平均签收用时", "平均回应用时",
                 "评估", "平均得分"], [
        [names.office(r["office"]), str(r["incidents"]), str(r["clocks"]), str(r["met"]), str(r["late"]),
         str(r["missed"]), pct(r["on_time_rate"]) if r["clocks"] - r["open"] else "—", hours(_num(r["ack_hours"])),
         hours(_num(r["response_hours"])), str(r["assessments"]),
         "—" if _num(r["avg_score"]) is None else f"{r['avg_score']:.1f}"]
        for _, r in frame.iterrows()
    ]) if not frame.empty else Para(["统计期内无数据。"]))
    rates = pd.Series({names.office(r["office"]): round(r["on_time_rate"] * 100, 1)
                       for _, r in frame.iterrows() if r["clocks"] - r["open"]}, dtype="float64")
    s.add(Figure(charts.bar_chart(rates, "各单位时限按时完成率（%）"), "图1 各单位时限按时完成率"))
    s = doc.section("说明")
    s.add(Bullets([
        ["时限按截止时间计入统计期；按时率 = 按时完成 ÷（已到期或已完成的时限），豁免的时限不计。"],
        ["平均签收用时 = 交办到签收；平均回应用时 = 事件建立到首次发布回应。"],
        ["评估按事件办结时间计入统计期，得分见各事件回应评估报告。"],
    ]))
    return OfficeStats(title=title, figures=figures, frame=frame, document=doc)
