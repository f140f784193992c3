"""Recounting a daily report's figures in Python from every stored document (shared by the report
figures test and the demo main-job test): the definitions the report prints in its 说明, applied to
scanned documents — not ``reports.data`` or the report's own aggregations."""

from __future__ import annotations

import collections
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from elasticsearch import helpers

from reports.api import write_daily
from yuqing.clock import TZ, parse_ts
from yuqing.config import Config
from yuqing.models import SEVERITY_RANK, stable_id
from yuqing.storage import Store

UNKNOWN_PLACE = "未识别地区"


def scan(store: Store, kind: str, fields: list[str] | None = None) -> Iterator[dict[str, Any]]:
    for hit in helpers.scan(store.client, index=store.alias(kind), query={"query": {"match_all": {}}},
                            _source=fields or True, size=5000):
        yield hit["_source"]


def bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=TZ)
    return start, start + dt.timedelta(days=1)


def mention_time(m: dict[str, Any]) -> dt.datetime:
    ts = parse_ts(m.get("published_at") or m.get("crawled_at"))
    assert ts is not None
    return ts


def share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


class Recount:
    """The day's figures, counted in Python from every stored document."""

    def __init__(self, store: Store, config: Config, day: dt.date, now: dt.datetime) -> None:
        self.config, self.day, self.now = config, day, now
        start, end = bounds(day)
        prev_start = start - dt.timedelta(days=1)
        trend_start = start - dt.timedelta(days=6)
        fields = ["published_at", "crawled_at", "sentiment", "priorities", "media_tier", "place", "source_id",
                  "incident_id"]
        self.cur: list[dict[str, Any]] = []
        self.prev: list[dict[str, Any]] = []
        self.trend: dict[str, list[int]] = {(day - dt.timedelta(days=n)).isoformat(): [0, 0] for n in range(7)}
        for m in scan(store, "mentions", fields):
            t = mention_time(m)
            if start <= t < end:
                self.cur.append(m)
            elif prev_start <= t < start:
                self.prev.append(m)
            if trend_start <= t < end:
                row = self.trend[t.astimezone(TZ).date().isoformat()]
                row[0] += 1
                row[1] += label(m) == "negative"
        self.incidents = {d["id"]: d for d in scan(store, "incidents")}
        self.clocks = list(scan(store, "clocks"))
        self.releases = list(scan(store, "releases"))
        self.health = list(scan(store, "source_health"))
        self.start, self.end, self.prev_start = start, end, prev_start

    # -- mentions ------------------------------------------------------------------------------------

    def mention_figures(self, ms: list[dict[str, Any]]) -> dict[str, Any]:
        ids = set(self.config.priorities.priority_ids())
        by_priority: collections.Counter[str] = collections.Counter()
        by_subtopic: collections.Counter[str] = collections.Counter()
        for m in ms:
            for p in {p["id"] for p in m.get("priorities") or []}:
                (by_priority if p in ids else by_subtopic)[p] += 1
        labels = [label(m) for m in ms]
        return {
            "total": len(ms), "analyzed": sum(x is not None for x in labels),
            "negative": labels.count("negative"),
            "by_sentiment": dict(collections.Counter(x for x in labels if x)),
            "by_priority": dict(by_priority), "by_subtopic": dict(by_subtopic),
            "no_priority": sum(not m.get("priorities") for m in ms),
            "by_tier": dict(collections.Counter(m["media_tier"] for m in ms if m.get("media_tier"))),
            "by_place": dict(collections.Counter(place(m) for m in ms)),
            "by_source": dict(collections.Counter(m["source_id"] for m in ms if m.get("source_id"))),
            "incidents": len({m["incident_id"] for m in ms if m.get("incident_id")}),
        }

    # -- incidents -----------------------------------------------------------------------------------

    def active(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        out = []
        for d in self.incidents.values():
            if d.get("state") in ("dismissed", "merged"):  # not an incident / counted in its survivor
                continue
            first, last, created = (parse_ts(d.get(k)) for k in ("first_seen_at", "last_seen_at", "created_at"))
            overlaps = first is not None and last is not None and first < end and last >= start
            made = created is not None and start <= created < end
            if overlaps or made:
                out.append(d)
        return out

    def new(self) -> list[dict[str, Any]]:
        return [d for d in self.incidents.values() if d.get("state") not in ("dismissed", "merged")
                and self.start <= parse_ts(d["created_at"]) < self.end]  # type: ignore[operator]

    # -- clocks --------------------------------------------------------------------------------------

    def late(self, c: dict[str, Any]) -> bool:
        due, met = parse_ts(c["due_at"]), parse_ts(c.get("met_at"))
        assert due is not None
        if c.get("state") == "waived":
            return False
        if met is not None:
            return met > due
        return c.get("state") == "missed" or (c.get("state", "running") == "running" and self.now > due)

    def outcome(self, c: dict[str, Any]) -> str:
        if c.get("state") == "waived":
            return "waived"
        if c.get("state") == "met":
            return "met_late" if self.late(c) else "met"
        return "missed" if self.late(c) else "running"

    def due_in(self, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        return [c for c in self.clocks if start <= parse_ts(c["due_at"]) < end]  # type: ignore[operator]

    def missed(self) -> set[str]:
        today = {c["id"] for c in self.due_in(self.start, self.end) if self.late(c)}
        owed = {c["id"] for c in self.clocks
                if parse_ts(c["due_at"]) < self.start  # type: ignore[operator]
                and (c.get("state") == "running" or (c.get("state") == "missed" and not c.get("met_at")))
                and self.late(c)
                and (self.incidents.get(c["incident_id"]) or {}).get("state") not in ("closed", "dismissed")}
        return today | owed

    def counted_releases(self) -> list[dict[str, Any]]:
        return [r for r in self.releases if r.get("status") in (None, "matched", "confirmed")]


def label(m: dict[str, Any]) -> str | None:
    return (m.get("sentiment") or {}).get("label")


def place(m: dict[str, Any]) -> str:
    p = m.get("place") or {}
    return p.get("city") or p.get("province") or UNKNOWN_PLACE


def check_report(store: Store, config: Config, day: dt.date, now: dt.datetime, out: Path) -> dict[str, Any]:
    """Write the report, recount everything, compare; returns the figures for extra checks."""
    t0 = time.perf_counter()
    paths = write_daily(store, config, day, out, now=now)
    t1 = time.perf_counter()
    figures = store.get("reports", stable_id("report", "daily", day.isoformat()))["figures"]  # type: ignore[index]
    html = paths["html"].read_text(encoding="utf-8")
    r = Recount(store, config, day, now)
    print(f"report {t1 - t0:.1f}s, recount {time.perf_counter() - t1:.1f}s")

    # mentions: every breakdown, and the day before
    m, want = figures["mentions"], r.mention_figures(r.cur)
    for key, value in want.items():
        assert m[key] == value, key
    before = r.mention_figures(r.prev)
    assert (m["previous"], m["change"]) == (before["total"], want["total"] - before["total"])
    assert m["negative_share"] == share(want["negative"], want["analyzed"])
    assert m["previous_negative_share"] == share(before["negative"], before["analyzed"])
    # the breakdowns add up: single-label ones to the total, multi-label ones at least to it
    assert sum(m["by_sentiment"].values()) == m["analyzed"] <= m["total"]
    assert sum(m["by_place"].values()) == m["total"]
    assert sum(m["by_source"].values()) == m["total"]
    assert sum(m["by_priority"].values()) + m["no_priority"] == m["priority_labels"] >= m["total"]
    assert m["priority_multi_label"] == (m["priority_labels"] > m["total"])
    assert ("占比之和超过100%" in html) == m["priority_multi_label"]

    # incidents: 涉及 = 新增 + 此前延续, and every new one is among them
    inc = figures["incidents"]
    active = r.active(r.start, r.end)
    new = r.new()
    assert inc["active"] == len(active)
    assert inc["previous_active"] == len(r.active(r.prev_start, r.start))
    assert set(figures["new_incidents"]) == {d["id"] for d in new} <= {d["id"] for d in active}
    assert inc["new"] + inc["continuing"] == inc["active"]
    assert inc["by_severity"] == dict(collections.Counter(d["severity"]["level"] for d in active))
    assert inc["by_state"] == dict(collections.Counter(d.get("state", "new") for d in active))
    assert inc["by_priority"] == dict(collections.Counter(p for d in active for p in d.get("priorities") or []))
    assert inc["by_place"] == dict(collections.Counter(c for d in active for c in d.get("place_codes") or []))

    # top incidents: the day's mentions of each, and the most severe first
    per_incident = collections.Counter(x["incident_id"] for x in r.cur if x.get("incident_id"))
    negative = collections.Counter(x["incident_id"] for x in r.cur if x.get("incident_id") and label(x) == "negative")
    for t in figures["top_incidents"]:
        assert (t["mentions_today"], t["negative_today"]) == (per_incident[t["id"]], negative[t["id"]])
    if figures["top_incidents"]:
        top_rank = max(SEVERITY_RANK[d["severity"]["level"]] for d in active)
        assert SEVERITY_RANK[figures["top_incidents"][0]["level"]] == top_rank

    # clocks
    c = figures["clocks"]
    due = r.due_in(r.start, r.end)
    assert (c["due_today"], set(c["due_today_ids"])) == (len(due), {x["id"] for x in due})
    missed_before = [x for x in r.due_in(r.prev_start, r.start) if r.late(x)]
    assert set(c["missed_yesterday_ids"]) == {x["id"] for x in missed_before}
    assert c["missed_yesterday"] == len(missed_before)
    assert (c["missed"], set(c["missed_ids"])) == (len(r.missed()), r.missed())

    # 处置情况: releases and clock outcomes of every incident covered
    h = figures["handling"]
    active_ids = {d["id"] for d in active}
    counted = [x for x in r.counted_releases() if x["incident_id"] in active_ids]
    outcomes = collections.Counter(r.outcome(x) for x in r.clocks if x["incident_id"] in active_ids)
    assert h["incidents"] == len(active)
    assert h["releases"] == len(counted)
    assert h["with_release"] == len({x["incident_id"] for x in counted})
    assert h["clocks"] == {k: outcomes.get(k, 0) for k in ("met", "met_late", "missed", "running", "waived")}
    releases_of = collections.Counter(x["incident_id"] for x in counted)
    for row in h["rows"]:
        assert row["releases"] == releases_of[row["id"]]
        own = collections.Counter(r.outcome(x) for x in r.clocks if x["incident_id"] == row["id"])
        assert {k: row[k] for k in own} == dict(own)
    done = h["clocks"]
    assert (f"{cur_word(figures)}涉及的{h['incidents']}起事件中，{h['with_release']}起已有发布回应"
            f"（共{h['releases']}条）") in html
    assert (f"按时完成{done['met']}项、逾期完成{done['met_late']}项、超时未完成{done['missed']}项、"
            f"计时中{done['running']}项") in html

    # 研判建议: each suggestion's figures, recounted against the configured thresholds
    a, adv = figures["advice"], config.reports.advice
    topics_now = collections.Counter({**want["by_priority"], **want["by_subtopic"]})
    topics_before = collections.Counter({**before["by_priority"], **before["by_subtopic"]})
    rising = {k for k, n in topics_now.items() if n >= adv.rising_min_mentions
              and (not topics_before[k] or (n - topics_before[k]) / topics_before[k] >= adv.rising_ratio)}
    assert {t["id"] for t in a["rising"]} == rising
    for t in a["rising"]:
        assert (t["current"], t["previous"]) == (topics_now[t["id"]], topics_before[t["id"]])
    for t in a["rising"][:adv.limit]:
        assert f"「{config.priorities.name_of(t['id'])}」：当日相关信息{t['current']}条" in html
    neg_now = collections.Counter(place(x) for x in r.cur if label(x) == "negative")
    an_now = collections.Counter(place(x) for x in r.cur if label(x))
    neg_before = collections.Counter(place(x) for x in r.prev if label(x) == "negative")
    an_before = collections.Counter(place(x) for x in r.prev if label(x))
    surges = {p for p in an_now if p != UNKNOWN_PLACE and neg_now[p] >= adv.surge_min_negative
              and share(neg_now[p], an_now[p]) >= adv.surge_share
              and share(neg_now[p], an_now[p]) - share(neg_before[p], an_before[p]) >= adv.surge_rise}
    assert {s["place"] for s in a["negative_surge"]} == surges
    for s in a["negative_surge"][:adv.limit]:
        assert (s["negative"], s["analyzed"]) == (neg_now[s["place"]], an_now[s["place"]])
        assert f"关注{s['place']}负面舆情上升：当日负面信息{s['negative']}条" in html
    rebutted = {x["incident_id"] for x in r.counted_releases() if x.get("rebuts_rumour")}
    rumours = {d["id"] for d in active if (d.get("handling_kind") == "false_info"
                                           or "false_info" in (d.get("priorities") or []))
               and d["id"] not in rebutted and per_incident[d["id"]] >= adv.rumour_min_mentions}
    assert {x["id"] for x in a["rumours"]} == rumours
    for x in a["rumours"]:
        assert x["mentions"] == per_incident[x["id"]]
    assert set(a["overdue"]) == r.missed()

    # sources: the day's runs and each source's last state
    runs = [x for x in r.health if r.start <= parse_ts(x["finished_at"]) < r.end]  # type: ignore[operator]
    s = figures["sources"]
    assert (s["runs"], s["items_found"], s["items_new"], s["items_failed"]) == (
        len(runs), sum(x["items_found"] for x in runs), sum(x["items_new"] for x in runs),
        sum(x["items_failed"] for x in runs))
    last: dict[str, dict[str, Any]] = {}
    for x in sorted((x for x in r.health if parse_ts(x["finished_at"]) < r.end),  # type: ignore[operator]
                    key=lambda x: parse_ts(x["finished_at"])):  # type: ignore[arg-type, return-value]
        last[x["source_id"]] = x
    assert s["by_status"] == dict(collections.Counter(x["status"] for x in last.values()))

    # the 7-day trend ends with the day itself
    assert {t["day"]: [t["total"], t["negative"]] for t in figures["trend"]} == r.trend
    assert figures["trend"][-1]["total"] == m["total"]

    # what the lead paragraph prints is what was counted
    assert f"共监测到相关舆情信息{m['total']}条" in html
    assert f"负面占比{pct(m['negative_share'])}" in html
    assert f"涉及舆情事件{inc['active']}起" in html
    assert f"其中当日新增{inc['new']}起、此前延续{inc['continuing']}起" in html
    assert f"超时的回应时限{c['missed']}项" in html or c["missed"] == 0
    assert figures["issue"] == f"{day.year}年第{day.timetuple().tm_yday}期" and figures["issue"] in html
    return figures


def cur_word(figures: dict[str, Any]) -> str:
    return {"daily": "当日", "weekly": "本周", "monthly": "本月"}[figures["kind"]]
